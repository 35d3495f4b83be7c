#!/usr/bin/env python3
"""Networks in files, checked from outside: the Keras fixtures that hold several recurrent layers or a
Bidirectional one open whole; PyTorch's own nn.LSTM(num_layers=3) and nn.GRU(bidirectional=True)
state_dicts open and reproduce PyTorch's outputs, and rnnscope's `save --layout pytorch` of a stack
loads into those modules; an nn.Embedding before the RNN opens as the network's Embedding (PyTorch's
own modules and rnnscope's save of an Embedding network, for token ids); positional .npz stacks are told from their shapes or refused with the
reason; a file that contradicts --stack, --dims or --cell is refused naming both.

Usage: /usr/bin/python3 tests/test_network_files.py BUILD/app/rnnscope SHARED_DIR

References: RECURRENT-LAYERS.md §1.4–§1.7 (where the arrays sit, PyTorch's _l{k} / _reverse names,
the exact conversions: with return_sequences=False Keras's Bidirectional output is PyTorch's
cat(h_n[-2], h_n[-1]); a stack's top without return_sequences is output[:, -1]). The forward of a
stacked Keras fixture is checked against test_network.py's float64 NumPy reference.
"""
import json
import os
import sys

import numpy as np

import clitest
from clitest import SHARED, refused, run
from test_cells import need_torch
from test_network import fresh as tmp, network_forward

KERAS = os.path.join(SHARED, "fixtures", "keras")
EXPECTED = json.load(open(os.path.join(KERAS, "expected.json")))
GATES = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}


class _Paths(dict):
    """P[name]: a fresh path made once per name (tmp() removes what a second call would find)."""
    def __missing__(self, name):
        self[name] = tmp(name)
        return self[name]


P = _Paths()


def fixture(name):
    return next(f for f in EXPECTED["fixtures"] if f["file"] == name)


def keras_params(cls, D, M, reset_after=False):
    """Keras's count for one direction of a recurrent layer (§1.7)."""
    g = GATES[cls]
    return g * (D * M + M * M + M) + (g * M if cls == "GRU" and reset_after else 0)


def param_cells(out):
    """The Param # column of a summary table, in order."""
    return [int(line.split("│")[3].strip().replace(",", "")) for line in out.splitlines()
            if line.startswith("│") and line.count("│") == 4]


# ---- 1. The Keras fixtures that hold networks ---------------------------------------------------

# Each network fixture with what Keras itself says of it: every layer's parameter count from the
# shapes (expected.json, layout_dump.txt) and the Keras formulas.
NETWORKS = {
    # SimpleRNN(64, relu, seq) on 6 features, SimpleRNN(32, relu), Dropout, Dense(1)
    "keras3_legacy_temperature_stacked_simple_rnn.h5":
        dict(stack="simplernn 64 seq act=relu, simplernn 32 act=relu", dims="1,14,6,[64,32],1",
             params=[0, keras_params("SimpleRNN", 6, 64), keras_params("SimpleRNN", 64, 32), 32 * 1 + 1],
             names=["simple_rnn", "simple_rnn_1", "dense"], notes=["'dropout' (Dropout)"]),
    "keras3_temperature_stacked_simple_rnn.keras":
        dict(stack="simplernn 64 seq act=relu, simplernn 32 act=relu", dims="1,14,6,[64,32],1",
             params=[0, 4544, 3104, 33], names=["simple_rnn", "simple_rnn_1", "dense"], notes=["'dropout' (Dropout)"]),
    # save_weights(): no config, so no activations, return_sequences nor T (the default T = 10)
    "keras3_stacked_simple_rnn.weights.h5":
        dict(stack="simplernn 50 seq, simplernn 50", dims="1,10,1,[50,50],1",
             params=[0, keras_params("SimpleRNN", 1, 50), keras_params("SimpleRNN", 50, 50), 51],
             names=["simple_rnn", "simple_rnn_1", "dense"], notes=["no model config"]),
    # Keras 2.1.3: Bidirectional(LSTM(10, return_sequences)) on (4, 10), recurrent hard_sigmoid (Keras 2's)
    "dl4j_keras2_bidirectional_lstm.h5":
        dict(stack="bi lstm 10 seq rec=hard_sigmoid_keras2", dims="1,4,10,10,0",
             params=[0, 2 * keras_params("LSTM", 10, 10)], names=["bidirectional_1"], notes=["hard_sigmoid"]),
    # Keras 3.2.1: Bidirectional(LSTM(64, relu)) on (11, 1) → Dense(5); weights in layers/bidirectional, layers/dense
    "keras3_bidirectional_lstm.keras":
        dict(stack="bi lstm 64 act=relu", dims="1,11,1,64,5",
             params=[0, 2 * keras_params("LSTM", 1, 64), 128 * 5 + 5], names=["bidirectional", "dense_1"], notes=[]),
}


def test_every_network_fixture_opens_whole_with_keras_parameter_counts():
    behaviours = {f["file"] for f in EXPECTED["fixtures"]
                  if f["suggested_app_behavior"] in ("load_network", "refuse_or_pick_stacked")}
    assert behaviours == set(NETWORKS), behaviours ^ set(NETWORKS)
    for name, e in NETWORKS.items():
        out = run("summary", "--weights", os.path.join(KERAS, name)).stdout
        assert f"Stack: {e['stack']}\n" in out, (name, out)
        assert f"Dims: {e['dims']}, float32" in out, (name, out)
        assert param_cells(out) == e["params"], (name, param_cells(out), e["params"])
        assert f"Total params: {sum(e['params']):,}" in out, (name, out)
        layers = next(line for line in out.splitlines() if line.startswith("Layers: "))
        for n in e["names"]:
            assert f"'{n}'" in layers, (name, n, layers)
        for note in e["notes"]:
            assert any(note in line for line in out.splitlines() if line.startswith("Note: ")), (name, note, out)


def test_summary_lists_the_bidirectional_layer_as_keras_does():
    out = run("summary", "--weights", os.path.join(KERAS, "dl4j_keras2_bidirectional_lstm.h5")).stdout
    assert "bidirectional (Bidirectional)" in out and "(None, 4, 20)" in out and "1,680" in out, out
    out = run("summary", "--weights", os.path.join(KERAS, "keras3_bidirectional_lstm.keras")).stdout
    assert "(None, 128)" in out and "33,792" in out and "'dense_1' (Dense)" in out, out


EMBEDDINGS = ["keras2_embedding_simple_rnn_dense.h5", "keras2_embedding_simple_rnn_dense_softmax.h5"]


def embedding_counts(f):
    """Keras's counts per layer of an Embedding → SimpleRNN → Dense fixture, from expected.json."""
    emb = next(l for l in f["layers"] if l["class_name"] == "Embedding")
    rnn = f["simple_rnn"][0]
    V, E, M, K = emb["input_dim"], emb["output_dim"], rnn["M"], rnn["dense"]["K"]
    assert rnn["D"] == E, (rnn["D"], E)
    return V, E, M, K, [0, V * E, keras_params("SimpleRNN", E, M), M * K + K]


def test_the_embedding_fixtures_open_whole_with_keras_parameter_counts():
    behaviours = {f["file"] for f in EXPECTED["fixtures"] if f["suggested_app_behavior"] == "load_with_embedding"}
    assert behaviours == set(EMBEDDINGS), behaviours
    # Embedding(3, 5) → SimpleRNN(3) → Dense(4): 3·5 = 15, 3·(5+3+1) = 27, 3·4+4 = 16.
    assert embedding_counts(fixture(EMBEDDINGS[0]))[4] == [0, 15, 27, 16]
    for name in EMBEDDINGS:
        V, E, M, K, params = embedding_counts(fixture(name))
        out = run("summary", "--weights", os.path.join(KERAS, name)).stdout
        assert param_cells(out) == params, (name, param_cells(out), params)
        assert f"Stack: embedding {V}, simplernn {M}\n" in out, (name, out)
        assert "embedding (Embedding)" in out and f"(None, 10, {E})" in out, (name, out)
        assert f"Total params: {sum(params):,}" in out, (name, out)
        assert any("reads token ids" in line for line in out.splitlines() if line.startswith("Note: ")), (name, out)
        # --layer still opens the recurrent layer alone (as the window does), X standing for the Embedding's output.
        rnn = fixture(name)["simple_rnn"][0]["layer"]
        alone = run("summary", "--weights", os.path.join(KERAS, name), "--layer", rnn).stdout
        assert "embedding (Embedding)" not in alone and f"Total params: {params[2] + params[3]:,}" in alone, (name, alone)


def test_the_embedding_fixtures_forward_equals_numpy():
    """Token ids through the table read with h5py, the SimpleRNN and the Dense (softmax for the second)."""
    rng = np.random.default_rng(11)
    for name in EMBEDDINGS:
        V, E, M, K, _ = embedding_counts(fixture(name))
        arrays = fixture_arrays(name)  # table, kernel, recurrent kernel, bias, Dense kernel, bias
        table = arrays.pop(0)
        assert table.shape == (V, E), table.shape
        N, T = 3, 7
        ids = rng.integers(0, V, size=(N, T))
        ipath = tmp("emb_ids.npy")
        np.save(ipath, ids.astype(np.int32))
        activation = "softmax" if "softmax" in name else "linear"
        Y_ref, _ = network_forward(f"simplernn {M}", table[ids], arrays, K, activation)
        for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
            ypath = tmp("emb_y.npy")
            run("forward", "--weights", os.path.join(KERAS, name), "--input", ipath, "--dtype", dtype, "--out", ypath)
            Y = np.load(ypath)
            assert Y.shape == (N, K), Y.shape
            diff = float(np.abs(Y - Y_ref).max())
            assert diff < tol, (name, dtype, diff)
        # save writes Keras's get_weights() order, the table first.
        wpath = tmp("emb_w.npz")
        run("save", wpath, "--weights", os.path.join(KERAS, name), "--dtype", "float64")
        with np.load(wpath) as z:
            saved = [z[f"arr_{i}"] for i in range(len(z.files))]
        assert [a.shape for a in saved] == [a.shape for a in fixture_arrays(name)], [a.shape for a in saved]
        assert np.array_equal(saved[0], table)
    bad = tmp("emb_bad_ids.npy")
    np.save(bad, np.array([[0, 1, 3]]))
    refused("forward", "--weights", os.path.join(KERAS, EMBEDDINGS[0]), "--input", bad, "--out", tmp("never.npy"),
            mentions=["token id 3 at X[0, 2] is outside the Embedding's vocabulary 0 … 2"])


def fixture_arrays(name):
    """The weights of a network fixture in get_weights() order, read with h5py from its layout."""
    import h5py
    path = os.path.join(KERAS, name)
    if name.endswith(".keras"):
        import zipfile
        with zipfile.ZipFile(path) as z:
            data = z.read("model.weights.h5")
        path = tmp(name + ".weights.h5")
        open(path, "wb").write(data)
    arrays = []
    with h5py.File(path, "r") as h5:
        if "layers" in h5:
            groups = sorted(k for k in h5["layers"] if k.startswith("simple_rnn")) + ["dense"]
            for g in groups:
                base = h5["layers"][g]
                vars_ = base["cell"]["vars"] if "cell" in base else base["vars"]
                arrays += [np.array(vars_[str(i)], dtype=np.float64) for i in range(len(vars_))]
        else:
            root = h5["model_weights"] if "model_weights" in h5 else h5
            for layer in root.attrs["layer_names"]:
                layer = layer.decode() if isinstance(layer, bytes) else layer
                g = root[layer]
                for w in g.attrs["weight_names"]:
                    w = w.decode() if isinstance(w, bytes) else w
                    arrays.append(np.array(g[w], dtype=np.float64))
    return arrays


def test_forward_of_the_stacked_fixtures_against_numpy():
    """Every stacked SimpleRNN fixture against test_network.py's float64 reference (relu layers, the
    Dropout an identity), in float64 to 1e-12 and float32 to 1e-5."""
    rng = np.random.default_rng(7)
    for name, e in NETWORKS.items():
        if "simplernn" not in e["stack"]:
            continue
        arrays = fixture_arrays(name)
        N, T, D = 3, int(e["dims"].split(",")[1]), int(e["dims"].split(",")[2])
        X = rng.standard_normal((N, T, D))
        xpath = tmp("x.npy")
        np.save(xpath, X)
        Y_ref, _ = network_forward(e["stack"], X, arrays, 1)
        for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
            ypath = tmp("y.npy")
            run("forward", "--weights", os.path.join(KERAS, name), "--input", xpath, "--dtype", dtype, "--out", ypath)
            Y = np.load(ypath)
            assert Y.shape == (N, 1), Y.shape
            scale = max(1.0, float(np.abs(Y_ref).max()))
            diff = float(np.abs(Y - Y_ref).max()) / scale
            print(f"       {name} {dtype}: max |Y − NumPy| / max(1, |Y|) = {diff:.2e}")
            assert diff < tol, (name, dtype, diff)


def test_the_bidirectional_fixture_against_numpy():
    """dl4j_keras2_bidirectional_lstm.h5: the concatenated sequence (N, 4, 20) against the reference,
    with Keras 2's hard_sigmoid."""
    arrays = fixture_arrays("dl4j_keras2_bidirectional_lstm.h5")
    X = np.random.default_rng(1).standard_normal((2, 4, 10))
    xpath, ypath = tmp("xb.npy"), tmp("yb.npy")
    np.save(xpath, X)
    run("forward", "--weights", os.path.join(KERAS, "dl4j_keras2_bidirectional_lstm.h5"), "--input", xpath,
        "--dtype", "float64", "--out", ypath)
    Y = np.load(ypath)
    Y_ref, _ = network_forward("bi lstm 10 seq rec=hard_sigmoid_keras2", X, arrays, 0)
    diff = float(np.abs(Y - Y_ref).max())
    print(f"       dl4j_keras2_bidirectional_lstm.h5 float64: max |Y − NumPy| = {diff:.2e}")
    assert Y.shape == (2, 4, 20) and diff < 1e-12, (Y.shape, diff)


def edited_copy(name, edit):
    """A copy of a legacy .h5 fixture whose model_config `edit` changed (the weights as they are)."""
    import shutil
    import h5py
    path = P[name]
    shutil.copy(os.path.join(KERAS, "keras3_legacy_temperature_stacked_simple_rnn.h5"), path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        edit(config["config"]["layers"])
        f.attrs["model_config"] = json.dumps(config)
    return path


def test_go_backwards_and_layers_between_in_edited_files():
    """The stacked fixture edited: go_backwards on its lower layer (computed as test_network's
    reference does: the states in processing order), and a Dense between the two recurrent layers
    (refused, naming it)."""
    def backwards(layers):
        layers[1]["config"]["go_backwards"] = True
    path = edited_copy("backwards.h5", backwards)
    out = run("summary", "--weights", path).stdout
    assert "Stack: simplernn 64 seq back act=relu, simplernn 32 act=relu\n" in out, out
    X = np.random.default_rng(4).standard_normal((2, 14, 6))
    xpath, ypath = tmp("xg.npy"), tmp("yg.npy")
    np.save(xpath, X)
    run("forward", "--weights", path, "--input", xpath, "--dtype", "float64", "--out", ypath)
    Y_ref, _ = network_forward("simplernn 64 seq back act=relu, simplernn 32 act=relu", X,
                               fixture_arrays("keras3_legacy_temperature_stacked_simple_rnn.h5"), 1)
    assert float(np.abs(np.load(ypath) - Y_ref).max()) < 1e-12

    def dense_between(layers):
        layers.insert(2, {"class_name": "Dense", "config": {"name": "squeeze", "units": 64}})
    refused("summary", "--weights", edited_copy("between.h5", dense_between),
            mentions=["'squeeze' (Dense)", "'simple_rnn'", "'simple_rnn_1'"])


def test_layer_option_still_opens_one_layer():
    stacked = os.path.join(KERAS, "keras3_legacy_temperature_stacked_simple_rnn.h5")
    out = run("summary", "--weights", stacked, "--layer", "simple_rnn_1").stdout
    assert "Layers: SimpleRNN 'simple_rnn_1'" in out and "D=64 M=32 K=1," in out and "Stack:" not in out, out
    # A Bidirectional layer is one layer of a network: --layer cannot open it alone.
    refused("summary", "--weights", os.path.join(KERAS, "keras3_bidirectional_lstm.keras"), "--layer", "bidirectional",
            mentions=["Bidirectional"])
    # Commands that compute one layer say so, and how to open one.
    refused("grad", "--weights", stacked, mentions=[stacked, "2 recurrent layers", "--layer NAME"])
    run("summary", "--weights", stacked, "--layer", "simple_rnn")


def test_a_fixture_contradicted_by_options_is_refused_naming_both():
    stacked = os.path.join(KERAS, "keras3_legacy_temperature_stacked_simple_rnn.h5")
    refused("summary", "--weights", stacked, "--stack", "simplernn 64 seq, simplernn 16",
            mentions=["--stack's layer 2 (simple_rnn_1) has 16 units", "'simple_rnn_1' (SimpleRNN) has 32 units"])
    refused("summary", "--weights", stacked, "--stack", "simplernn 64 seq, lstm 32",
            mentions=["is LSTM", "is SimpleRNN"])
    refused("summary", "--weights", stacked, "--stack", "simplernn 64 seq", mentions=["1 layers", "2 recurrent layers"])
    refused("summary", "--weights", stacked, "--dims", "1,14,6,[64,16],1", mentions=["M2=16", "has 32 units"])
    refused("summary", "--weights", stacked, "--dims", "1,14,5,[64,32],1", mentions=["D=5", "reads D=6"])
    refused("summary", "--weights", stacked, "--dims", "1,14,6,[64,32],3", mentions=["K=3", "K=1"])
    refused("summary", "--weights", stacked, "--cell", "gru", mentions=["--cell gru", "SimpleRNN weights"])
    refused("summary", "--weights", os.path.join(KERAS, "keras3_bidirectional_lstm.keras"), "--stack", "lstm 64",
            mentions=["not Bidirectional", "Bidirectional (merge concat)"])
    # --stack's act=, rec= and reset_after= words are compared with the file's too; rec= on a
    # simplernn (no recurrent activation) is refused as it is typed.
    refused("summary", "--weights", stacked, "--stack", "simplernn 64 seq act=tanh, simplernn 32 act=relu",
            mentions=["--stack's layer 1 (simple_rnn) has act=tanh", "'simple_rnn' (SimpleRNN) has activation relu"])
    refused("summary", "--weights", os.path.join(KERAS, "dl4j_keras2_bidirectional_lstm.h5"), "--stack", "bi lstm 10 seq rec=sigmoid",
            mentions=["has rec=sigmoid", "has recurrent_activation hard_sigmoid_keras2"])
    refused("summary", "--weights", stacked, "--stack", "simplernn 64 seq act=relu rec=relu, simplernn 32 act=relu",
            mentions=["rec=relu", "simplernn has no recurrent activation"])
    refused("summary", "--stack", "simplernn 4 rec=sigmoid", "--dims", "1,5,3,4,2", mentions=["rec=sigmoid"])
    run("summary", "--weights", os.path.join(KERAS, "dl4j_keras2_bidirectional_lstm.h5"), "--stack",
        "bi lstm 10 seq act=tanh rec=hard_sigmoid_keras2")
    # What agrees opens; --return-sequences and --activation override the file, with a note.
    out = run("summary", "--weights", stacked, "--stack", "simplernn 64 seq act=relu, simplernn act=relu",
              "--dims", "2,14,6,[64,32],1").stdout
    assert "Dims: 2,14,6,[64,32],1" in out, out
    out = run("summary", "--weights", stacked, "--return-sequences", "--activation", "tanh").stdout
    assert "(None, 14, 1)" in out and "Stack: simplernn 64 seq, simplernn 32 seq\n" in out, out
    assert "--return-sequences: the top layer returns every step" in out and "--activation tanh overrides" in out, out


# ---- 2. PyTorch ------------------------------------------------------------------------------------

def save_state_dict(path, state_dict, X=None):
    arrays = {k: v.detach().numpy() for k, v in state_dict.items()}
    if X is not None:
        arrays["X"] = X
    np.savez(path, **arrays)


def pytorch_model(torch, kind, D, M, L, bidirectional, K, seed):
    torch.manual_seed(seed)
    rnn = getattr(torch.nn, kind)(D, M, num_layers=L, bidirectional=bidirectional, batch_first=True).double()
    fc = torch.nn.Linear(M * (2 if bidirectional else 1), K).double() if K else None
    return rnn, fc


def pytorch_outputs(torch, rnn, fc, X, sequences):
    with torch.no_grad():
        out, h = rnn(torch.from_numpy(X))
        h_n = h[0] if isinstance(h, tuple) else h
        if sequences:
            top = out
        elif rnn.bidirectional:
            top = torch.cat([h_n[-2], h_n[-1]], dim=-1)  # Keras's Bidirectional without return_sequences
        else:
            top = out[:, -1]
            assert torch.equal(top, h_n[-1])
        return (fc(top) if fc is not None else top).numpy()


CASES = [("LSTM", 3, False), ("GRU", 1, True), ("RNN", 2, True), ("GRU", 2, False)]


def test_pytorch_state_dicts_open_and_reproduce_pytorch():
    torch = need_torch()
    rng = np.random.default_rng(5)
    N, T, D, M, K = 3, 7, 4, 6, 2
    for kind, L, bi in CASES:
        rnn, fc = pytorch_model(torch, kind, D, M, L, bi, K, seed=L)
        X = rng.standard_normal((N, T, D))
        sd = {f"rnn.{k}": v for k, v in rnn.state_dict().items()}
        sd.update({f"fc.{k}": v for k, v in fc.state_dict().items()})
        wpath = tmp(f"torch_{kind}_{L}_{bi}.npz")
        save_state_dict(wpath, sd, X)
        out = run("summary", "--weights", wpath).stdout
        assert f"num_layers={L}" in out and ("bidirectional=True" in out) == bi, out
        for sequences in (False, True):
            Y_ref = pytorch_outputs(torch, rnn, fc, X, sequences)
            for dtype, tol in (("float64", 1e-10), ("float32", 1e-5)):
                ypath = tmp("y.npy")
                run("forward", "--weights", wpath, "--dtype", dtype, "--out", ypath,
                    *(["--return-sequences"] if sequences else []))
                Y = np.load(ypath)
                assert Y.shape == Y_ref.shape, (kind, L, bi, Y.shape, Y_ref.shape)
                diff = float(np.abs(Y - Y_ref).max())
                print(f"       nn.{kind}(num_layers={L}, bidirectional={bi}) + Linear, return_sequences={sequences}, "
                      f"{dtype}: max |Y − PyTorch| = {diff:.2e}")
                assert diff < tol, (kind, L, bi, sequences, dtype, diff)


def test_pytorch_without_linear_gives_the_top_layer():
    torch = need_torch()
    rnn, _ = pytorch_model(torch, "GRU", 3, 5, 1, True, 0, seed=11)
    X = np.random.default_rng(2).standard_normal((2, 6, 3))
    wpath = tmp("gru_bi.npz")
    save_state_dict(wpath, rnn.state_dict(), X)  # keys without a module prefix
    ypath = tmp("y.npy")
    run("forward", "--weights", wpath, "--dtype", "float64", "--out", ypath)
    diff = float(np.abs(np.load(ypath) - pytorch_outputs(torch, rnn, None, X, False)).max())
    assert diff < 1e-10, diff


def test_pytorch_without_module_prefix_keeps_its_linear():
    """A state_dict saved without module prefixes (weight_ih_l0, …) with its Linear as bare
    weight/bias or under a name of its own opens with the Linear, as one layer's does."""
    torch = need_torch()
    rnn, fc = pytorch_model(torch, "LSTM", 3, 5, 2, False, 2, seed=12)
    X = np.random.default_rng(6).standard_normal((2, 6, 3))
    Y_ref = pytorch_outputs(torch, rnn, fc, X, False)
    for linear in ("", "fc."):
        sd = dict(rnn.state_dict())
        sd.update({linear + k: v for k, v in fc.state_dict().items()})
        wpath, ypath = tmp("bare.npz"), tmp("y.npy")
        save_state_dict(wpath, sd, X)
        out = run("summary", "--weights", wpath).stdout
        assert "ignored" not in out and "Dims: 2,6,3,[5,5],2," in out, out
        run("forward", "--weights", wpath, "--dtype", "float64", "--out", ypath)
        Y = np.load(ypath)
        assert Y.shape == Y_ref.shape, (linear, Y.shape)
        assert float(np.abs(Y - Y_ref).max()) < 1e-10, linear
    # The same reader as one layer's: nn.GRU(num_layers=1) and a bare Linear.
    rnn1, fc1 = pytorch_model(torch, "GRU", 3, 5, 1, False, 2, seed=13)
    sd = dict(rnn1.state_dict())
    sd.update(fc1.state_dict())
    wpath, ypath = tmp("bare1.npz"), tmp("y1.npy")
    save_state_dict(wpath, sd, X)
    run("forward", "--weights", wpath, "--dtype", "float64", "--out", ypath)
    assert float(np.abs(np.load(ypath) - pytorch_outputs(torch, rnn1, fc1, X, False)).max()) < 1e-10


def test_a_state_dict_contradicted_by_stack_words_is_refused():
    torch = need_torch()
    rnn, fc = pytorch_model(torch, "GRU", 3, 6, 2, False, 2, seed=14)
    sd = {f"rnn.{k}": v for k, v in rnn.state_dict().items()}
    sd.update({f"fc.{k}": v for k, v in fc.state_dict().items()})
    save_state_dict(P["gru2.npz"], sd)
    refused("summary", "--weights", P["gru2.npz"], "--stack", "gru 6 seq reset_after=false, gru 6",
            mentions=["--stack's layer 1 (gru) has reset_after=false", "reset_after=True"])
    refused("summary", "--weights", P["gru2.npz"], "--stack", "gru 6 seq, gru 6 act=relu",
            mentions=["--stack's layer 2 (gru_1) has act=relu", "has activation tanh"])
    out = run("summary", "--weights", P["gru2.npz"], "--stack", "gru 6 seq reset_after=true rec=sigmoid, gru 6 act=tanh").stdout
    assert "Stack: gru 6 seq, gru 6\n" in out, out


def test_save_layout_pytorch_loads_into_pytorch_modules():
    """rnnscope's save --layout pytorch of a stack and of a Bidirectional network: load_state_dict
    (strict=True) into nn.LSTM(num_layers=3) / nn.GRU(bidirectional=True) + Linear, whose outputs
    equal rnnscope's forward."""
    torch = need_torch()
    rng = np.random.default_rng(9)
    N, T, D, M, K = 2, 6, 3, 5, 2
    for kind, stack, L, bi in (("LSTM", "lstm 5 seq, lstm 5 seq, lstm 5", 3, False),
                               ("GRU", "bi gru 5", 1, True),
                               ("GRU", "bi gru 5 seq, bi gru 5", 2, True),
                               ("RNN", "simplernn 5 seq, simplernn 5", 2, False)):
        units = ",".join(["5"] * L)
        common = ["--stack", stack, "--dims", f"{N},{T},{D},[{units}],{K}", "--dtype", "float64", "--seed", "4"]
        wpath, ypath, xpath = tmp("pt.npz"), tmp("y.npy"), tmp("x.npy")
        X = rng.standard_normal((N, T, D))
        np.save(xpath, X)
        run("save", wpath, *common, "--layout", "pytorch")
        run("forward", *common, "--input", xpath, "--out", ypath)
        with np.load(wpath) as z:
            sd = {k: torch.from_numpy(z[k]) for k in z.files}
        rnn, fc = pytorch_model(torch, kind, D, M, L, bi, K, seed=0)
        rnn.load_state_dict({k[4:]: v for k, v in sd.items() if k.startswith("rnn.")}, strict=True)
        fc.load_state_dict({k[3:]: v for k, v in sd.items() if k.startswith("fc.")}, strict=True)
        diff = float(np.abs(np.load(ypath) - pytorch_outputs(torch, rnn, fc, X, False)).max())
        print(f"       save --layout pytorch of '{stack}' in nn.{kind}: max |rnnscope − PyTorch| = {diff:.2e}")
        assert diff < 1e-10, (stack, diff)
        # and the file opens again as the same network
        y2 = tmp("y2.npy")
        run("forward", "--weights", wpath, "--input", xpath, "--dtype", "float64", "--out", y2)
        assert float(np.abs(np.load(y2) - np.load(ypath)).max()) < 1e-12


EMBEDDING_STACKS = [("embedding 20, lstm 5 seq, lstm 5", 2, "LSTM", False), ("embedding 20, gru 5", 1, "GRU", False),
                    ("embedding 20, bi gru 5 seq, bi gru 5", 2, "GRU", True)]


def test_save_layout_pytorch_of_an_embedding_network_opens_again():
    """save --layout pytorch of a network with an Embedding writes embedding.weight (V, D) before
    rnn.weight_ih_l0 …; the file opens as that network (one layer too), whose forward of the same
    token ids equals the original's, and loads strictly into nn.Embedding + the RNN + nn.Linear."""
    torch = need_torch()
    rng = np.random.default_rng(21)
    N, T, D, K, V = 3, 6, 4, 2, 20
    ids = rng.integers(0, V, size=(N, T))
    ipath = tmp("emb_pt_ids.npy")
    np.save(ipath, ids)
    for stack, L, kind, bi in EMBEDDING_STACKS:
        units = ",".join(["5"] * L)
        common = ["--stack", stack, "--dims", f"{N},{T},{D},[{units}],{K}", "--dtype", "float64", "--seed", "7"]
        wpath, y0, y1 = tmp("emb_pt.npz"), tmp("emb_y0.npy"), tmp("emb_y1.npy")
        run("save", wpath, *common, "--layout", "pytorch")
        with np.load(wpath) as z:
            assert z.files[0] == "embedding.weight" and z["embedding.weight"].shape == (V, D), z.files
            sd = {k: torch.from_numpy(z[k]) for k in z.files}
        out = run("summary", "--weights", wpath).stdout
        assert f"Stack: {stack}\n" in out and f"nn.Embedding({V}, {D})" in out and "ignored" not in out, out
        run("forward", *common, "--input", ipath, "--out", y0)
        run("forward", "--weights", wpath, "--input", ipath, "--dtype", "float64", "--out", y1)
        Y0, Y1 = np.load(y0), np.load(y1)
        assert Y0.shape == Y1.shape == (N, K), (stack, Y0.shape, Y1.shape)
        diff = float(np.abs(Y1 - Y0).max())
        assert diff < 1e-12, (stack, diff)
        emb = torch.nn.Embedding(V, D).double()
        rnn, fc = pytorch_model(torch, kind, D, 5, L, bi, K, seed=0)
        emb.load_state_dict({"weight": sd["embedding.weight"]}, strict=True)
        rnn.load_state_dict({k[4:]: v for k, v in sd.items() if k.startswith("rnn.")}, strict=True)
        fc.load_state_dict({k[3:]: v for k, v in sd.items() if k.startswith("fc.")}, strict=True)
        X = emb(torch.from_numpy(ids)).detach().numpy()
        diff = float(np.abs(Y1 - pytorch_outputs(torch, rnn, fc, X, False)).max())
        print(f"       save --layout pytorch of '{stack}' reopened: max |Y − PyTorch| = {diff:.2e}")
        assert diff < 1e-10, (stack, diff)


def test_pytorch_embedding_state_dicts_reproduce_pytorch():
    """A PyTorch module nn.Embedding → nn.LSTM / nn.GRU(batch_first=True) → nn.Linear, its state_dict
    saved with np.savez, opens with its Embedding and reproduces PyTorch's output for integer token
    ids: the table named embedding.weight (or any module name holding "embed"), or told by its shape
    as word_language_model's encoder.weight (V, D) without bias before decoder.weight, decoder.bias."""
    torch = need_torch()

    class Model(torch.nn.Module):
        def __init__(self, names, kind, V, D, M, L, K):
            super().__init__()
            self.names = names
            setattr(self, names[0], torch.nn.Embedding(V, D))
            setattr(self, names[1], getattr(torch.nn, kind)(D, M, num_layers=L, batch_first=True))
            setattr(self, names[2], torch.nn.Linear(M, K))

        def forward(self, ids):
            out, _ = getattr(self, self.names[1])(getattr(self, self.names[0])(ids))
            return getattr(self, self.names[2])(out[:, -1])

    rng = np.random.default_rng(23)
    N, T, V, D, M, K = 4, 7, 30, 5, 6, 3
    for names, kind, L in ((("embedding", "rnn", "fc"), "LSTM", 1), (("embedding", "lstm", "fc"), "LSTM", 2),
                           (("word_embed", "gru", "head"), "GRU", 2), (("encoder", "rnn", "decoder"), "LSTM", 1)):
        torch.manual_seed(len(names[0]) + L)
        model = Model(names, kind, V, D, M, L, K).double()
        ids = rng.integers(0, V, size=(N, T))
        with torch.no_grad():
            Y_ref = model(torch.from_numpy(ids)).numpy()
        wpath, ipath, ypath = tmp("torch_emb.npz"), tmp("torch_ids.npy"), tmp("torch_emb_y.npy")
        save_state_dict(wpath, model.state_dict())
        np.save(ipath, ids.astype(np.int64))
        out = run("summary", "--weights", wpath).stdout
        assert f"Stack: embedding {V}, " in out and f"nn.Embedding({V}, {D})" in out and "ignored" not in out, (names, out)
        for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
            run("forward", "--weights", wpath, "--input", ipath, "--dtype", dtype, "--out", ypath)
            Y = np.load(ypath)
            assert Y.shape == Y_ref.shape, (names, Y.shape)
            diff = float(np.abs(Y - Y_ref).max())
            print(f"       {names[0]}.weight + nn.{kind}(num_layers={L}) + {names[2]}, {dtype}: max |Y − PyTorch| = {diff:.2e}")
            assert diff < tol, (names, dtype, diff)
    # Tables that do not fit are refused naming them.
    model = Model(("embedding", "rnn", "fc"), "LSTM", V, D, M, 1, K).double()
    sd = dict(model.state_dict())
    sd["embedding.weight"] = torch.zeros(V, D + 1, dtype=torch.float64)
    save_state_dict(P["emb_wide.npz"], sd)
    refused("summary", "--weights", P["emb_wide.npz"], mentions=["embedding.weight has shape (30, 6)", "reads 5 features"])
    sd = dict(model.state_dict())
    sd["char_embedding.weight"] = torch.zeros(V, D, dtype=torch.float64)
    save_state_dict(P["emb_two.npz"], sd)
    refused("summary", "--weights", P["emb_two.npz"], mentions=["several Embeddings", "embedding.weight (30, 5)"])


def test_networks_without_a_pytorch_form_are_refused_saying_why():
    base = ["--dims", "1,4,3,[5,4],2"]
    refused("save", tmp("a.npz"), "--stack", "lstm 5 seq, lstm 4", *base, "--layout", "pytorch",
            mentions=["layer 2 (lstm_1)", "one size"])
    refused("save", tmp("a.npz"), "--stack", "bi=sum gru 5", "--dims", "1,4,3,5,2", "--layout", "pytorch",
            mentions=["sum", "concatenates"])
    refused("save", tmp("a.npz"), "--stack", "lstm 5 seq back, lstm 5", "--dims", "1,4,3,[5,5],2", "--layout", "pytorch",
            mentions=["backwards"])
    refused("save", tmp("a.npz"), "--stack", "lstm 5 seq, gru 5", "--dims", "1,4,3,[5,5],2", "--layout", "pytorch",
            mentions=["layer 2"])


def test_pytorch_state_dicts_that_do_not_fit_are_refused():
    torch = need_torch()
    rnn, fc = pytorch_model(torch, "LSTM", 3, 4, 2, False, 2, seed=3)
    sd = dict(rnn.state_dict())
    del sd["weight_hh_l1"]
    save_state_dict(P["bad.npz"], sd)
    refused("summary", "--weights", P["bad.npz"], mentions=["weight_hh_l1"])
    sd = dict(rnn.state_dict())
    sd["weight_ih_l1"] = torch.zeros(16, 5, dtype=torch.float64)
    save_state_dict(P["bad2.npz"], sd)
    refused("summary", "--weights", P["bad2.npz"], mentions=["bad2.npz", "(16, 5)"])
    # A gap in the layers, or _reverse keys for only some, is refused naming the key missing, not
    # opened as the layers below it with the rest ignored.
    rnn3, _ = pytorch_model(torch, "LSTM", 3, 4, 3, False, 0, seed=3)
    sd = {f"rnn.{k}": v for k, v in rnn3.state_dict().items() if "_l1" not in k}
    save_state_dict(P["gap.npz"], sd)
    refused("summary", "--weights", P["gap.npz"], mentions=["'rnn.weight_ih_l1'", "rnn.weight_ih_l2", "3 layers"])
    bi2, _ = pytorch_model(torch, "GRU", 3, 4, 2, True, 0, seed=3)
    sd = {k: v for k, v in bi2.state_dict().items() if not k.endswith("_l1_reverse")}
    save_state_dict(P["half_reverse.npz"], sd)
    refused("summary", "--weights", P["half_reverse.npz"], mentions=["'weight_ih_l1_reverse'", "bidirectional"])
    sd = dict(rnn.state_dict())
    sd["bias_ih_l1_reverse"] = torch.zeros(16, dtype=torch.float64)
    save_state_dict(P["stray_reverse.npz"], sd)
    refused("summary", "--weights", P["stray_reverse.npz"], mentions=["'weight_ih_l0_reverse'", "bias_ih_l1_reverse"])
    # A message about a layer above the first names the file's key.
    sd = {f"rnn.{k}": v for k, v in rnn.state_dict().items()}
    sd["rnn.bias_ih_l1"] = torch.zeros(12, dtype=torch.float64)
    save_state_dict(P["bias_l1.npz"], sd)
    refused("summary", "--weights", P["bias_l1.npz"], mentions=["rnn.bias_ih_l1 has shape (12,)"])
    proj = torch.nn.LSTM(3, 4, num_layers=2, proj_size=2)
    save_state_dict(P["proj.npz"], proj.state_dict())
    refused("summary", "--weights", P["proj.npz"], mentions=["proj_size"])


# ---- 3. Positional .npz of a stack ---------------------------------------------------------------

def test_positional_stacks_are_told_from_their_shapes():
    """np.savez(*get_weights()) of a stack, as rnnscope save writes it (Keras's order), opens as the
    same network: every cell, with and without the Dense."""
    for stack, dims, K in (("lstm 6 seq, lstm 4", "2,5,3,[6,4],2", 2),
                           ("gru 6 seq, simplernn 3 seq, lstm 5", "2,5,3,[6,3,5],1", 1),
                           ("simplernn 4 seq, gru 7", "2,5,3,[4,7],0", 0)):
        common = ["--stack", stack, "--dims", dims, "--dtype", "float64", "--seed", "2"]
        wpath, y1, y2, xpath = tmp("pos.npz"), tmp("y1.npy"), tmp("y2.npy"), tmp("x.npy")
        np.save(xpath, np.random.default_rng(3).standard_normal((2, 5, 3)))
        run("save", wpath, *common)
        run("forward", *common, "--input", xpath, "--out", y1)
        out = run("summary", "--weights", wpath).stdout
        assert "a positional stack of" in out and f"Stack: {stack}\n" in out, out
        run("forward", "--weights", wpath, "--input", xpath, "--dtype", "float64", "--out", y2)
        assert float(np.abs(np.load(y1) - np.load(y2)).max()) == 0.0, stack


def test_ambiguous_positional_stacks_are_refused_with_the_reason():
    rng = np.random.default_rng(0)
    f = lambda *s: rng.standard_normal(s)
    # A Bidirectional LSTM(4) on 3 features: two triples that read the same 3 features.
    np.savez(P["bi.npz"], f(3, 16), f(4, 16), f(16), f(3, 16), f(4, 16), f(16), f(8, 2), f(2))
    refused("summary", "--weights", P["bi.npz"], mentions=["arr_3 (3, 16)", "Bidirectional", "Keras file"])
    # Two LSTM(4) on 4 features without a Dense: a stack or a Bidirectional layer, the shapes do not tell.
    np.savez(P["same.npz"], f(4, 16), f(4, 16), f(16), f(4, 16), f(4, 16), f(16))
    refused("summary", "--weights", P["same.npz"], mentions=["arr_3…arr_5", "do not tell"])
    # With a Dense that reads 4 features they are a stack (a concatenating Bidirectional returns 8).
    np.savez(P["same_dense.npz"], f(4, 16), f(4, 16), f(16), f(4, 16), f(4, 16), f(16), f(4, 1), f(1))
    out = run("summary", "--weights", P["same_dense.npz"]).stdout
    assert "Stack: lstm 4 seq, lstm 4\n" in out and "merges with sum, mul or ave" in out, out
    # Not a chain at all.
    np.savez(P["chain.npz"], f(3, 16), f(4, 16), f(16), f(5, 8), f(2, 8), f(8))
    refused("summary", "--weights", P["chain.npz"], mentions=["arr_3 (5, 8)", "returns 4"])
    # Leftovers that are neither a layer nor a Dense.
    np.savez(P["tail.npz"], f(3, 16), f(4, 16), f(16), f(4, 4), f(4, 4), f(4), f(2, 2))
    refused("summary", "--weights", P["tail.npz"], mentions=["tail.npz"])


if __name__ == "__main__":
    sys.exit(clitest.main(globals()))
