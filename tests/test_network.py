#!/usr/bin/env python3
"""Stacked and Bidirectional networks of the command line (--stack, --dims N,T,D,[M1,M2,…],K) checked
from outside, against a float64 NumPy implementation written here.

Usage: /usr/bin/python3 tests/test_network.py BUILD/app/rnnscope SHARED_DIR

The reference follows Keras 3 (reference/RECURRENT-LAYERS.md §1.5, K3 `bidirectional.py`): a layer
reads the sequence under it; go_backwards reads x_{T−1} … x_0 and returns its states in that
order; Bidirectional runs a forward copy and a go_backwards copy, flips the backward outputs back
when it returns sequences, and merges (concat forward first, sum, mul, ave); without
return_sequences it merges the forward h_{T−1} with the backward state after x_0. A Dense on a
sequence applies at every timestep. The weights are those `rnnscope save` writes in Keras's
get_weights() order, so the test also checks that order.
"""
import itertools
import os
import subprocess
import sys
import tempfile

import numpy as np

import clitest
from clitest import dense_output, refused, run
from test_cells import GATES, cell_forward, need_torch

TMP = tempfile.mkdtemp(prefix="rnnscope-network-")


def fresh(name):
    path = os.path.join(TMP, name)
    if os.path.exists(path):
        os.remove(path)
    return path


# ---- The reference ------------------------------------------------------------------------------

def parse_layer(text):
    """The few words of --stack this test writes: cell, units, seq, back, bi[=merge], act=, rec=."""
    layer = {"seq": False, "back": False, "bi": False, "merge": "concat", "act": "tanh", "rec": "sigmoid",
             "reset_after": True}
    for word in text.split():
        if word in GATES:
            layer["cell"] = word
        elif word.isdigit():
            layer["units"] = int(word)
        elif word in ("seq", "back"):
            layer[word] = True
        elif word.startswith("bi"):
            layer["bi"] = True
            if "=" in word:
                layer["merge"] = word.split("=")[1]
        elif word.startswith("act="):
            layer["act"] = word[4:]
        elif word.startswith("rec="):
            layer["rec"] = word[4:]
        elif word == "reset_after=false":
            layer["reset_after"] = False
        else:
            raise ValueError(word)
    return layer


def merge(mode, f, b):
    return {"concat": lambda: np.concatenate([f, b], axis=-1), "sum": lambda: f + b, "mul": lambda: f * b,
            "ave": lambda: (f + b) / 2}[mode]()


def network_forward(stack, X, arrays, K, dense_activation="linear"):
    """Y (as predict) and the top layer's sequence of Input → layers → Dense(K), from get_weights() arrays."""
    layers = [parse_layer(t) for t in stack.split(",")]
    arrays = list(arrays)
    seq_in = X
    out = top_seq = None
    for layer in layers:
        def run_direction(backwards):
            W, U, b = arrays.pop(0), arrays.pop(0), arrays.pop(0)
            Xin = seq_in[:, ::-1] if backwards else seq_in
            H, _ = cell_forward(layer["cell"], Xin, W, U, b, activation=layer["act"],
                                recurrent_activation=layer["rec"], reset_after=layer["reset_after"])
            return H  # in processing order
        Hf = run_direction(layer["back"])
        if layer["bi"]:
            Hb = run_direction(not layer["back"])
            top_seq = merge(layer["merge"], Hf, Hb[:, ::-1])
            out = top_seq if layer["seq"] else merge(layer["merge"], Hf[:, -1], Hb[:, -1])
        else:
            top_seq = Hf
            out = Hf if layer["seq"] else Hf[:, -1]
        seq_in = out
    if K == 0:
        assert not arrays
        return out, top_seq
    Wo, bo = arrays
    return dense_output(out @ Wo + bo, dense_activation, stack), top_seq


def compare(stack, N, T, D, units, K, dtype, seed=3, dense_activation="linear", extra=()):
    """rnnscope's forward of the stack against the reference; returns the largest differences."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((N, T, D))
    xpath = fresh("x.npy")
    np.save(xpath, X.astype(np.float32) if dtype == "float32" else X)
    dims = f"{N},{T},{D},[{','.join(map(str, units))}],{K}"
    common = ["--stack", stack, "--dims", dims, "--dtype", dtype, "--seed", str(seed),
              "--dense-activation", dense_activation, *extra]
    wpath, ypath, hpath = fresh("w.npz"), fresh("y.npy"), fresh("h.npy")
    run("save", wpath, *common)
    run("forward", *common, "--input", xpath, "--out", ypath, "--hidden", hpath)
    with np.load(wpath) as z:
        arrays = [z[f"arr_{i}"].astype(np.float64) for i in range(len(z.files))]
    Xr = X.astype(np.float32).astype(np.float64) if dtype == "float32" else X
    Y_ref, H_ref = network_forward(stack, Xr, arrays, K, dense_activation)
    Y, H = np.load(ypath), np.load(hpath)
    assert Y.shape == Y_ref.shape, f"{stack}: Y {Y.shape}, expected {Y_ref.shape}"
    assert H.shape == H_ref.shape, f"{stack}: H {H.shape}, expected {H_ref.shape}"
    assert Y.dtype == (np.float32 if dtype == "float32" else np.float64), Y.dtype
    return float(np.abs(Y - Y_ref).max()), float(np.abs(H - H_ref).max())


TOLERANCE = {"float64": 1e-12, "float32": 1e-5}


# ---- 1. Stacks and Bidirectional layers against NumPy ----------------------------------------------

def test_stacks_of_every_cell():
    for cell, dtype in itertools.product(GATES, ("float64", "float32")):
        for stack, units in [(f"{cell} 6 seq, {cell} 4", [6, 4]),
                             (f"{cell} 5 seq, {cell} 4 seq, {cell} 3 seq", [5, 4, 3]),
                             (f"{cell} 4 seq back, {cell} 3 back", [4, 3])]:
            for K in (2, 0):
                ey, eh = compare(stack, 3, 7, 3, units, K, dtype)
                assert max(ey, eh) < TOLERANCE[dtype], f"{stack} K={K} {dtype}: Y off by {ey:.3g}, H by {eh:.3g}"


def test_bidirectional_every_merge_mode():
    for cell, merge_mode, seq, dtype in itertools.product(GATES, ("concat", "sum", "mul", "ave"), (True, False),
                                                          ("float64", "float32")):
        top = f"bi={merge_mode} {cell} 4" + (" seq" if seq else "")
        ey, eh = compare(top, 2, 6, 3, [4], 3, dtype)
        assert max(ey, eh) < TOLERANCE[dtype], f"{top} {dtype}: Y off by {ey:.3g}, H by {eh:.3g}"


def test_bidirectional_in_a_stack_with_go_backwards_and_options():
    cases = [("bi lstm 4 seq, gru 3", [4, 3]),
             ("gru 4 seq, bi=sum simplernn 3 seq", [4, 3]),
             ("bi lstm 3 seq back, bi=ave gru 2", [3, 2]),
             ("bi simplernn 4 seq act=relu, lstm 3 rec=hard_sigmoid", [4, 3]),
             ("bi gru 3 seq reset_after=false, bi=mul gru 2 seq", [3, 2])]
    for (stack, units), dtype in itertools.product(cases, ("float64", "float32")):
        ey, eh = compare(stack, 2, 5, 3, units, 2, dtype)
        assert max(ey, eh) < TOLERANCE[dtype], f"{stack} {dtype}: Y off by {ey:.3g}, H by {eh:.3g}"


def test_dense_on_a_sequence_applies_at_every_timestep():
    ey, eh = compare("lstm 4 seq, gru 3 seq", 2, 6, 3, [4, 3], 3, "float64", dense_activation="softmax")
    assert max(ey, eh) < 1e-12, (ey, eh)


def test_a_one_layer_stack_is_the_model():
    """--stack of one layer computes what the single-layer options compute: the same weights and
    states bit for bit, the Dense on a sequence up to the order of its sums (one product over every
    timestep here, one per timestep there)."""
    for cell, seq in itertools.product(GATES, (False, True)):
        y1, y2, h1, h2 = fresh("y1.npy"), fresh("y2.npy"), fresh("h1.npy"), fresh("h2.npy")
        flags = ["--return-sequences"] if seq else []
        run("forward", "--cell", cell, "--dims", "2,8,3,5,2", *flags, "--out", y1, "--hidden", h1)
        run("forward", "--stack", f"{cell} 5" + (" seq" if seq else ""), "--dims", "2,8,3,5,2", "--out", y2, "--hidden", h2)
        assert np.array_equal(np.load(h1), np.load(h2)), f"{cell} seq={seq}: H differs"
        a, b = np.load(y1), np.load(y2)
        assert a.shape == b.shape, (a.shape, b.shape)
        assert (np.array_equal(a, b) if not seq else np.abs(a - b).max() < 1e-6), f"{cell} seq={seq}: {np.abs(a - b).max()}"
        s1, s2 = run("summary", "--cell", cell).stdout, run("summary", "--stack", f"{cell} 5").stdout
        assert s1.split("Dims:")[0] == s2.split("Stack:")[0], f"{cell}:\n{s1}\n{s2}"


# ---- 2. Shapes, summaries and refusals ---------------------------------------------------------------

def test_summary_counts_as_keras():
    # Keras's Bidirectional docs example: Bidirectional(LSTM(10, return_sequences=True)) on (5, 10),
    # Bidirectional(LSTM(10)), Dense(5): 1,680 + 2,480 + 105 = 4,265.
    out = run("summary", "--stack", "bi lstm 10 seq, bi lstm 10", "--dims", "1,5,10,[10,10],5").stdout
    for s in ["bidirectional (Bidirectional)", "(None, 5, 20)", "1,680", "bidirectional_1 (Bidirectional)",
              "(None, 20)", "2,480", "dense (Dense)", "(None, 5)", "105", "Total params: 4,265"]:
        assert s in out, f"{s!r} not in\n{out}"
    # Three stacked LSTMs of 256 on 32 features (the window's speed case): 4·256·(32+256+1) and twice
    # 4·256·(256+256+1); Dense 256·10 + 10.
    out = run("summary", "--cell", "lstm", "--dims", "8,1000,32,[256,256,256],10").stdout
    for s in ["lstm (LSTM)", "lstm_1 (LSTM)", "lstm_2 (LSTM)", "(None, 1000, 256)", "295,936", "525,312",
              "2,570", "Total params: 1,349,130"]:
        assert s in out, f"{s!r} not in\n{out}"
    assert out.count("(None, 1000, 256)") == 2, out  # the top layer returns its last state


def test_a_lower_layer_that_does_not_return_sequences_is_refused_as_keras_does():
    refused("summary", "--stack", "lstm 8, lstm 4",
            mentions=['Input 0 of layer "lstm_1" is incompatible with the layer: expected ndim=3, found ndim=2. '
                      'Full shape received: (None, 8)'])
    refused("forward", "--stack", "gru 6, bi simplernn 4", "--out", fresh("never.npy"),
            mentions=['layer "bidirectional"', "found ndim=2", "(None, 6)"])
    assert not os.path.exists(os.path.join(TMP, "never.npy"))


def test_contradictions_name_both_values():
    refused("summary", "--stack", "lstm 8 seq, lstm 4", "--cell", "gru",
            mentions=["--cell gru", "layer 1 (lstm)", "lstm"])
    refused("summary", "--stack", "lstm 8 seq, lstm 4", "--dims", "1,10,3,[8,5],2",
            mentions=["M2=5", "4 units"])
    refused("summary", "--stack", "lstm 8 seq, lstm 4", "--dims", "1,10,3,[8,4,2],2",
            mentions=["3 layers", "2 layers"])
    refused("summary", "--stack", "lstm 8 seq, lstm 4", "--return-sequences",
            mentions=["--return-sequences", "lstm_1", "seq"])
    refused("summary", "--stack", "lstm 8 seq, lstm 4", "--activation", "relu",
            mentions=["--activation relu", "tanh"])
    refused("summary", "--stack", "lstm seq, lstm 4", mentions=["layer 1", "no units"])


def test_malformed_stacks_and_dims_are_refused_with_the_word():
    refused("summary", "--stack", "lstm 8 sq", mentions=['"sq"'])
    refused("summary", "--stack", "lstm gru 8", mentions=["two cells", "lstm", "gru"])
    refused("summary", "--stack", "bi=max lstm 8", mentions=['"max"'])
    refused("summary", "--stack", "lstm 8 seq,, lstm 4", mentions=["layer 2", "empty"])
    refused("summary", "--stack", "lstm 0", mentions=["units=0"])
    refused("summary", "--stack", "lstm 8 act=softmax", mentions=['"softmax"'])
    refused("summary", "--stack", "lstm 8 reset_after=false", mentions=['"reset_after=false"', "an lstm has no reset_after"])
    refused("summary", "--stack", "gru 8 seq, simplernn 4 reset_after=true",
            mentions=["layer 2", '"reset_after=true"', "a simplernn has no reset_after"])
    refused("summary", "--dims", "1,10,3,[8,4,2", mentions=["1,10,3,[8,4,2"])
    refused("summary", "--dims", "1,10,3,[8,0],2", mentions=["M=0"])
    refused("summary", "--dims", "1,99999999999,3,[4],2", mentions=["T=99999999999 is out of range"])
    refused("summary", "--dims", "1,10,3,[4,-2],2", mentions=["M=-2 is out of range"])
    refused("summary", "--dims", "1,10,3,[" + ",".join(["4"] * 65) + "],2", mentions=["65 layers", "at most 64"])
    refused("trace", "--stack", "lstm 2", "--dims", "2,3,2,2,1", "--sample", "2", mentions=["--sample 2", "0 … 1"])
    refused("grad", "--stack", "lstm 8 seq, lstm 4", mentions=["grad", "summary, trace, forward, save, bench and export-code"])


def test_trace_shows_every_layer_and_direction_in_order():
    out = run("trace", "--stack", "gru 3 seq, bi lstm 2", "--dims", "1,4,2,[3,2],2", "--dtype", "float64").stdout
    heads = [line for line in out.splitlines() if line.startswith("=== layer")]
    assert len(heads) == 3, heads
    assert "layer 1 (gru)" in heads[0] and "reads X" in heads[0], heads
    assert "forward copy" in heads[1] and "reads what layer 1 returns" in heads[1], heads
    assert "backward copy" in heads[2] and "reversed" in heads[2], heads
    assert "concat(forward, backward): (N, 4)" in out, out[-400:]
    assert "Dense on the merge: Y (1, 2)" in out
    # The last h of the first layer in its trace is what the network computes there.
    H = fresh("h_trace.npy")
    run("forward", "--stack", "gru 3 seq", "--dims", "1,4,2,3,0", "--dtype", "float64", "--out", fresh("y_trace.npy"),
        "--hidden", H)
    last = np.load(H)[0, -1]
    block = out.split("=== layer 2")[0]
    assert all(f"{v:.6f}" in block for v in last), (last, block[-600:])


def test_a_stacked_keras_file_traces_and_exports_whole():
    keras_file = os.path.join(clitest.SHARED, "fixtures", "keras", "keras3_temperature_stacked_simple_rnn.keras")
    heads = [l for l in run("trace", "--weights", keras_file).stdout.splitlines() if l.startswith("=== layer")]
    assert len(heads) == 2 and "SimpleRNN(64, activation=relu)" in heads[0] and "SimpleRNN(32" in heads[1], heads
    script, y_script, y_forward = fresh("stacked_file.py"), fresh("y_script.npy"), fresh("y_forward.npy")
    run("export-code", "--to", "numpy", script, "--weights", keras_file)
    subprocess.run(["/usr/bin/python3", script, y_script], check=True, capture_output=True)
    run("forward", "--weights", keras_file, "--out", y_forward)
    assert np.abs(np.load(y_script) - np.load(y_forward)).max() < 1e-5


def test_bench_of_a_long_stack_prints_one_json_object():
    import json
    stack = ", ".join(["lstm 2 seq"] * 15 + ["lstm 2"])
    out = run("bench", "--stack", stack, "--dims", "1,3,2,[" + ",".join(["2"] * 16) + "],1", "--repeat", "1", "--json").stdout
    record = json.loads(out)
    assert record["stack"] == stack and record["seconds_median"] > 0, record


def test_memory_budget_holds_for_a_stack():
    refused("summary", "--stack", "bi lstm 4096 seq, bi lstm 4096", "--dims", "64,100000,8,[4096,4096],1",
            mentions=["would need", "budget"])


# ---- 3. An Embedding before the first recurrent layer ---------------------------------------------

def compare_embedding(stack, V, N, T, D, units, K, dtype, seed=5, ids_dtype=np.int64, one_sample=False):
    """rnnscope's forward of --stack "embedding V, …" on token ids against X = table[ids] and the reference."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, V, size=(N, T))
    ipath = fresh("ids.npy")
    np.save(ipath, (ids[0] if one_sample else ids).astype(ids_dtype))
    dims = f"{1 if one_sample else N},{T},{D},[{','.join(map(str, units))}],{K}"
    common = ["--stack", f"embedding {V}, {stack}", "--dims", dims, "--dtype", dtype, "--seed", str(seed)]
    wpath, ypath, hpath = fresh("we.npz"), fresh("ye.npy"), fresh("he.npy")
    run("save", wpath, *common)
    run("forward", *common, "--input", ipath, "--out", ypath, "--hidden", hpath)
    with np.load(wpath) as z:
        arrays = [z[f"arr_{i}"].astype(np.float64) for i in range(len(z.files))]
    table = arrays.pop(0)  # get_weights() order: the Embedding's table first
    assert table.shape == (V, D), table.shape
    assert np.abs(table).max() <= 0.05, "Keras's Embedding draws uniform(-0.05, 0.05)"
    X = table[ids[:1] if one_sample else ids]
    Y_ref, H_ref = network_forward(stack, X, arrays, K)
    Y, H = np.load(ypath), np.load(hpath)
    assert Y.shape == Y_ref.shape and H.shape == H_ref.shape, (Y.shape, Y_ref.shape, H.shape, H_ref.shape)
    return float(np.abs(Y - Y_ref).max()), float(np.abs(H - H_ref).max())


def test_an_embedding_looks_up_token_ids_for_every_cell():
    for cell, dtype in itertools.product(GATES, ("float64", "float32")):
        ey, eh = compare_embedding(f"{cell} 4 seq, bi gru 3", 11, 3, 6, 5, [4, 3], 2, dtype)
        assert max(ey, eh) < TOLERANCE[dtype], f"{cell} {dtype}: Y off by {ey:.3g}, H by {eh:.3g}"
    # Float ids of integral values, int32, and one sample (T,).
    for ids_dtype in (np.float64, np.int32, np.uint8):
        ey, eh = compare_embedding("lstm 3", 7, 2, 5, 4, [3], 2, "float64", ids_dtype=ids_dtype)
        assert max(ey, eh) < 1e-12, (ids_dtype, ey, eh)
    ey, eh = compare_embedding("gru 3", 7, 1, 5, 4, [3], 2, "float64", one_sample=True)
    assert max(ey, eh) < 1e-12, (ey, eh)


def test_an_embedding_in_summary_trace_and_stack_text():
    out = run("summary", "--stack", "embedding 50, lstm 8 seq, gru 4", "--dims", "1,6,7,[8,4],3").stdout
    # Keras: Embedding 50·7 = 350, LSTM 4·8·(7+8+1) = 512, GRU 3·4·(8+4+2) = 168, Dense 4·3+3 = 15.
    for s in ["embedding (Embedding)", "(None, 6, 7)", "350", "512", "168", "Total params: 1,045",
              "Stack: embedding 50, lstm 8 seq, gru 4"]:
        assert s in out, f"{s!r} not in\n{out}"
    ipath = fresh("ids_trace.npy")
    np.save(ipath, np.array([[3, 1, 4, 1]]))
    out = run("trace", "--stack", "embedding 5, simplernn 2", "--dims", "1,4,3,2,1", "--input", ipath).stdout
    assert "X is looked up" in out and "[3, 1, 4, 1]" in out, out[:600]
    # Random ids from the seed: the same twice, and a forward without --input works.
    y1, y2 = fresh("yr1.npy"), fresh("yr2.npy")
    for y in (y1, y2):
        run("forward", "--stack", "embedding 9, gru 3", "--dims", "2,5,4,3,2", "--seed", "4", "--out", y)
    assert np.array_equal(np.load(y1), np.load(y2))


def test_bad_token_ids_are_refused_naming_the_id():
    common = ["--stack", "embedding 5, lstm 3", "--dims", "1,4,3,3,2"]
    bad, frac, rank = fresh("bad_ids.npy"), fresh("frac_ids.npy"), fresh("rank_ids.npy")
    np.save(bad, np.array([[0, 1, 2, 7]]))
    np.save(frac, np.array([[0, 1.5, 2, 3]]))
    np.save(rank, np.zeros((1, 4, 3)))
    refused("forward", *common, "--input", bad, "--out", fresh("never.npy"),
            mentions=["token id 7 at X[0, 3] is outside the Embedding's vocabulary 0 … 4"])
    refused("forward", *common, "--input", frac, "--out", fresh("never.npy"), mentions=["token id 1.5 at X[0, 1]", "not an integer"])
    refused("forward", *common, "--input", rank, "--out", fresh("never.npy"), mentions=["(1, 4, 3)", "(N, T) or (T,)"])
    refused("summary", "--stack", "embedding, lstm 3", mentions=["vocabulary V"])
    refused("summary", "--stack", "embedding 5", mentions=["no recurrent layer"])
    refused("summary", "--stack", "lstm 3 seq, embedding 5, lstm 2", mentions=["comes first"])
    assert not os.path.exists(os.path.join(TMP, "never.npy"))


def test_an_embedding_exports_numpy_and_pytorch_code_equal_to_forward():
    ipath = fresh("ids_export.npy")
    np.save(ipath, np.array([[0, 3, 2, 1, 3], [1, 1, 0, 2, 3]]))
    for dtype in ("float64", "float32"):
        common = ["--stack", "embedding 4, lstm 3 seq, simplernn 2", "--dims", "2,5,3,[3,2],2", "--dtype", dtype,
                  "--input", ipath]
        script, y_script, y_forward = fresh("emb.py"), fresh("y_emb_script.npy"), fresh("y_emb_forward.npy")
        run("export-code", "--to", "numpy", script, *common)
        assert "X = E[ids]" in open(script).read()
        subprocess.run(["/usr/bin/python3", script, y_script], check=True, capture_output=True)
        run("forward", *common, "--out", y_forward)
        assert np.abs(np.load(y_script) - np.load(y_forward)).max() < TOLERANCE[dtype], dtype
    # PyTorch: nn.Embedding with the table, then nn.LSTM(num_layers=2); run it against forward.
    need_torch()
    common = ["--stack", "embedding 4, lstm 3 seq, lstm 3", "--dims", "2,5,3,[3,3],2", "--dtype", "float64", "--input", ipath]
    script, y_script, y_forward = fresh("emb_torch.py"), fresh("y_emb_torch.npy"), fresh("y_emb_forward.npy")
    run("export-code", "--to", "pytorch", script, *common)
    assert "nn.Embedding(4, 3)" in open(script).read()
    subprocess.run(["/usr/bin/python3", script, y_script], check=True, capture_output=True)
    run("forward", *common, "--out", y_forward)
    assert np.abs(np.load(y_script) - np.load(y_forward)).max() < 1e-12
    keras_script = fresh("emb_keras.py")
    run("export-code", "--to", "keras", keras_script, "--stack", "embedding 4, gru 3", "--dims", "1,5,3,3,2")
    text = open(keras_script).read()
    assert "keras.layers.Embedding(4, 3)" in text and text.index("Embedding(4, 3)") < text.index("keras.layers.GRU"), text


if __name__ == "__main__":
    sys.exit(clitest.main(globals()))
