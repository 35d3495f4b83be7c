#!/usr/bin/env python3
"""rnnscope export-code: the scripts it writes, run by the real libraries.

The NumPy and PyTorch scripts are run with /usr/bin/python3 (NumPy; PyTorch 1.13 from
python3-torch) for every cell, both dtypes, both return_sequences modes, with and without a Dense
layer, inline numbers and numbers in an .npz beside the script; the Y each saves must equal
`rnnscope forward`'s (float32 to 1e-5, float64 to 1e-12). Keras is not installed here: the Keras
script is compiled, then run against a stand-in `keras` module that records what the script asks
of Keras (the layers and their arguments, the arrays given to set_weights) and must see Keras's
get_weights() order and shapes.

Run: /usr/bin/python3 tests/test_export.py BUILD/app/rnnscope SHARED_DIR
"""
import os
import py_compile
import subprocess
import sys
import tempfile

import numpy as np

import clitest
from clitest import run, refused

TMP = tempfile.mkdtemp(prefix="rnnscope-export-")
PYTHON = "/usr/bin/python3"

# (name, model options, has an exact PyTorch form)
CASES = [
    ("simplernn", ["--cell", "simplernn"], True),
    ("simplernn relu, return_sequences", ["--cell", "simplernn", "--activation", "relu", "--return-sequences"], True),
    ("lstm", ["--cell", "lstm"], True),
    ("lstm, return_sequences, softmax", ["--cell", "lstm", "--return-sequences", "--dense-activation", "softmax"], True),
    ("lstm, Keras 2's hard_sigmoid", ["--cell", "lstm", "--recurrent-activation", "hard_sigmoid_keras2"], False),
    ("gru", ["--cell", "gru"], True),
    ("gru without reset_after", ["--cell", "gru", "--no-reset-after"], False),
    ("gru, K = 0", ["--cell", "gru", "--dims", "2,6,3,4,0"], True),
]
SMALL = ["--dims", "2,6,3,4,2"]  # numbers inline
LARGE = ["--dims", "4,50,8,16,3"]  # numbers in an .npz beside the script (over 2000 values)


def path(name):
    return os.path.join(TMP, name)


def dims_of(options):
    return options if "--dims" in options else options + SMALL


def forward(options, dtype):
    out = path("forward.npy")
    run("forward", *options, "--dtype", dtype, "--seed", "7", "--out", out)
    return np.load(out)


def export(to, options, dtype, name):
    script = path(name + ".py")
    for leftover in (script, path(name + ".npz")):
        if os.path.exists(leftover):
            os.remove(leftover)
    run("export-code", "--to", to, script, *options, "--dtype", dtype, "--seed", "7")
    return script


def run_script(script, env=None):
    """Runs the script from another directory (it must find its .npz beside itself) and returns Y."""
    y = path("script_Y.npy")
    if os.path.exists(y):
        os.remove(y)
    p = subprocess.run([PYTHON, script, y], capture_output=True, text=True, cwd="/", timeout=300,
                       env=dict(os.environ, **(env or {})))
    assert p.returncode == 0, f"{script}: exit {p.returncode}\n{p.stderr[-3000:]}"
    assert "Y (" in p.stdout, p.stdout[-500:]
    return np.load(y)


def compare(got, want, dtype, what):
    assert got.shape == want.shape, f"{what}: shape {got.shape}, rnnscope {want.shape}"
    tol = 1e-5 if dtype == "float32" else 1e-12
    err = float(np.abs(got.astype(np.float64) - want.astype(np.float64)).max())
    assert err <= tol, f"{what}: differs from rnnscope forward by {err:.3g} (tolerance {tol})"
    assert np.abs(want).max() > 1e-3, f"{what}: a degenerate case (Y is all but zero)"


def test_numpy_scripts_reproduce_forward():
    for name, options, _ in CASES:
        for dtype in ("float32", "float64"):
            for size in (SMALL, LARGE) if "--dims" not in options else ([],):
                opts = options + size
                script = export("numpy", opts, dtype, "model_numpy")
                inline = not os.path.exists(path("model_numpy.npz"))
                assert inline == (size is not LARGE), f"{name}: inline {inline} at {opts}"
                compare(run_script(script), forward(opts, dtype), dtype, f"numpy {name} {dtype} {opts}")


def test_pytorch_scripts_reproduce_forward():
    for name, options, exact in CASES:
        if not exact:
            continue
        for dtype in ("float32", "float64"):
            for size in (SMALL, LARGE) if "--dims" not in options else ([],):
                opts = options + size
                script = export("pytorch", opts, dtype, "model_torch")
                compare(run_script(script, {"OMP_NUM_THREADS": "1"}), forward(opts, dtype), dtype,
                        f"pytorch {name} {dtype} {opts}")


def test_pytorch_refuses_what_it_cannot_compute():
    refused("export-code", "--to", "pytorch", path("x.py"), "--cell", "gru", "--no-reset-after",
            mentions=("export-code --to pytorch", "reset_after"))
    refused("export-code", "--to", "pytorch", path("x.py"), "--cell", "lstm",
            "--recurrent-activation", "hard_sigmoid_keras2", mentions=("hard_sigmoid_keras2",))
    assert not os.path.exists(path("x.py"))


# A stand-in for Keras: records the layers, their arguments and the arrays set_weights receives.
STUB = '''
import json, os
import numpy as np

RECORD = os.environ["KERAS_RECORD"]
_log = {"layers": [], "weights": None, "floatx": None}


class _Config:
    @staticmethod
    def set_floatx(name):
        _log["floatx"] = name


config = _Config()


class _Ops:
    @staticmethod
    def clip(x, lo, hi):
        return np.clip(x, lo, hi)


ops = _Ops()


def Input(shape):
    return ("Input", list(shape))


class _Layer:
    def __init__(self, kind, units, **kw):
        kw = {k: (v if isinstance(v, (str, bool, int, float)) else getattr(v, "__name__", str(v))) for k, v in kw.items()}
        _log["layers"].append({"class": kind, "units": units, **kw})


class layers:
    SimpleRNN = staticmethod(lambda units, **kw: _Layer("SimpleRNN", units, **kw))
    LSTM = staticmethod(lambda units, **kw: _Layer("LSTM", units, **kw))
    GRU = staticmethod(lambda units, **kw: _Layer("GRU", units, **kw))
    Dense = staticmethod(lambda units, **kw: _Layer("Dense", units, **kw))

    @staticmethod
    def Bidirectional(layer, merge_mode="concat"):
        _log["layers"][-1]["bidirectional"] = merge_mode


class Sequential:
    def __init__(self, items):
        _log["input"] = items[0][1]

    def set_weights(self, arrays):
        _log["weights"] = [[list(np.shape(a)), str(np.asarray(a).dtype)] for a in arrays]

    def summary(self):
        pass

    def predict(self, X, verbose=0):
        with open(RECORD, "w") as f:
            json.dump(_log, f)
        last = _log["layers"][-1]
        units = last["units"]
        seq = any(l.get("return_sequences") for l in _log["layers"] if l["class"] != "Dense")
        return np.zeros((X.shape[0], X.shape[1], units) if seq else (X.shape[0], units), dtype=X.dtype)
'''


def test_keras_scripts_compile_and_set_keras_shapes():
    import json
    stub_dir = path("stub")
    os.makedirs(stub_dir, exist_ok=True)
    with open(os.path.join(stub_dir, "keras.py"), "w") as f:
        f.write(STUB)
    gates = {"simplernn": 1, "lstm": 4, "gru": 3}
    for name, options, _ in CASES:
        for dtype in ("float32", "float64"):
            opts = dims_of(options)
            script = export("keras", opts, dtype, "model_keras")
            py_compile.compile(script, doraise=True)
            record = path("keras_record.json")
            run_script(script, {"PYTHONPATH": stub_dir, "KERAS_RECORD": record})
            with open(record) as f:
                log = json.load(f)
            N, T, D, M, K = map(int, opts[opts.index("--dims") + 1].split(","))
            cell = opts[opts.index("--cell") + 1]
            g = gates[cell]
            reset_after = cell == "gru" and "--no-reset-after" not in opts
            bias = [2, g * M] if reset_after else [g * M]
            want = [[D, g * M], [M, g * M], bias] + ([[M, K], [K]] if K else [])
            got = [shape for shape, _ in log["weights"]]
            assert got == want, f"keras {name}: set_weights shapes {got}, Keras's get_weights() order needs {want}"
            assert all(t == dtype for _, t in log["weights"]), f"keras {name}: dtypes {log['weights']}"
            assert log["floatx"] == dtype and log["input"] == [T, D], f"keras {name}: {log}"
            layer = log["layers"][0]
            assert layer["class"] == {"simplernn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}[cell] and layer["units"] == M
            assert layer["return_sequences"] == ("--return-sequences" in opts)
            if cell == "gru":
                assert layer["reset_after"] == reset_after, f"keras {name}: {layer}"
            if "hard_sigmoid_keras2" in opts:
                assert layer["recurrent_activation"] == "hard_sigmoid_keras2", layer
            assert (len(log["layers"]) == 2) == (K > 0)


# Networks (--stack): (name, options, has an exact PyTorch form (nn.LSTM/GRU num_layers, bidirectional)).
STACKS = [
    ("2-layer lstm", ["--stack", "lstm 4 seq, lstm 4", "--dims", "2,6,3,[4,4],2"], True),
    ("bidirectional gru", ["--stack", "bi gru 4", "--dims", "2,6,3,4,2"], True),
    ("2 bidirectional simplernn, sequences", ["--stack", "bi simplernn 3 seq, bi simplernn 3 seq", "--dims", "2,5,3,[3,3],2"], True),
    ("go_backwards, sum, K = 0", ["--stack", "gru 4 seq back, bi=sum lstm 3", "--dims", "2,5,3,[4,3],0"], False),
    ("mixed cells, ave, sequences", ["--stack", "bi=ave lstm 3 seq, gru 2 seq", "--dims", "2,5,3,[3,2],2"], False),
    ("one layer going backwards", ["--stack", "lstm 4 back seq", "--dims", "2,5,3,[4],2"], False),
    ("large 2-layer lstm", ["--stack", "lstm 16 seq, lstm 16", "--dims", "4,50,8,[16,16],3"], True),
]


def test_network_scripts_reproduce_forward():
    """NumPy (every stack) and PyTorch (those with an exact form) scripts of a network give rnnscope's Y."""
    for name, opts, exact in STACKS:
        for dtype in ("float32", "float64"):
            want = forward(opts, dtype)
            script = export("numpy", opts, dtype, "net_numpy")
            assert os.path.exists(path("net_numpy.npz")) == name.startswith("large"), name
            compare(run_script(script), want, dtype, f"numpy {name} {dtype}")
            if exact:
                script = export("pytorch", opts, dtype, "net_torch")
                compare(run_script(script, {"OMP_NUM_THREADS": "1"}), want, dtype, f"pytorch {name} {dtype}")
    refused("export-code", "--to", "pytorch", path("x.py"), "--stack", "bi=sum lstm 3 seq, lstm 3",
            mentions=("export-code --to pytorch", "sum", "concatenates"))
    refused("export-code", "--to", "pytorch", path("x.py"), "--stack", "lstm 4 seq, lstm 3",
            mentions=("one cell and one size",))


def test_keras_scripts_of_networks_build_every_layer():
    import json
    stub_dir = path("stub")
    os.makedirs(stub_dir, exist_ok=True)
    with open(os.path.join(stub_dir, "keras.py"), "w") as f:
        f.write(STUB)
    gates = {"simplernn": 1, "lstm": 4, "gru": 3}
    cls = {"simplernn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
    for name, opts, _ in STACKS:
        script = export("keras", opts, "float32", "net_keras")
        py_compile.compile(script, doraise=True)
        record = path("keras_record.json")
        run_script(script, {"PYTHONPATH": stub_dir, "KERAS_RECORD": record})
        with open(record) as f:
            log = json.load(f)
        dims = opts[opts.index("--dims") + 1]
        N, T, D = map(int, dims.split(",")[:3])
        K = int(dims.split(",")[-1])
        layers = [w.split() for w in opts[opts.index("--stack") + 1].split(",")]
        want, width = [], D
        for words in layers:
            cell = next(w for w in words if w in gates)
            M = int(next(w for w in words if w.isdigit()))
            bi = any(w.startswith("bi") for w in words)
            g = gates[cell]
            bias = [2, g * M] if cell == "gru" else [g * M]
            want += [[width, g * M], [M, g * M], bias] * (2 if bi else 1)
            merge = next((w.split("=")[1] for w in words if w.startswith("bi=")), "concat")
            width = 2 * M if bi and merge == "concat" else M
        if K:
            want += [[width, K], [K]]
        got = [shape for shape, _ in log["weights"]]
        assert got == want, f"keras {name}: set_weights shapes {got}, Keras's get_weights() order needs {want}"
        recurrent = [l for l in log["layers"] if l["class"] != "Dense"]
        assert len(recurrent) == len(layers), log["layers"]
        for words, layer in zip(layers, recurrent):
            cell = next(w for w in words if w in gates)
            assert layer["class"] == cls[cell], layer
            assert layer["return_sequences"] == ("seq" in words), layer
            assert layer.get("go_backwards", False) == ("back" in words), layer
            bi = next((w for w in words if w.startswith("bi")), None)
            assert layer.get("bidirectional") == (None if bi is None else bi.split("=")[1] if "=" in bi else "concat"), layer


def test_scripts_say_their_shapes():
    script = export("numpy", ["--cell", "lstm", "--dims", "1,10,3,5,2"], "float32", "shapes")
    text = open(script).read()
    for s in ["(N, T, D) = (1, 10, 3)", "kernel (3, 20)", "recurrent_kernel (5, 20)", "bias (20,)",
              "gate blocks i | f | c | o", "Dense kernel (5, 2)", "forget gate f_t (N, M)", "cell state c_t (N, M)"]:
        assert s in text, f"{s!r} not in the exported script"
    script = export("pytorch", ["--cell", "gru", "--dims", "1,10,3,5,2"], "float32", "shapes_torch")
    text = open(script).read()
    for s in ["rnn.weight_ih_l0 (15, 3)", "gate rows r | z | n", "nn.GRU(input_size=3, hidden_size=5"]:
        assert s in text, f"{s!r} not in the exported PyTorch script"


def test_refusals():
    refused("export-code", path("a.py"), mentions=("--to",))
    refused("export-code", "--to", "julia", path("a.py"), mentions=("'julia'", "numpy, keras or pytorch"))
    refused("export-code", "--to", "numpy", path("a.txt"), mentions=("a.txt", ".py"))
    refused("export-code", "--to", "numpy", mentions=("export-code needs the script",))
    refused("export-code", "--to", "numpy", os.path.join(path("no-such-dir"), "m.py"), mentions=("no-such-dir",))


if __name__ == "__main__":
    sys.exit(clitest.main(globals()))
