#!/usr/bin/env python3
"""The command line of rnnscope (DESIGN §3) checked from outside, against NumPy.

Usage: /usr/bin/python3 tests/test_cli.py BUILD/app/rnnscope SHARED_DIR

Every file rnnscope writes is read back with numpy; every forward pass is compared with a plain
float64 NumPy loop of h_t = act(x_t·Wx + h_{t-1}·Wh + bh) on weights and inputs NumPy drew.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

import clitest
from clitest import BIN, DENSE_ACTIVATIONS, ENV, SHARED, numpy_forward, random_case, refused, run

NUMPY_FIXTURES = os.path.join(SHARED, "fixtures", "numpy")
TMP = tempfile.mkdtemp(prefix="rnnscope-cli-")


def tmp(name):
    return os.path.join(TMP, name)


# ---------------------------------------------------------------------------------------------

def test_help_and_version():
    assert "summary" in run("--help").stdout
    assert run("--version").stdout.startswith("rnnscope ")


def test_summary_classic():
    out = run("summary").stdout
    for s in ["input (InputLayer)", "(None, 10, 3)", "simple_rnn (SimpleRNN)", "(None, 5)", "45",
              "dense (Dense)", "(None, 2)", "12", "Total params: 57 (228.00 B)"]:
        assert s in out, f"{s!r} not in summary:\n{out}"


def test_summary_return_sequences_and_float64():
    out = run("summary", "--dims", "4,50,8,32,3", "--return-sequences", "--dtype", "float64").stdout
    # 8·32 + 32·32 + 32 = 1312; 32·3 + 3 = 99; total 1411 · 8 bytes (Keras 3 prints "1,411")
    for s in ["(None, 50, 32)", "1,312", "(None, 50, 3)", "99", "Total params: 1,411 (11.02 KB)"]:
        assert s in out, f"{s!r} not in summary:\n{out}"
    out = run("summary", "--dims", "1,3,5,2,0").stdout
    assert "dense" not in out and "Total params: 16 " in out


def test_bad_dims():
    refused("summary", "--dims", "0,10,3,5,2", mentions=["N=0", "1 ≤ N"])
    refused("summary", "--dims", "1,10,3,-5,2", mentions=["M=-5"])
    refused("summary", "--dims", "1,10,3,5,-1", mentions=["K=-1"])
    refused("summary", "--dims", "1,10,3", mentions=["'1,10,3'", "N,T,D,M,K"])
    refused("summary", "--dims", "1,ten,3,5,2", mentions=["'ten'"])
    refused("summary", "--dims", "", mentions=["--dims"])
    refused("summary", "--dims", "1,10,3,99999999,2", mentions=["M=99999999"])
    refused("forward", "--dims", "100000,100000,512,512,10", "--out", tmp("y.npy"),
            mentions=["N=100000", "budget"])
    assert not os.path.exists(tmp("y.npy"))


def test_bad_options():
    refused("summary", "--dtype", "float16", mentions=["'float16'", "float32"])
    refused("summary", "--activation", "softmax", mentions=["'softmax'"])
    refused("summary", "--activation", "gelu", mentions=["'gelu'"])
    refused("summary", "--seed", "-3", mentions=["'-3'"])
    refused("summary", "--no-such-option", mentions=["no-such-option"])
    refused("trace", "--sample", "5", mentions=["5", "0 ≤ n ≤ 0"])
    refused("frobnicate-xyz", mentions=["frobnicate-xyz"])
    refused("forward", mentions=["--out"])
    refused("bench", "--repeat", "0", mentions=["--repeat"])
    refused("summary", "extra", mentions=["extra"])


def test_missing_and_wrong_files():
    refused("summary", "--weights", tmp("nope.npz"), mentions=["nope.npz"])
    refused(tmp("nope.npz"), mentions=["nope.npz", "does not exist"])
    refused("summary", "--weights", os.path.join(NUMPY_FIXTURES, "kernel.npy"), mentions=["kernel.npy", ".npy"])
    refused("summary", "--weights", os.path.join(NUMPY_FIXTURES, "bad_shape_mismatch.npz"), mentions=["(5, 4)"])
    refused("summary", "--input", os.path.join(NUMPY_FIXTURES, "bad_X_rank4.npy"), mentions=["(1, 2, 4, 3)"])
    for bad in ["bad_truncated.npz", "bad_not_zip.npz", "bad_npz_with_pickle.npz", "bad_missing_key.npz"]:
        refused("summary", "--weights", os.path.join(NUMPY_FIXTURES, bad), mentions=[bad])


def test_dims_contradicting_files():
    w = os.path.join(NUMPY_FIXTURES, "weights_named.npz")
    line = refused("summary", "--dims", "1,10,4,5,2", "--weights", w, mentions=["D=4", "(3, 5)"])
    assert "D=3" in line
    refused("summary", "--dims", "1,10,3,6,2", "--weights", w, mentions=["M=6", "M=5"])
    x = os.path.join(NUMPY_FIXTURES, "X.npy")
    refused("summary", "--dims", "3,4,3,5,2", "--input", x, mentions=["N=3", "(2, 4, 3)"])
    refused("summary", "--weights", w, "--input", os.path.join(NUMPY_FIXTURES, "bad_X_feature_mismatch.npy"),
            mentions=["(2, 4, 4)", "D=3"])
    # Files fix what they hold; the rest keeps its defaults.
    out = run("summary", "--weights", w).stdout
    assert "(None, 10, 3)" in out and "Total params: 57" in out
    out = run("summary", "--weights", w, "--input", x).stdout
    assert "(None, 4, 3)" in out
    run("summary", "--dims", "2,4,3,5,2", "--weights", w, "--input", x)


def test_forward_matches_numpy_fixture():
    m = json.load(open(os.path.join(NUMPY_FIXTURES, "manifest.json")))
    f = m["forward_float64"]
    for dtype, tol in [("float64", 1e-12), ("float32", 1e-5)]:
        run("forward", "--weights", os.path.join(NUMPY_FIXTURES, "model_and_input.npz"), "--dtype", dtype,
            "--out", tmp("y.npy"), "--hidden", tmp("h.npy"))
        Y, H = np.load(tmp("y.npy")), np.load(tmp("h.npy"))
        assert Y.dtype == np.dtype(dtype) and H.dtype == np.dtype(dtype)
        assert np.abs(H - np.array(f["H"])).max() < tol
        assert np.abs(Y - np.array(f["Y_last"])).max() < tol
    run("forward", "--weights", os.path.join(NUMPY_FIXTURES, "weights_positional.npz"), "--input",
        os.path.join(NUMPY_FIXTURES, "X_f8.npy"), "--return-sequences", "--dtype", "float64", "--out", tmp("ys.npy"))
    assert np.abs(np.load(tmp("ys.npy")) - np.array(f["Y_sequences"])).max() < 1e-12


def test_forward_random_cases_against_numpy_loop():
    """Random weights and inputs NumPy drew, every activation of the cell and of the Dense layer
    (softmax over the last axis: the K outputs of a sample, or of a sample at a timestep)."""
    rng = np.random.default_rng(20261122)
    cases = [(1, 10, 3, 5, 2, "tanh", False, "linear"), (4, 25, 6, 16, 3, "tanh", True, "linear"),
             (3, 40, 2, 32, 1, "relu", False, "linear"), (2, 12, 5, 8, 0, "sigmoid", True, "linear"),
             (5, 7, 4, 9, 0, "linear", False, "linear"), (8, 60, 8, 64, 10, "tanh", False, "linear")]
    cases += [(3, 9, 4, 6, 3, "tanh", sequences, dense) for dense in DENSE_ACTIVATIONS for sequences in (False, True)]
    for N, T, D, M, K, activation, sequences, dense in cases:
        X, Wx, Wh, bh, Wo, bo = random_case(rng, N, T, D, M, K)
        arrays = [Wx, Wh, bh] + ([Wo, bo] if K else [])
        np.savez(tmp("w.npz"), *arrays)
        np.save(tmp("x.npy"), X)
        what = (N, T, D, M, K, activation, sequences, dense)
        for dtype, tol in [("float64", 1e-12), ("float32", 1e-5)]:
            args = ["forward", "--weights", tmp("w.npz"), "--input", tmp("x.npy"), "--dtype", dtype,
                    "--activation", activation, "--out", tmp("y.npy"), "--hidden", tmp("h.npy")]
            if K:
                args += ["--dense-activation", dense]
            if sequences:
                args.append("--return-sequences")
            run(*args)
            # Keras computes on float32 weights and inputs
            ref_arrays = [a.astype(np.float32).astype(np.float64) if dtype == "float32" and a is not None else a
                          for a in (X, Wx, Wh, bh, Wo, bo)]
            ref = numpy_forward(*ref_arrays, activation=activation, sequences=sequences, dense_activation=dense)
            Y, H = np.load(tmp("y.npy")), np.load(tmp("h.npy"))
            assert Y.shape == ref[0].shape, (what, Y.shape, ref[0].shape)
            assert H.shape == (N, T, M)
            err = max(np.abs(Y - ref[0]).max(), np.abs(H - ref[1]).max())
            assert err < tol, f"{what + (dtype,)}: max error {err}"


def test_nan_weights_propagate():
    """NaN and ±Inf are propagated as NumPy propagates them, and each one is seen: a NaN in sample 0's
    input poisons sample 0 from that step on and no other sample; a NaN in Wo poisons output 1 of every
    sample; +Inf in bo makes output 0 +Inf wherever the rest is finite; -Inf in Wx saturates tanh."""
    rng = np.random.default_rng(1)
    X, Wx, Wh, bh, Wo, bo = random_case(rng, 3, 5, 3, 4, 3)
    X[0, 2, 1] = np.nan
    Wo[2, 1] = np.nan
    bo[0] = np.inf
    Wx[1, 3] = -np.inf
    np.savez(tmp("nan.npz"), Wx, Wh, bh, Wo, bo)
    np.save(tmp("x.npy"), X)
    for sequences in (False, True):
        run("forward", "--weights", tmp("nan.npz"), "--input", tmp("x.npy"), "--dtype", "float64",
            "--out", tmp("y.npy"), "--hidden", tmp("h.npy"), *(["--return-sequences"] if sequences else []))
        H, Y = np.load(tmp("h.npy")), np.load(tmp("y.npy"))
        ref_Y, ref_H = numpy_forward(X, Wx, Wh, bh, Wo, bo, sequences=sequences)
        # What the reference itself says, so that the comparison below cannot be NaN against NaN only.
        assert np.isnan(ref_H[0, 2:]).all() and np.isfinite(ref_H[0, :2]).all() and np.isfinite(ref_H[1:]).all()
        assert (np.abs(ref_H[1:, :, 3]) == 1).all() and np.isinf(ref_Y).any()
        Y_last = Y[:, -1] if sequences else Y
        assert np.isnan(Y_last[0]).all(), Y_last[0]  # sample 0: NaN from t = 2 on
        assert (Y_last[1:, 0] == np.inf).all(), Y_last[:, 0]  # +Inf in bo, seen where the rest is finite
        assert np.isnan(Y_last[:, 1]).all(), Y_last[:, 1]  # NaN in Wo[2, 1]
        assert np.isfinite(Y_last[1:, 2]).all(), Y_last[:, 2]
        assert (np.abs(H[1:, :, 3]) == 1).all(), H[1:, :, 3]  # x·(-Inf) saturates tanh: ±1 exactly
        for name, got, want in [("H", H, ref_H), ("Y", Y, ref_Y)]:
            assert got.shape == want.shape, (name, got.shape, want.shape)
            assert np.array_equal(np.isnan(got), np.isnan(want)), (name, sequences)
            assert np.array_equal(np.isposinf(got), np.isposinf(want)), (name, sequences)
            assert np.array_equal(np.isneginf(got), np.isneginf(want)), (name, sequences)
            finite = np.isfinite(want)
            assert np.abs(got[finite] - want[finite]).max() < 1e-12, (name, sequences)


def test_save_keras_layout_loads_in_numpy():
    run("save", tmp("w.npz"), "--dims", "1,10,3,5,2", "--seed", "3")
    z = np.load(tmp("w.npz"))
    assert list(z.keys()) == ["arr_0", "arr_1", "arr_2", "arr_3", "arr_4"]
    weights = list(z.values())  # what model.set_weights takes
    assert [w.shape for w in weights] == [(3, 5), (5, 5), (5,), (5, 2), (2,)]
    assert all(w.dtype == np.float32 for w in weights)
    Wh = weights[1].astype(np.float64)
    assert np.abs(Wh.T @ Wh - np.eye(5)).max() < 1e-6  # orthogonal, like Keras's default
    limit = np.sqrt(6 / (3 + 5))
    assert np.abs(weights[0]).max() <= limit  # glorot_uniform
    assert not weights[2].any()
    # The same seed gives the same file, byte for byte.
    run("save", tmp("w2.npz"), "--dims", "1,10,3,5,2", "--seed", "3")
    assert all(np.array_equal(a, b) for a, b in zip(np.load(tmp("w2.npz")).values(), weights))
    # And those weights give the forward pass of the seeded model.
    run("forward", "--seed", "3", "--dtype", "float64", "--out", tmp("y1.npy"))
    run("forward", "--seed", "3", "--dtype", "float64", "--weights", tmp("w.npz"), "--out", tmp("y2.npy"))
    assert np.abs(np.load(tmp("y1.npy")) - np.load(tmp("y2.npy"))).max() < 1e-6
    run("save", tmp("w64.npz"), "--dtype", "float64", "--dims", "2,3,4,6,0")
    z = np.load(tmp("w64.npz"))
    assert [a.shape for a in z.values()] == [(4, 6), (6, 6), (6,)] and z["arr_0"].dtype == np.float64


def test_save_pytorch_layout():
    run("save", tmp("t.npz"), "--layout", "pytorch", "--seed", "5", "--dtype", "float64")
    run("save", tmp("k.npz"), "--seed", "5", "--dtype", "float64")
    t, k = np.load(tmp("t.npz")), np.load(tmp("k.npz"))
    assert list(t.keys()) == ["rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0",
                              "fc.weight", "fc.bias"]
    assert np.array_equal(t["rnn.weight_ih_l0"], k["arr_0"].T)
    assert np.array_equal(t["rnn.weight_hh_l0"], k["arr_1"].T)
    assert np.array_equal(t["rnn.bias_ih_l0"] + t["rnn.bias_hh_l0"], k["arr_2"])
    assert np.array_equal(t["fc.weight"], k["arr_3"].T)
    # rnnscope reads the PyTorch names back to the same model.
    run("forward", "--weights", tmp("t.npz"), "--dtype", "float64", "--out", tmp("yt.npy"))
    run("forward", "--weights", tmp("k.npz"), "--dtype", "float64", "--out", tmp("yk.npy"))
    assert np.array_equal(np.load(tmp("yt.npy")), np.load(tmp("yk.npy")))
    refused("save", tmp("x.npz"), "--layout", "tensorflow", mentions=["'tensorflow'"])
    refused("save", tmp("x.txt"), mentions=["x.txt", ".npz"])


def test_trace_worked_example():
    out = run("trace", "--dtype", "float64").stdout
    for s in ["t = 0", "t = 9", "x_9 · Wx", "(1×3)·(3×5) → (1×5)", "h_8 · Wh", "(1×5)·(5×5) → (1×5)",
              "a_9 (pre-activation)", "h_9 = tanh(a_9)", "y_9 = h_9·Wo + bo", "(1×5)·(5×2) → (1×2)"]:
        assert s in out, f"{s!r} not in trace"
    # The trace's numbers are the forward pass's (6 decimals).
    run("forward", "--dtype", "float64", "--out", tmp("y.npy"), "--hidden", tmp("h.npy"))
    H = np.load(tmp("h.npy"))
    line = next(l for l in out.splitlines() if "h_9 = tanh(a_9)" in l)
    values = np.array([float(v) for v in line.split("[")[1].split("]")[0].split()])
    assert np.abs(values - H[0, 9]).max() < 1e-6
    # The first step of the published worked example: pre-activation and h_0.
    case = json.load(open(os.path.join(SHARED, "reference", "seed_cases.json")))["cases"][2]
    Wx = np.array(case["weights"]["Wx"], dtype=np.float32)
    np.savez(tmp("ex.npz"), Wx, np.zeros((2, 2), np.float32), np.zeros(2, np.float32))
    np.save(tmp("ex_x.npy"), np.array(case["X"], dtype=np.float32))
    out = run("trace", "--weights", tmp("ex.npz"), "--input", tmp("ex_x.npy")).stdout
    pre = next(l for l in out.splitlines() if "a_0 (pre-activation)" in l)
    h0 = next(l for l in out.splitlines() if "h_0 = tanh(a_0)" in l)
    parse = lambda l: np.array([float(v) for v in l.split("[")[1].split("]")[0].split()])
    assert np.abs(parse(pre) - case["expected_preactivation_t0"][0]).max() < 1e-6
    assert np.abs(parse(h0) - case["expected_h_t0"][0]).max() < 1e-6


def test_bench_json():
    out = run("bench", "--dims", "2,20,4,8,2", "--repeat", "5", "--json").stdout
    j = json.loads(out)
    assert j["dims"] == [2, 20, 4, 8, 2] and j["dtype"] == "float32" and j["repeat"] == 5
    assert j["seconds_median"] > 0
    flops = 2 * 2 * 20 * (4 * 8 + 8 * 8) + 2 * 2 * 8 * 2
    assert abs(j["gflops"] - flops / j["seconds_median"] / 1e9) < 1e-3 * j["gflops"]
    assert "GFLOP/s" in run("bench", "--repeat", "3", "--dtype", "float64").stdout


KERAS_FIXTURES = os.path.join(SHARED, "fixtures", "keras")
KERAS_REFUSED = ("refuse_unsupported_layer", "not_a_model")
# A Bidirectional wrapper or several recurrent layers open whole as a network (tests/test_network_files.py
# checks them in depth); --layer NAME opens one layer alone.
# An Embedding before the recurrent layer opens with it, as a network (--layer still opens the layer alone).
KERAS_NETWORKS = ("load_network", "refuse_or_pick_stacked", "load_with_embedding")


def keras_activation(name, fixture):
    """An activation of a fixture's config as rnnscope names it: hard_sigmoid is Keras 1 and 2's
    clip(0.2x + 0.5, 0, 1) (hard_sigmoid_keras2) in files their versions wrote."""
    if name == "hard_sigmoid" and not fixture["keras_version"].startswith("3."):
        return "hard_sigmoid_keras2"
    return name


def test_summary_keras_fixtures():
    """Each Keras fixture opens (exit 0, the first recurrent layer and what the config says) or is
    refused (exit 2, one line naming the file) as expected.json says; a network opens whole, every
    recurrent layer named."""
    expected = json.load(open(os.path.join(KERAS_FIXTURES, "expected.json")))
    for f in expected["fixtures"]:
        path = os.path.join(KERAS_FIXTURES, f["file"])
        entries = f.get("simple_rnn", []) + f.get("rnn", [])
        if f["suggested_app_behavior"] in KERAS_REFUSED:
            refused("summary", "--weights", path, mentions=[f["file"]])
            continue
        out = run("summary", "--weights", path).stdout
        if f["suggested_app_behavior"] in KERAS_NETWORKS:
            assert "Stack: " in out and "Layers: '" in out, out
            for e in entries:
                assert f"'{e['layer']}'" in out, (e, out)
            continue
        first = entries[0]
        assert f"Layers: {first.get('class', 'SimpleRNN')} '{first['layer']}'" in out, out
        if "D" in first:
            assert f"D={first['D']} M={first['M']} " in out, out
        else:
            assert f" M={first['M']} " in out, out
        if first.get("T") is not None:
            assert f" T={first['T']} " in out, out
        if first.get("dense"):
            assert f"Dense '{first['dense']['layer']}'" in out and f"K={first['dense']['K']}," in out, out
        elif "dense" in first:
            assert "K=0," in out, out
        if "activation" in first:
            assert f"activation={keras_activation(first['activation'], f)}" in out, out
        if "recurrent_activation" in first:
            assert f"recurrent_activation={keras_activation(first['recurrent_activation'], f)}" in out, out
        if "reset_after" in first:
            assert f"reset_after={first['reset_after']}" in out, out
        if len(entries) > 1:
            assert "--layer" in out, out


def test_keras_layer_option():
    stacked = os.path.join(KERAS_FIXTURES, "keras3_temperature_stacked_simple_rnn.keras")
    out = run("summary", "--weights", stacked, "--layer", "simple_rnn_1").stdout
    assert "SimpleRNN 'simple_rnn_1'" in out and "D=64 M=32 K=1," in out, out
    refused("summary", "--weights", stacked, "--layer", "lstm", mentions=["'lstm'", "'simple_rnn'", "'simple_rnn_1'"])
    out = run("summary", "--weights", stacked, "--layer", "simple_rnn", "--activation", "tanh").stdout
    assert "activation=tanh" in out and "--activation tanh overrides the file's relu" in out, out
    # Without --layer the file opens whole, and --activation overrides every layer's.
    out = run("summary", "--weights", stacked, "--activation", "tanh").stdout
    assert "Stack: simplernn 64 seq, simplernn 32\n" in out and "--activation tanh overrides" in out, out
    # --layer does not apply to an .npz (one SimpleRNN): a note says so.
    out = run("summary", "--weights", os.path.join(NUMPY_FIXTURES, "weights_named.npz"), "--layer", "x").stdout
    assert "--layer 'x' does not apply" in out, out


def test_forward_keras_dl4j_reference():
    """Keras's own predictions (DL4J's reference file) from the Keras 2.1.3 model file, to 1e-5."""
    import h5py
    with h5py.File(os.path.join(KERAS_FIXTURES, "keras2_dl4j_simple_rnn_inputs_and_outputs.h5"), "r") as ref:
        X = ref["inputs/simple_rnn_1_input"][()]
        predictions = ref["predictions/dense_1"][()]
        activations = ref["activations/simple_rnn_1"][()]
    np.save(tmp("dl4j_x.npy"), X)
    model = os.path.join(KERAS_FIXTURES, "keras2_dl4j_simple_rnn_model.h5")
    run("forward", "--weights", model, "--input", tmp("dl4j_x.npy"), "--out", tmp("dl4j_y.npy"),
        "--hidden", tmp("dl4j_h.npy"))
    Y, H = np.load(tmp("dl4j_y.npy")), np.load(tmp("dl4j_h.npy"))
    assert Y.shape == (25, 1) and Y.dtype == np.float32 and H.shape == (25, 1, 50)
    assert np.abs(Y - predictions).max() < 1e-5, np.abs(Y - predictions).max()
    assert np.abs(H[:, -1] - activations).max() < 1e-5
    # The save_weights() file of the same model gives the same output.
    run("forward", "--weights", os.path.join(KERAS_FIXTURES, "keras2_dl4j_simple_rnn_weights.h5"), "--input",
        tmp("dl4j_x.npy"), "--out", tmp("dl4j_y2.npy"))
    assert np.array_equal(np.load(tmp("dl4j_y2.npy")), Y)


def test_forward_keras1_lstm_reference():
    """Keras 1.2.2's own LSTM predictions from its model file (12 per-gate arrays, hard_sigmoid as
    Keras 1 computed it), to 1e-5."""
    import h5py
    with h5py.File(os.path.join(KERAS_FIXTURES, "keras1_dl4j_lstm_inputs_and_outputs.h5"), "r") as ref:
        np.save(tmp("keras1_lstm_x.npy"), ref["inputs/lstm_input_1"][()])
        predictions = ref["predictions/dense_1"][()]
        activations = ref["activations/lstm_1"][()]
    run("forward", "--weights", os.path.join(KERAS_FIXTURES, "keras1_dl4j_lstm_model.h5"), "--input", tmp("keras1_lstm_x.npy"),
        "--out", tmp("keras1_lstm_y.npy"), "--hidden", tmp("keras1_lstm_h.npy"))
    Y, H = np.load(tmp("keras1_lstm_y.npy")), np.load(tmp("keras1_lstm_h.npy"))
    assert Y.shape == (100, 1) and H.shape == (100, 1, 50)
    assert np.abs(Y - predictions).max() < 1e-5, np.abs(Y - predictions).max()
    assert np.abs(H[:, -1] - activations).max() < 1e-5


def session_array(values):
    """A session's nested list as float64, its "nan", "inf" and "-inf" strings included."""
    return np.array(values, dtype=np.float64)


def test_save_session_holds_the_saved_weights():
    for dtype in ("float32", "float64"):
        run("save", tmp("s.json"), "--dims", "2,4,3,5,2", "--seed", "3", "--dtype", dtype, "--return-sequences")
        run("save", tmp("s.npz"), "--dims", "2,4,3,5,2", "--seed", "3", "--dtype", dtype)
        with open(tmp("s.json")) as f:
            s = json.load(f)
        assert s["format"] == "rnnscope-session" and s["version"] == 2, s
        assert s["dims"] == {"N": 2, "T": 4, "D": 3, "M": 5, "K": 2} and s["dtype"] == dtype and s["seed"] == 3
        assert s["return_sequences"] is True and s["activation"] == "tanh" and s["dense_activation"] == "linear"
        assert s["timestep"] == -1 and s["sample"] == 0 and s["view"]["layout"] == "keras"
        z = np.load(tmp("s.npz"))
        for key, name in zip(["arr_0", "arr_1", "arr_2", "arr_3", "arr_4"], ["Wx", "Wh", "bh", "Wo", "bo"]):
            w = session_array(s["weights"][name])
            assert w.shape == z[key].shape, (name, w.shape, z[key].shape)
            # The session keeps the full double; the .npz holds it in the model's dtype.
            assert np.array_equal(w.astype(z[key].dtype), z[key]), name
            if dtype == "float64":
                assert np.array_equal(w, z[key]), name
        assert session_array(s["X"]).shape == (2, 4, 3)
    # The layout of the weight views, and a model without Dense.
    run("save", tmp("t.json"), "--layout", "pytorch", "--dims", "1,3,2,4,0")
    with open(tmp("t.json")) as f:
        t = json.load(f)
    assert t["view"]["layout"] == "pytorch"
    assert session_array(t["weights"]["Wo"]).shape == (4, 0) and t["weights"]["bo"] == []
    # It opens (here: renders) as it was saved.
    run("screenshot", tmp("t.png"), tmp("s.json"))
    assert open(tmp("t.png"), "rb").read(8) == b"\x89PNG\r\n\x1a\n"


def test_save_session_keeps_nan_inf_and_every_bit():
    rng = np.random.default_rng(3)
    X, Wx, Wh, bh, Wo, bo = random_case(rng, 2, 5, 3, 4, 2)
    Wh[1, 2], bo[0], Wx[0, 0], bh[1] = np.nan, np.inf, -np.inf, -0.0
    np.savez(tmp("special.npz"), Wx, Wh, bh, Wo, bo)
    np.save(tmp("special_x.npy"), X)
    run("save", tmp("special.json"), "--weights", tmp("special.npz"), "--input", tmp("special_x.npy"))
    with open(tmp("special.json")) as f:
        s = json.load(f)
    assert s["weights"]["Wh"][1][2] == "nan" and s["weights"]["bo"][0] == "inf" and s["weights"]["Wx"][0][0] == "-inf"
    assert s["dtype"] == "float32"  # the model computes in float32, and the file keeps every double
    for name, ref in zip(["Wx", "Wh", "bh", "Wo", "bo"], [Wx, Wh, bh, Wo, bo]):
        got = session_array(s["weights"][name])
        assert np.array_equal(got, ref, equal_nan=True), name
        assert np.array_equal(np.signbit(got), np.signbit(ref)), name
    assert np.array_equal(session_array(s["X"]), X)


def test_session_file_refused_before_any_window():
    """rnnscope FILE.json with a damaged session: exit 2, one line naming the file, and no window: run
    without any display, a window would abort the process instead."""
    run("save", tmp("good.json"))
    good = open(tmp("good.json")).read()
    cases = {
        "truncated.json": (good[: len(good) // 2], ["truncated.json", "ends early"]),
        "newer.json": (good.replace('"version": 2', '"version": 99'), ["newer.json", "version 99", "newer"]),
        "notjson.json": ("hello", ["notjson.json", "not valid JSON"]),
        "shape.json": (good.replace('"M": 5', '"M": 6'), ["shape.json", "weights.Wx has shape (3, 5), but D=3, M=6 needs (3, 6)"]),
        "missing.json": (good.replace('"dtype": "float32",', ""), ["missing.json", "'dtype' is missing"]),
        "budget.json": (good.replace('"N": 1, "T": 10', '"N": 1048576, "T": 1048576'), ["budget.json", "budget"]),
        "other.json": ('{"name": "not a session"}', ["other.json", "not a rnnscope session"]),
    }
    no_display = {k: v for k, v in ENV.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    for name, (text, mentions) in cases.items():
        with open(tmp(name), "w") as f:
            f.write(text)
        p = subprocess.run([BIN, tmp(name)], capture_output=True, text=True, env=no_display, timeout=60)
        lines = p.stderr.strip().splitlines()
        assert p.returncode == 2, (name, p.returncode, p.stderr)
        assert len(lines) == 1, (name, lines)
        for m in mentions:
            assert m in lines[0], (name, m, lines[0])
    refused("screenshot", tmp("x.png"), tmp("newer.json"), mentions=["version 99"])
    assert not os.path.exists(tmp("x.png"))
    # A session fixes the whole model: model options do not apply; it is not a weights file.
    refused(tmp("good.json"), "--dims", "1,2,3,4,5", mentions=["--dims", "good.json"])
    refused("summary", "--weights", tmp("good.json"), mentions=["good.json", "session"])
    refused("save", tmp("x.txt"), mentions=["x.txt", ".npz", ".json"])


if __name__ == "__main__":
    sys.exit(clitest.main(globals()))
