#!/usr/bin/env python3
"""The LSTM and GRU cells (and SimpleRNN) of the command line (DESIGN §1, §3) checked from outside,
against a float64 NumPy loop written here and against PyTorch itself.

Usage: /usr/bin/python3 tests/test_cells.py BUILD/app/rnnscope SHARED_DIR

The NumPy loop is Keras 3's maths in the row-vector convention (reference/RECURRENT-LAYERS.md §1.1):
LSTM gate blocks i, f, c, o; GRU blocks z, r, h with reset_after=True (bias (2, 3M), the reset gate
applied to h₋·R_h + b_rec) and reset_after=False (bias (3M,), (r⊙h₋)·R_h). The conversions to and
from PyTorch's nn.RNN / nn.LSTM / nn.GRU follow §1.6 and §1.7 (GRU rows r, z, n). PyTorch is
required: without it the PyTorch tests fail, they are not skipped.
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

import clitest
from clitest import ACTIVATIONS, DENSE_ACTIVATIONS, dense_output, refused, run

TMP = tempfile.mkdtemp(prefix="rnnscope-cells-")


def tmp(name):
    return os.path.join(TMP, name)


def fresh(name):
    """tmp(name), with no file left there by an earlier run (so a file that is read was written now)."""
    path = tmp(name)
    if os.path.exists(path):
        os.remove(path)
    return path


def need_torch():
    """PyTorch, or a failure that says what is missing (never a silent skip)."""
    try:
        import torch
    except ImportError as e:
        raise AssertionError(f"PyTorch cannot be imported ({e}); these tests need it: "
                             f"apt-get install python3-torch") from None
    torch.set_num_threads(1)  # small problems; leave the other core to whoever else runs
    return torch


# ---- The reference: Keras's cells as a float64 NumPy loop -----------------------------------------

GATES = {"simplernn": 1, "lstm": 4, "gru": 3}


def cell_forward(cell, X, W, U, b, activation="tanh", recurrent_activation="sigmoid", reset_after=True):
    """H (N,T,M) and, for an LSTM, C (N,T,M) of one Keras recurrent layer; h₋₁ = c₋₁ = 0."""
    a, s = ACTIVATIONS[activation], ACTIVATIONS[recurrent_activation]
    N, T, _ = X.shape
    M = U.shape[0]
    assert U.shape == (M, GATES[cell] * M)
    h, c = np.zeros((N, M)), np.zeros((N, M))
    H, C = np.zeros((N, T, M)), np.zeros((N, T, M))
    for t in range(T):
        x = X[:, t]
        if cell == "simplernn":
            h = a(x @ W + h @ U + b)
        elif cell == "lstm":
            z = x @ W + h @ U + b
            i, f = s(z[:, :M]), s(z[:, M:2 * M])
            g, o = a(z[:, 2 * M:3 * M]), s(z[:, 3 * M:])
            c = f * c + i * g
            h = o * a(c)
        elif reset_after:  # GRU, Keras 3 / tf.keras default; b is (2, 3M)
            xz = x @ W + b[0]
            hz = h @ U + b[1]
            z = s(xz[:, :M] + hz[:, :M])
            r = s(xz[:, M:2 * M] + hz[:, M:2 * M])
            hh = a(xz[:, 2 * M:] + r * hz[:, 2 * M:])
            h = z * h + (1 - z) * hh
        else:  # GRU reset_after=False (Keras 2.1.5–2.3, Keras 1); b is (3M,)
            xz = x @ W + b
            z = s(xz[:, :M] + h @ U[:, :M])
            r = s(xz[:, M:2 * M] + h @ U[:, M:2 * M])
            hh = a(xz[:, 2 * M:] + (r * h) @ U[:, 2 * M:])
            h = z * h + (1 - z) * hh
        H[:, t], C[:, t] = h, c
    return H, (C if cell == "lstm" else None)


def model_forward(cell, X, weights, sequences=False, dense_activation="linear", **cell_options):
    """Y as `rnnscope forward` writes it, H, C: Input((T, D)) → cell → Dense(K) (K = 0: no Dense)."""
    H, C = cell_forward(cell, X, *weights[:3], **cell_options)
    out = H if sequences else H[:, -1]
    if len(weights) == 3:
        return out, H, C
    Wo, bo = weights[3:]
    return dense_output(out @ Wo + bo, dense_activation, f"{cell} sequences={sequences}"), H, C


def as_float32(arrays):
    """What a float32 model computes on: the values rounded to float32 (held in float64)."""
    return [a.astype(np.float32).astype(np.float64) for a in arrays]


def draw_weights(rng, cell, D, M, K, reset_after=True):
    """Keras-layout weights (get_weights() order) scaled so no gate saturates: x·W and h·U have
    standard deviations around 0.5; biases are nonzero so that their layout matters."""
    g = GATES[cell]
    W = rng.uniform(-1, 1, (D, g * M)) / np.sqrt(D)
    U = rng.uniform(-1, 1, (M, g * M)) / np.sqrt(M)
    b = rng.uniform(-0.4, 0.4, (2, g * M) if cell == "gru" and reset_after else (g * M,))
    weights = [W, U, b]
    if K:
        weights += [rng.uniform(-1, 1, (M, K)) / np.sqrt(M), rng.uniform(-0.3, 0.3, K)]
    return weights


def cell_args(cell, reset_after=True):
    return ["--cell", cell] + ([] if reset_after else ["--no-reset-after"])


def label(cell, reset_after):
    return cell if reset_after else "gru(reset_after=False)"


def forward(*args, cell_state=False):
    """Runs `rnnscope forward ARGS --out --hidden [--cell-state]` and returns Y, H, C (C None)."""
    paths = [fresh("y.npy"), fresh("h.npy"), fresh("c.npy")]
    extra = ["--out", paths[0], "--hidden", paths[1]] + (["--cell-state", paths[2]] if cell_state else [])
    run("forward", *args, *extra)
    return np.load(paths[0]), np.load(paths[1]), (np.load(paths[2]) if cell_state else None)


def max_err(a, b):
    assert a.shape == b.shape, f"shape {a.shape}, expected {b.shape}"
    return float(np.abs(np.asarray(a, np.float64) - b).max())


# PyTorch's gate rows r, z, n from Keras's column blocks z, r, h.
def gru_perm(M):
    return np.r_[M:2 * M, 0:M, 2 * M:3 * M]


def keras_to_torch_rows(cell, a, M):
    """A Keras (·, gM) kernel or (gM,) bias → PyTorch's row order (the same array for SimpleRNN/LSTM)."""
    return a[..., gru_perm(M)] if cell == "gru" else a


# ---- 1. forward against the NumPy loop ------------------------------------------------------------

CELLS = [("simplernn", True), ("lstm", True), ("gru", True), ("gru", False)]


def check_forward_case(rng, cell, reset_after, dims, sequences, activation="tanh",
                       recurrent_activation="sigmoid", dense_activation="linear", with_cell_args=True):
    N, T, D, M, K = dims
    weights = draw_weights(rng, cell, D, M, K, reset_after)
    X = rng.standard_normal((N, T, D))
    np.savez(tmp("w.npz"), *weights)
    np.save(tmp("x.npy"), X)
    options = dict(activation=activation, recurrent_activation=recurrent_activation, reset_after=reset_after)
    what = (f"{label(cell, reset_after)} dims={dims} sequences={sequences} activation={activation} "
            f"recurrent_activation={recurrent_activation} dense={dense_activation}")
    lstm = cell == "lstm"
    for dtype, tol in [("float64", 1e-12), ("float32", 1e-5)]:
        args = ["--weights", tmp("w.npz"), "--input", tmp("x.npy"), "--dtype", dtype, "--activation", activation]
        if cell != "simplernn":
            args += ["--recurrent-activation", recurrent_activation]
        if K:
            args += ["--dense-activation", dense_activation]
        if with_cell_args:
            args += cell_args(cell, reset_after)
        if sequences:
            args.append("--return-sequences")
        Y, H, C = forward(*args, cell_state=lstm)
        # Keras computes a float32 model on float32 weights and inputs.
        ref_X, ref_w = (X, weights) if dtype == "float64" else (as_float32([X])[0], as_float32(weights))
        ref_Y, ref_H, ref_C = model_forward(cell, ref_X, ref_w, sequences, dense_activation, **options)
        want_Y = (N, T, K or M) if sequences else (N, K or M)
        assert Y.shape == want_Y, f"{what} {dtype}: Y {Y.shape}, expected {want_Y}"
        assert H.shape == (N, T, M), f"{what} {dtype}: H {H.shape}"
        for name, got in [("Y", Y), ("H", H)] + ([("C", C)] if lstm else []):
            assert got.dtype == np.dtype(dtype), f"{what}: {name} is {got.dtype}, expected {dtype}"
        err = max(max_err(Y, ref_Y), max_err(H, ref_H), max_err(C, ref_C) if lstm else 0.0)
        assert err < tol, f"{what} {dtype}: max error {err:.3g} ≥ {tol}"


def test_forward_every_cell_against_numpy_loop():
    """Every cell × return_sequences on/off × K = 0 and K > 0 × float32/float64, Y, H and C."""
    rng = np.random.default_rng(20260311)
    for cell, reset_after in CELLS:
        for dims in [(3, 7, 4, 5, 2), (3, 7, 4, 5, 0)]:
            for sequences in (False, True):
                check_forward_case(rng, cell, reset_after, dims, sequences)
        # a longer sequence, wider layer
        check_forward_case(rng, cell, reset_after, (2, 30, 8, 16, 3), sequences=cell == "lstm")


def test_forward_activation_choices_against_numpy_loop():
    rng = np.random.default_rng(77)
    dims = (3, 7, 4, 5, 2)
    cases = [  # cell, reset_after, sequences, activation, recurrent_activation, dense_activation
        ("lstm", True, False, "tanh", "hard_sigmoid", "linear"),
        ("lstm", True, True, "tanh", "hard_sigmoid_keras2", "linear"),
        ("gru", True, False, "tanh", "hard_sigmoid", "linear"),
        ("gru", True, True, "tanh", "hard_sigmoid_keras2", "linear"),
        ("gru", False, False, "tanh", "hard_sigmoid_keras2", "linear"),  # a Keras 2.2 default GRU
        ("gru", False, True, "tanh", "hard_sigmoid", "linear"),
        ("lstm", True, False, "relu", "sigmoid", "linear"),
        ("gru", True, False, "relu", "sigmoid", "linear"),
        ("lstm", True, True, "tanh", "sigmoid", "softmax"),
        ("gru", True, False, "tanh", "sigmoid", "tanh"),
        ("lstm", True, False, "sigmoid", "tanh", "relu"),
        ("simplernn", True, True, "relu", "sigmoid", "softmax"),
    ]
    for cell, reset_after, sequences, activation, recurrent_activation, dense_activation in cases:
        check_forward_case(rng, cell, reset_after, dims, sequences, activation, recurrent_activation,
                           dense_activation)


def test_forward_dense_activations_against_numpy_loop():
    """The Dense layer's relu, sigmoid, tanh and softmax (over the K outputs of each sample, or of
    each sample and timestep), each with return_sequences on and off (after an LSTM for one, a GRU
    for the other, in turn), both dtypes."""
    rng = np.random.default_rng(4242)
    for i, dense_activation in enumerate(DENSE_ACTIVATIONS):
        for sequences in (False, True):
            cell = ("lstm", "gru")[(i + sequences) % 2]
            check_forward_case(rng, cell, True, (3, 6, 4, 5, 3), sequences, dense_activation=dense_activation)


def test_cell_told_from_the_file_shapes():
    """Without --cell / --no-reset-after, a positional file fixes the cell: (M, gM) recurrent kernel,
    a GRU bias (2, 3M) for reset_after and (3M,) for reset_after=False."""
    rng = np.random.default_rng(5)
    for cell, reset_after in CELLS:
        check_forward_case(rng, cell, reset_after, (2, 6, 3, 4, 2), sequences=False, with_cell_args=False)
    np.savez(tmp("w_lstm.npz"), *draw_weights(rng, "lstm", 3, 5, 2))
    out = run("summary", "--weights", tmp("w_lstm.npz")).stdout
    assert "lstm (LSTM)" in out and "180" in out, out
    np.savez(tmp("w_gru_old.npz"), *draw_weights(rng, "gru", 3, 5, 2, reset_after=False))
    out = run("summary", "--weights", tmp("w_gru_old.npz")).stdout
    assert "gru (GRU)" in out and "135" in out, out


# ---- 2. save: the Keras layout, and a round trip --------------------------------------------------

def test_save_keras_layout_shapes_and_order():
    expected = {("simplernn", True): [(3, 5), (5, 5), (5,)],
                ("lstm", True): [(3, 20), (5, 20), (20,)],
                ("gru", True): [(3, 15), (5, 15), (2, 15)],
                ("gru", False): [(3, 15), (5, 15), (15,)]}
    for (cell, reset_after), shapes in expected.items():
        for dims, dense, dtype in [("1,10,3,5,2", [(5, 2), (2,)], "float32"), ("1,10,3,5,0", [], "float64")]:
            path = tmp(f"save_{cell}_{reset_after}_{dtype}.npz")
            run("save", path, "--dims", dims, *cell_args(cell, reset_after), "--seed", "11", "--dtype", dtype)
            z = np.load(path)
            what = f"{label(cell, reset_after)} --dims {dims}"
            assert list(z.keys()) == [f"arr_{i}" for i in range(len(shapes + dense))], (what, list(z.keys()))
            w = list(z.values())
            assert [a.shape for a in w] == shapes + dense, (what, [a.shape for a in w])
            assert all(a.dtype == np.dtype(dtype) for a in w), (what, [a.dtype for a in w])
            # Keras's initializers: glorot_uniform kernel (fan_in D, fan_out gM), orthogonal
            # recurrent kernel with orthonormal rows, zero biases but the LSTM's forget block (1).
            g = GATES[cell]
            assert np.abs(w[0]).max() <= np.sqrt(6 / (3 + g * 5)) * (1 + 1e-6), what
            R = w[1].astype(np.float64)
            assert np.abs(R @ R.T - np.eye(5)).max() < 1e-5, what
            bias = np.zeros(shapes[2])
            if cell == "lstm":
                bias[5:10] = 1
            assert np.array_equal(w[2], bias), (what, w[2])


def test_save_then_forward_round_trip():
    """The saved file and the seed give the same model: same Y, H (and C)."""
    for cell, reset_after in CELLS:
        for dtype, tol in [("float64", 1e-12), ("float32", 1e-6)]:
            common = ["--dims", "2,8,3,5,2", "--seed", "7", "--dtype", dtype, "--return-sequences"]
            path = tmp(f"rt_{cell}_{reset_after}_{dtype}.npz")
            run("save", path, *common, *cell_args(cell, reset_after))
            lstm = cell == "lstm"
            seeded = forward(*common, *cell_args(cell, reset_after), cell_state=lstm)
            loaded = forward(*common, "--weights", path, cell_state=lstm)  # the cell from the file
            for name, a, b in zip("YHC", seeded, loaded):
                if a is not None:
                    err = max_err(b, a)
                    assert err < tol, f"{label(cell, reset_after)} {dtype}: {name} differs by {err:.3g}"


# ---- 3. save --layout pytorch, run by PyTorch ------------------------------------------------------

def torch_modules(torch, cell, state_dict, nonlinearity="tanh"):
    """nn.RNN/LSTM/GRU(batch_first=True) and nn.Linear (or None), float64, from `rnn.`/`fc.` keys."""
    rnn_sd = {k[len("rnn."):]: torch.from_numpy(np.array(v)) for k, v in state_dict.items() if k.startswith("rnn.")}
    fc_sd = {k[len("fc."):]: torch.from_numpy(np.array(v)) for k, v in state_dict.items() if k.startswith("fc.")}
    D, M = rnn_sd["weight_ih_l0"].shape[1], rnn_sd["weight_hh_l0"].shape[1]
    if cell == "simplernn":
        rnn = torch.nn.RNN(D, M, batch_first=True, nonlinearity=nonlinearity)
    else:
        rnn = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](D, M, batch_first=True)
    rnn.double().load_state_dict(rnn_sd)
    fc = None
    if fc_sd:
        fc = torch.nn.Linear(M, fc_sd["weight"].shape[0]).double()
        fc.load_state_dict(fc_sd)
    return rnn, fc


def torch_forward(torch, rnn, fc, X, sequences):
    """Y as rnnscope writes it (Dense on output[:, -1], or on every step), H, and the LSTM's c_n."""
    with torch.no_grad():
        out, state = rnn(torch.from_numpy(np.asarray(X, np.float64)))
        last = out if sequences else out[:, -1]
        Y = fc(last) if fc is not None else last
        c_n = state[1][0].numpy() if isinstance(state, tuple) else None
    return Y.numpy(), out.numpy(), c_n


def check_pytorch_layout(torch, cell, keras_file_args, model_args, X, sequences, tol, activation="tanh"):
    """`save --layout pytorch` of a model, its keys and their relation to the Keras layout, and that
    PyTorch runs it to the numbers `rnnscope forward` gives."""
    dtype = model_args[model_args.index("--dtype") + 1]
    model_args = [*model_args, "--activation", activation]
    what = f"{cell} {' '.join(keras_file_args + model_args)} sequences={sequences}"
    run("save", fresh("pt.npz"), "--layout", "pytorch", *keras_file_args, *model_args)
    run("save", fresh("k.npz"), *keras_file_args, *model_args)
    t, k = dict(np.load(tmp("pt.npz"))), dict(np.load(tmp("k.npz")))
    has_dense = "arr_3" in k
    keys = ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0"]
    assert list(t.keys()) == keys + (["fc.weight", "fc.bias"] if has_dense else []), (what, list(t.keys()))
    assert all(a.dtype == np.dtype(dtype) for a in t.values()), (what, [a.dtype for a in t.values()])
    D, gM = k["arr_0"].shape
    M = k["arr_1"].shape[0]
    assert t["rnn.weight_ih_l0"].shape == (gM, D) and t["rnn.weight_hh_l0"].shape == (gM, M), what
    assert t["rnn.bias_ih_l0"].shape == (gM,) and t["rnn.bias_hh_l0"].shape == (gM,), what
    assert np.array_equal(t["rnn.weight_ih_l0"], keras_to_torch_rows(cell, k["arr_0"], M).T), what
    assert np.array_equal(t["rnn.weight_hh_l0"], keras_to_torch_rows(cell, k["arr_1"], M).T), what
    if cell == "gru":
        assert np.array_equal(t["rnn.bias_ih_l0"], keras_to_torch_rows(cell, k["arr_2"][0], M)), what
        assert np.array_equal(t["rnn.bias_hh_l0"], keras_to_torch_rows(cell, k["arr_2"][1], M)), what
    else:
        assert np.array_equal(t["rnn.bias_ih_l0"], k["arr_2"]) and not t["rnn.bias_hh_l0"].any(), what
    if has_dense:
        K = k["arr_3"].shape[1]
        assert t["fc.weight"].shape == (K, M) and np.array_equal(t["fc.weight"], k["arr_3"].T), what
        assert np.array_equal(t["fc.bias"], k["arr_4"]), what
    rnn, fc = torch_modules(torch, cell, t, nonlinearity=activation)
    ref_Y, ref_H, ref_c = torch_forward(torch, rnn, fc, X, sequences)
    np.save(tmp("ptx.npy"), X)
    args = [*keras_file_args, *model_args, "--input", tmp("ptx.npy")]
    Y, H, C = forward(*args, *(["--return-sequences"] if sequences else []), cell_state=cell == "lstm")
    err = max(max_err(Y, ref_Y), max_err(H, ref_H), max_err(C[:, -1], ref_c) if cell == "lstm" else 0.0)
    assert err < tol, f"{what}: rnnscope and PyTorch differ by {err:.3g} ≥ {tol}"


def test_save_pytorch_layout_runs_in_pytorch():
    torch = need_torch()
    rng = np.random.default_rng(314)
    for cell in ("simplernn", "lstm", "gru"):
        for dtype, tol in [("float64", 1e-10), ("float32", 1e-5)]:
            # (a) the seeded model (Keras's initializers); X rounded to float32 so that both dtypes
            # and PyTorch see the same input
            X = as_float32([rng.standard_normal((2, 6, 3))])[0]
            check_pytorch_layout(torch, cell, ["--seed", "5", "--dims", "2,6,3,5,2", "--cell", cell],
                                 ["--dtype", dtype], X, sequences=False, tol=tol)
            # (b) NumPy's weights with nonzero biases (both GRU bias rows), every step through the Dense
            weights = as_float32(draw_weights(rng, cell, 4, 6, 3))
            np.savez(tmp(f"ptw_{cell}.npz"), *weights)
            X = as_float32([rng.standard_normal((3, 9, 4))])[0]
            check_pytorch_layout(torch, cell, ["--weights", tmp(f"ptw_{cell}.npz")], ["--dtype", dtype], X,
                                 sequences=True, tol=tol)
    # nn.RNN(nonlinearity='relu') is SimpleRNN(activation='relu') exactly; K = 0: no fc keys.
    weights = as_float32(draw_weights(rng, "simplernn", 4, 6, 0))
    np.savez(tmp("ptw_relu.npz"), *weights)
    check_pytorch_layout(torch, "simplernn", ["--weights", tmp("ptw_relu.npz")], ["--dtype", "float64"],
                         rng.standard_normal((3, 9, 4)), sequences=True, tol=1e-10, activation="relu")
    weights = as_float32(draw_weights(rng, "lstm", 4, 6, 0))
    np.savez(tmp("ptw_lstm0.npz"), *weights)
    check_pytorch_layout(torch, "lstm", ["--weights", tmp("ptw_lstm0.npz")], ["--dtype", "float64"],
                         rng.standard_normal((3, 9, 4)), sequences=False, tol=1e-10)


# ---- 4. PyTorch's modules read by rnnscope --------------------------------------------------------

def torch_state_npz(path, parts):
    """np.savez of state_dicts, each under its prefix: {"rnn.": module, "fc.": module}."""
    arrays = {}
    for prefix, module in parts.items():
        arrays.update({prefix + k: v.detach().numpy() for k, v in module.state_dict().items()})
    np.savez(path, **arrays)
    return arrays


def test_pytorch_state_dict_read_by_rnnscope():
    torch = need_torch()
    rng = np.random.default_rng(2718)
    N, T, D, M, K = 3, 12, 4, 6, 3
    X = rng.standard_normal((N, T, D))
    np.save(tmp("tx.npy"), X)
    for i, cell in enumerate(("simplernn", "lstm", "gru")):
        torch.manual_seed(100 + i)
        make = {"simplernn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
        rnn, fc = make(D, M, batch_first=True).double(), torch.nn.Linear(M, K).double()
        arrays = torch_state_npz(tmp(f"torch_{cell}.npz"), {"rnn.": rnn, "fc.": fc})
        for sequences in (False, True):
            ref_Y, ref_H, ref_c = torch_forward(torch, rnn, fc, X, sequences)
            args = ["--weights", tmp(f"torch_{cell}.npz"), "--input", tmp("tx.npy"), "--dtype", "float64"]
            Y, H, C = forward(*args, *(["--return-sequences"] if sequences else []), cell_state=cell == "lstm")
            err = max(max_err(Y, ref_Y), max_err(H, ref_H), max_err(C[:, -1], ref_c) if cell == "lstm" else 0.0)
            assert err < 1e-10, f"nn.{make.__name__} sequences={sequences}: rnnscope differs by {err:.3g}"
        # Converted to Keras's layout: an nn.LSTM's two biases summed; an nn.GRU is a reset_after GRU
        # with bias rows (input, recurrent) in z, r, h order.
        run("save", fresh("tk.npz"), "--weights", tmp(f"torch_{cell}.npz"), "--dtype", "float64")
        k = np.load(tmp("tk.npz"))
        perm = np.argsort(gru_perm(M)) if cell == "gru" else np.arange(GATES[cell] * M)  # rows r,z,n → z,r,h
        assert np.array_equal(k["arr_0"], arrays["rnn.weight_ih_l0"][perm].T), cell
        assert np.array_equal(k["arr_1"], arrays["rnn.weight_hh_l0"][perm].T), cell
        b_ih, b_hh = arrays["rnn.bias_ih_l0"][perm], arrays["rnn.bias_hh_l0"][perm]
        if cell == "gru":
            assert k["arr_2"].shape == (2, 3 * M) and np.array_equal(k["arr_2"], np.stack([b_ih, b_hh])), cell
        else:
            assert np.abs(k["arr_2"] - (b_ih + b_hh)).max() < 1e-15, cell
        assert np.array_equal(k["arr_3"], arrays["fc.weight"].T) and np.array_equal(k["arr_4"], arrays["fc.bias"])
        # the summary names the cell read from the state_dict; nn.GRU has Keras's reset_after count
        out = run("summary", "--weights", tmp(f"torch_{cell}.npz")).stdout
        params = {"simplernn": M * (D + M + 1), "lstm": 4 * M * (D + M + 1), "gru": 3 * M * (D + M + 2)}[cell]
        row = {"simplernn": "simple_rnn (SimpleRNN)", "lstm": "lstm (LSTM)", "gru": "gru (GRU)"}[cell]
        assert row in out and str(params) in out, (cell, params, out)

    # Bare names (a module saved alone), no Linear: Y is the layer's output.
    torch.manual_seed(7)
    gru = torch.nn.GRU(D, M, batch_first=True).double()
    torch_state_npz(tmp("torch_bare.npz"), {"": gru})
    ref_Y, ref_H, _ = torch_forward(torch, gru, None, X, False)
    Y, H, _ = forward("--weights", tmp("torch_bare.npz"), "--input", tmp("tx.npy"), "--dtype", "float64")
    assert max(max_err(Y, ref_Y), max_err(H, ref_H)) < 1e-10
    # Other module names: `lstm.` and a Linear called `head`; float32 as PyTorch trains.
    torch.manual_seed(8)
    lstm, head = torch.nn.LSTM(D, M, batch_first=True), torch.nn.Linear(M, K)
    torch_state_npz(tmp("torch_named.npz"), {"lstm.": lstm, "head.": head})
    with torch.no_grad():
        out, (_, c_n) = lstm(torch.from_numpy(X.astype(np.float32)))
        ref_Y = head(out[:, -1]).double().numpy()
    Y, H, C = forward("--weights", tmp("torch_named.npz"), "--input", tmp("tx.npy"), cell_state=True)
    assert Y.dtype == np.float32
    err = max(max_err(Y, ref_Y), max_err(H, out.double().numpy()), max_err(C[:, -1], c_n[0].double().numpy()))
    assert err < 1e-5, f"float32 nn.LSTM: rnnscope differs by {err:.3g}"


# ---- 5. refusals ---------------------------------------------------------------------------------

def test_refusals():
    rng = np.random.default_rng(9)
    np.savez(tmp("ref_gru.npz"), *draw_weights(rng, "gru", 3, 5, 2))
    np.savez(tmp("ref_lstm.npz"), *draw_weights(rng, "lstm", 3, 5, 2))
    # No exact PyTorch form: GRU reset_after=False, and LSTM/GRU activations other than tanh/sigmoid.
    for args, mention in [(["--cell", "gru", "--no-reset-after"], "reset"),
                          (["--cell", "lstm", "--recurrent-activation", "hard_sigmoid"], "hard_sigmoid"),
                          (["--cell", "gru", "--recurrent-activation", "hard_sigmoid_keras2"], "hard_sigmoid_keras2"),
                          (["--cell", "lstm", "--activation", "relu"], "relu"),
                          (["--cell", "gru", "--activation", "relu"], "relu")]:
        refused("save", fresh("refused.npz"), "--layout", "pytorch", *args, mentions=[mention])
        assert not os.path.exists(tmp("refused.npz")), args
    # A --cell that contradicts the file: both named.
    refused("forward", "--cell", "lstm", "--weights", tmp("ref_gru.npz"), "--out", tmp("r.npy"),
            mentions_any_case=["lstm", "gru"])
    refused("summary", "--cell", "simplernn", "--weights", tmp("ref_lstm.npz"), mentions_any_case=["simplernn", "lstm"])
    refused("summary", "--no-reset-after", "--weights", tmp("ref_gru.npz"), mentions=["reset"])
    # --cell-state is the LSTM's alone.
    for cell in ("gru", "simplernn"):
        refused("forward", "--cell", cell, "--out", tmp("r.npy"), "--cell-state", tmp("rc.npy"),
                mentions_any_case=[cell])
        assert not os.path.exists(tmp("rc.npy"))
    refused("forward", "--weights", tmp("ref_gru.npz"), "--out", tmp("r.npy"), "--cell-state", tmp("rc.npy"),
            mentions_any_case=["gru"])
    # Unknown names.
    refused("summary", "--cell", "lstm", "--recurrent-activation", "bogus", mentions=["bogus"])
    refused("summary", "--cell", "transformer", mentions=["transformer"])
    refused("summary", "--cell", "lstm", "--activation", "bogus", mentions=["bogus"])


# ---- 6. summary ----------------------------------------------------------------------------------

def test_summary_lstm_and_gru():
    cases = [
        (["--cell", "lstm"], ["lstm (LSTM)", "(None, 5)", "180", "dense (Dense)", "(None, 2)", "12",
                              "Total params: 192 (768.00 B)"]),
        (["--cell", "gru"], ["gru (GRU)", "(None, 5)", "150", "Total params: 162 (648.00 B)"]),
        (["--cell", "gru", "--no-reset-after"], ["gru (GRU)", "135", "Total params: 147 (588.00 B)"]),
        (["--cell", "lstm", "--return-sequences", "--dtype", "float64"],
         ["lstm (LSTM)", "(None, 10, 5)", "(None, 10, 2)", "Total params: 192 (1.50 KB)"]),
        (["--cell", "lstm", "--dims", "1,10,64,128,10"],  # 4·128·(64+128+1); Dense 128·10+10
         ["lstm (LSTM)", "(None, 128)", "98,816", "1,290", "Total params: 100,106 (391.04 KB)"]),
        (["--cell", "gru", "--dims", "1,10,64,128,0"], ["gru (GRU)", "74,496", "Total params: 74,496 (291.00 KB)"]),
    ]
    for args, wanted in cases:
        out = run("summary", *args).stdout
        for s in wanted:
            assert s in out, f"{s!r} not in the summary of {' '.join(args)}:\n{out}"
        assert "simple_rnn" not in out, out
    out = run("summary", "--cell", "gru", "--dims", "1,10,64,128,0").stdout
    assert "dense" not in out, out


if __name__ == "__main__":
    sys.exit(clitest.main(globals()))
