#!/usr/bin/env python3
"""What README.md says of the command line that no other test checks, checked from outside:
the limits and their messages (README "Limits", DESIGN §3: exit status 2, one line), the
initializers of --init and --init-scale (DESIGN §1), that --threads n computes the outputs of
--threads 1 (to the last bits OpenBLAS's threaded products round differently, as README "Speed"
says), the JSON of `bench --ui` and `bench --ui --long-work`, and that `trace --sample n` shows
sample n's numbers.

Usage: /usr/bin/python3 tests/test_cli_claims.py BUILD/app/rnnscope SHARED_DIR

No speed is asserted here: bench's numbers are checked for their form, never against a time.
"""
import functools
import io
import json
import math
import os
import sys
import tempfile

import numpy as np

import clitest
from clitest import numpy_forward, random_case, refused, run

TMP = tempfile.mkdtemp(prefix="rnnscope-claims-")


def tmp(name):
    return os.path.join(TMP, name)


def assert_refused(args, message, address_space=None):
    """Refused (exit 2, one line on stderr, nothing on stdout) with exactly this message after the
    program's name. With address_space (bytes), rnnscope runs with that much virtual memory at most:
    a refusal made before anything is allocated still says its line there."""
    line = refused(*args, address_space=address_space)
    want = "rnnscope: " + message
    assert line == want, f"rnnscope {' '.join(map(str, args))}:\n  got      {line!r}\n  expected {want!r}"


# ---- Limits ---------------------------------------------------------------------------------------

LIMITS = {"N": (1, 1048576), "T": (1, 1048576), "D": (1, 65536), "M": (1, 16384), "K": (0, 65536)}
BUDGET = 4 << 30  # bytes: "the 4.00 GiB memory budget"


def dims_with(name, value, base=(1, 10, 3, 5, 2)):
    dims = dict(zip("NTDMK", base))
    dims[name] = value
    return ",".join(str(dims[k]) for k in "NTDMK")


def test_dimension_limits_and_their_messages():
    """README: N, T 1 … 1,048,576; D, K 1 … 65,536 (K = 0 allowed); M 1 … 16,384; beyond: refused
    (exit 2) with `T=2000000 is out of range: expected 1 ≤ T ≤ 1048576`."""
    assert_refused(["summary", "--dims", "1,2000000,3,5,2"], "T=2000000 is out of range: expected 1 ≤ T ≤ 1048576")
    for name, (lo, hi) in LIMITS.items():
        for value in (lo - 1, hi + 1):
            assert_refused(["summary", "--dims", dims_with(name, value)],
                           f"{name}={value} is out of range: expected {lo} ≤ {name} ≤ {hi}")
    # The same refusal before a forward pass, which writes nothing.
    assert_refused(["forward", "--dims", dims_with("M", 16385), "--out", tmp("limit_y.npy")],
                   "M=16385 is out of range: expected 1 ≤ M ≤ 16384")
    assert not os.path.exists(tmp("limit_y.npy"))
    # The limits themselves are in range: K = 0, and the largest D, K and T run ...
    for dims in ("1,10,3,5,0", "1,2,65536,2,0", "1,2,2,2,65536", "1,1048576,1,1,0"):
        run("summary", "--init", "zeros", "--dims", dims)
    # ... and the largest N and M (too large a model to build here) pass the range check: what
    # refuses them is the memory budget, naming them.
    for dims in ("1048576,1048576,1,1,0", "1,1048576,1,16384,0"):
        line = refused("summary", "--dims", dims)
        assert "memory budget" in line and "N={}, T={}, D={}, M={}, K={} ".format(*dims.split(",")) in line, line


def test_out_of_range_message_names_the_value_typed():
    """README: a refusal is one line naming the value. A value beyond what an int holds is named as
    typed, not as another number (`--dims 1,10,3,99999999999,2` said `M=1073741824`)."""
    assert_refused(["summary", "--dims", "1,10,3,99999999999,2"],
                   "M=99999999999 is out of range: expected 1 ≤ M ≤ 16384")
    assert_refused(["summary", "--dims", "1,-99999999999,3,5,2"],
                   "T=-99999999999 is out of range: expected 1 ≤ T ≤ 1048576")


def estimate_bytes(N, T, D, M, K, dtype, cell="simplernn", reset_after=True):
    """What a model of these sizes holds, as README "Limits" lists it (core/nn/dims.h gives the
    sizes): X as double and in the compute type; the pre-activations of every gate and the hidden
    (and an LSTM's cell) states of every timestep, the outputs, and a 16-byte summary of each h_t;
    the weights as double and compute copies; the views' images, 4 bytes a cell, each side at most
    4,096 cells."""
    s = {"float32": 4, "float64": 8}[dtype]
    g = {"simplernn": 1, "lstm": 4, "gru": 3}[cell]
    b = 2 if cell == "gru" and reset_after else 1  # bias rows
    c = 2 if cell == "lstm" else 1  # h, and an LSTM's c
    side = lambda n: min(n, 4096)
    data = N * T * D * (8 + s)
    history = N * T * M * (g + c) * s + N * T * K * s + N * T * 16
    weights = (g * D * M + g * M * M + b * g * M + M * K + K) * (8 + s)
    views = 4 * (side(T) * side(M) + side(T) * side(D) + side(D) * side(g * M) + side(M) * side(g * M)
                 + b * side(g * M) + side(M) * side(K) + side(K))
    return data + history + weights + views


def format_bytes(n):
    """"15.5 GiB", "4.00 GiB": three significant digits in binary units."""
    v, unit = float(n), 0
    units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    while v >= 1024 and unit < 6:
        v /= 1024
        unit += 1
    if unit == 0:
        return f"{n} B"
    return f"{v:.2f} {units[unit]}" if v < 10 else f"{v:.1f} {units[unit]}"


def test_memory_budget_refusal_with_the_estimate():
    """README: beyond 4 GiB a model is refused with the estimate, checked before anything is
    allocated: `N=1, T=1000000, D=8, M=2048, K=10 (float32) would need 15.5 GiB, more than the
    4.00 GiB memory budget`. Run with 512 MiB of address space: an allocation first would fail."""
    readme = "N=1, T=1000000, D=8, M=2048, K=10 (float32) would need 15.5 GiB, more than the 4.00 GiB memory budget"
    assert format_bytes(estimate_bytes(1, 1000000, 8, 2048, 10, "float32")) == "15.5 GiB"
    assert format_bytes(BUDGET) == "4.00 GiB"
    assert_refused(["summary", "--dims", "1,1000000,8,2048,10"], readme, address_space=512 << 20)
    assert_refused(["forward", "--dims", "1,1000000,8,2048,10", "--out", tmp("budget_y.npy")], readme,
                   address_space=512 << 20)
    assert not os.path.exists(tmp("budget_y.npy"))
    cases = [  # dims, dtype, cell options, cell, reset_after, what the message calls the model
        ((1, 1000000, 8, 2048, 10), "float64", [], "simplernn", True, "float64"),
        ((64, 16384, 64, 1024, 10), "float32", ["--cell", "lstm"], "lstm", True, "LSTM, float32"),
        ((8, 200000, 32, 512, 2), "float64", ["--cell", "gru"], "gru", True, "GRU, float64"),
        ((8, 200000, 32, 512, 2), "float32", ["--cell", "gru", "--no-reset-after"], "gru", False, "GRU, float32"),
        ((1, 1, 65536, 16384, 65536), "float64", [], "simplernn", True, "float64"),  # the weights alone
        # h_t's summary: 16 of the 36 bytes a step
        ((1048576, 1048576, 1, 1, 0), "float32", [], "simplernn", True, "float32"),
        # every size at its limit
        ((1048576, 1048576, 65536, 16384, 65536), "float32", [], "simplernn", True, "float32"),
    ]
    for dims, dtype, cell_args, cell, reset_after, model in cases:
        need = estimate_bytes(*dims, dtype, cell, reset_after)
        assert need > BUDGET, dims
        message = ("N={}, T={}, D={}, M={}, K={} ".format(*dims) + f"({model}) would need {format_bytes(need)}, "
                   "more than the 4.00 GiB memory budget")
        assert_refused(["summary", "--dims", ",".join(map(str, dims)), "--dtype", dtype, *cell_args], message,
                       address_space=512 << 20)


# ---- Initializers ---------------------------------------------------------------------------------

INIT_DIMS = (1, 2, 64, 128, 32)  # D = 64, M = 128, K = 32: 8,192, 16,384 and 4,096 kernel entries


def saved_weights(*args, dims=INIT_DIMS):
    """The five arrays `rnnscope save` writes for this model, float64."""
    path = tmp("init.npz")
    if os.path.exists(path):
        os.remove(path)
    run("save", path, "--dims", ",".join(map(str, dims)), "--dtype", "float64", "--seed", "12", *args)
    with np.load(path) as z:
        return [z[f"arr_{i}"] for i in range(5)]


def assert_normal(w, sigma, what):
    """w drawn from normal(0, σ): its mean, its standard deviation and the share within ±σ and ±2σ
    (68.27 %, 95.45 %), each to five standard errors."""
    n = w.size
    assert abs(w.mean()) < 5 * sigma / math.sqrt(n), (what, w.mean())
    assert abs(w.std() / sigma - 1) < 5 / math.sqrt(2 * n), (what, w.std(), sigma)
    for k, p in [(1, 0.682689), (2, 0.954500)]:
        share = np.mean(np.abs(w) < k * sigma)
        assert abs(share - p) < 5 * math.sqrt(p * (1 - p) / n), (what, k, share, p)


def assert_uniform(w, a, what):
    """w drawn from uniform(−a, a): inside ±a, reaching close to both ends, standard deviation a/√3,
    half of it within ±a/2."""
    n = w.size
    assert np.abs(w).max() <= a, (what, np.abs(w).max(), a)
    assert w.max() > a * (1 - 20 / n) and w.min() < -a * (1 - 20 / n), (what, w.min(), w.max(), a)
    assert abs(w.mean()) < 5 * a / math.sqrt(3 * n), (what, w.mean())
    assert abs(w.std() / (a / math.sqrt(3)) - 1) < 5 * math.sqrt(0.8 / n), (what, w.std(), a / math.sqrt(3))
    share = np.mean(np.abs(w) < a / 2)
    assert abs(share - 0.5) < 5 * math.sqrt(0.25 / n), (what, share)


def assert_keras_kernels(Wx, Wo, what):
    """glorot_uniform: uniform(±√(6 / (fan_in + fan_out)))."""
    D, M = Wx.shape
    K = Wo.shape[1]
    assert_uniform(Wx, math.sqrt(6 / (D + M)) * (1 + 1e-12), what + " Wx")
    assert_uniform(Wo, math.sqrt(6 / (M + K)) * (1 + 1e-12), what + " Wo")


def test_init_keras_default():
    """Keras's initializers (the default, and --init keras): glorot_uniform kernels, an orthogonal
    recurrent kernel (Wh·Whᵀ = I), zero biases; --init-scale does not change them."""
    Wx, Wh, bh, Wo, bo = saved_weights()
    M = Wh.shape[0]
    assert np.abs(Wh @ Wh.T - np.eye(M)).max() < 1e-12 and np.abs(Wh.T @ Wh - np.eye(M)).max() < 1e-12
    assert_keras_kernels(Wx, Wo, "keras")
    assert not bh.any() and not bo.any()
    for args in (["--init", "keras"], ["--init", "keras", "--init-scale", "0.7"]):
        again = saved_weights(*args)
        assert all(np.array_equal(a, b) for a, b in zip(again, [Wx, Wh, bh, Wo, bo])), args


def test_init_normal_and_uniform_follow_init_scale():
    """--init normal: every kernel normal(0, σ) with σ = --init-scale (0.05 by default); --init
    uniform: uniform(±a), a = --init-scale; biases zero."""
    for scale, args in [(0.05, []), (0.3, ["--init-scale", "0.3"]), (2.5, ["--init-scale", "2.5"])]:
        Wx, Wh, bh, Wo, bo = saved_weights("--init", "normal", *args)
        for name, w in [("Wx", Wx), ("Wh", Wh), ("Wo", Wo)]:
            assert_normal(w, scale, f"normal σ={scale} {name}")
        assert not bh.any() and not bo.any()
        Wx, Wh, bh, Wo, bo = saved_weights("--init", "uniform", *args)
        for name, w in [("Wx", Wx), ("Wh", Wh), ("Wo", Wo)]:
            assert_uniform(w, scale, f"uniform a={scale} {name}")
        assert not bh.any() and not bo.any()


def test_init_identity_and_zeros():
    """--init identity (IRNN): Wh is the identity exactly, the other kernels Keras's glorot_uniform,
    biases zero; --init zeros: every weight zero; --init-scale changes neither."""
    for args in ([], ["--init-scale", "0.3"]):
        Wx, Wh, bh, Wo, bo = saved_weights("--init", "identity", *args)
        assert np.array_equal(Wh, np.eye(Wh.shape[0])), args
        assert_keras_kernels(Wx, Wo, "identity")
        assert not bh.any() and not bo.any()
        weights = saved_weights("--init", "zeros", *args)
        assert [w.shape for w in weights] == [(64, 128), (128, 128), (128,), (128, 32), (32,)]
        assert all(not w.any() for w in weights), args
    # A zero model's forward pass is zero (tanh(0) = 0 at every step).
    run("forward", "--init", "zeros", "--dims", "2,5,3,4,2", "--return-sequences", "--out", tmp("zy.npy"),
        "--hidden", tmp("zh.npy"))
    assert not np.load(tmp("zy.npy")).any() and not np.load(tmp("zh.npy")).any()


def test_init_refusals():
    assert_refused(["summary", "--init", "xavier"],
                   "--init 'xavier' is unknown: expected keras, normal, uniform, identity or zeros")
    for text in ("-1", "nan", "inf", "abc"):
        assert_refused(["summary", "--init", "normal", "--init-scale", text],
                       f"--init-scale '{text}' is not a finite number ≥ 0")


# ---- --threads ------------------------------------------------------------------------------------

THREADS = (1, 2, 3)


@functools.lru_cache(maxsize=None)
def forward_at_threads(cell, dtype):
    """{threads: [Y, H (, C)] as the bytes of their files} of one model at --threads 1, 2 and 3.
    Sizes whose products are large enough to go to OpenBLAS and be shared between threads: 64 rows
    of h by the 256 × 256g recurrent kernel, the 384 rows of x·W, every step through the Dense
    (uniform weights: Keras's orthogonal kernel would take longer to draw than the pass)."""
    files = {}
    for threads in THREADS:
        paths = [tmp(f"thr_{threads}_{name}.npy") for name in "YHC"][:3 if cell == "lstm" else 2]
        run("forward", "--dims", "64,6,64,256,16", "--cell", cell, "--dtype", dtype, "--seed", "4",
            "--init", "uniform", "--init-scale", "0.1", "--return-sequences", "--threads", threads,
            "--out", paths[0], "--hidden", paths[1], *(["--cell-state", paths[2]] if cell == "lstm" else []))
        files[threads] = [open(p, "rb").read() for p in paths]
    return files


def npy(data):
    return np.load(io.BytesIO(data))


def test_threads_compute_the_same_model():
    """--threads n computes what --threads 1 computes: the same files' shapes and dtypes, the numbers
    equal to the last bits' rounding (float32 1e-5, float64 1e-12)."""
    for cell in ("simplernn", "lstm", "gru"):
        for dtype, tol in [("float32", 1e-5), ("float64", 1e-12)]:
            files = forward_at_threads(cell, dtype)
            for threads in THREADS[1:]:
                for name, a, b in zip("YHC", files[1], files[threads]):
                    a, b = npy(a), npy(b)
                    assert a.dtype == b.dtype == np.dtype(dtype) and a.shape == b.shape, (cell, dtype, name)
                    err = np.abs(a.astype(np.float64) - b).max()
                    assert err < tol, f"{cell} {dtype}: {name} at --threads {threads} differs by {err:.3g}"
    # The option is taken (bench reports the count it ran with), and refused outside 1 … 256.
    assert json.loads(run("bench", "--threads", "3", "--repeat", "1", "--json").stdout)["threads"] == 3
    for n in ("0", "257"):
        assert_refused(["summary", "--threads", n], f"--threads {n} is out of range: expected 1 … 256")


# ---- bench --ui -----------------------------------------------------------------------------------

def json_numbers(j, keys):
    for key in keys:
        v = j[key]
        assert isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v), (key, v)
    return [j[key] for key in keys]


def test_bench_ui_json():
    """`bench --ui --json` (offscreen): DESIGN §3's {"dims", "steps", "median_ms", "p95_ms",
    "first_window_ms"}, T steps, stepped through several times below 200 steps (README "Speed")."""
    out = run("bench", "--ui", "--json", "--dims", "1,4,2,3,2").stdout
    j = json.loads(out)
    assert {"dims", "steps", "median_ms", "p95_ms", "first_window_ms"} <= j.keys(), j
    assert j["dims"] == [1, 4, 2, 3, 2] and j["steps"] == 4 and j["cell"] == "simplernn", j
    median, p95, first = json_numbers(j, ["median_ms", "p95_ms", "first_window_ms"])
    assert median > 0 and first > 0 and p95 >= median, j
    assert j["steps"] * j["passes"] >= 200, j


def test_bench_ui_json_network():
    """`bench --ui --json` of a network steps its whole schedule (every direction of every layer,
    bottom up) and names the stack and its sizes."""
    out = run("bench", "--ui", "--json", "--stack", "lstm 4 seq, bi gru 3", "--dims", "1,5,2,[4,3],2").stdout
    j = json.loads(out)
    assert j["dims"] == [1, 5, 2, [4, 3], 2] and j["steps"] == 15, j
    assert j["model"] == "lstm 4 seq, bi gru 3", j
    median, p95, most = json_numbers(j, ["median_ms", "p95_ms", "max_ms"])
    assert 0 < median <= p95 <= most, j


def test_bench_ui_long_work_json():
    """`bench --ui --long-work --json`: the time of each long work README "Speed" names (new X, End,
    an edit at the end, new weights) and the longest the window waited meanwhile."""
    out = run("bench", "--ui", "--long-work", "--json", "--dims", "1,4,2,3,2", "--cell", "lstm").stdout
    j = json.loads(out)
    works = ["randomize_input", "end", "edit", "randomize_weights"]
    keys = [w + suffix for w in works for suffix in ("_s", "_max_gap_ms")]
    assert set(j.keys()) == {"dims", "cell", *keys}, j
    assert j["dims"] == [1, 4, 2, 3, 2] and j["cell"] == "lstm", j
    # Printed to 1 ms and 0.1 ms: a tiny model's work can read 0, so ≥ 0 (no time is asserted).
    assert all(v >= 0 for v in json_numbers(j, keys)), j


def test_bench_ui_train_json():
    """`bench --ui --train --json`: a training run in the window (the adding task by default, which
    sets D = 2 and K = 1), with the Training tab and then the Gradients tab in front: its steps per
    second, how often the weights on show were refreshed, and the longest the window waited."""
    out = run("bench", "--ui", "--train", "--json", "--steps", "50", "--cell", "gru").stdout
    j = json.loads(out)
    keys = ["seconds", "steps_per_second", "refreshes_per_second", "max_event_wait_ms", "seconds_gradients",
            "steps_per_second_gradients", "refreshes_per_second_gradients", "max_event_wait_ms_gradients"]
    assert set(j.keys()) == {"dims", "cell", "task", "optimizer", "batch", "steps", *keys}, j
    assert j["dims"] == [1, 10, 2, 5, 1] and j["cell"] == "gru" and j["task"] == "adding", j
    assert j["optimizer"] == "adam" and j["batch"] == 64 and j["steps"] == 50, j
    seconds, steps_per_second, refreshes, wait = json_numbers(j, keys[:4])
    assert seconds > 0 and 0 < steps_per_second and abs(steps_per_second * seconds - 50) < 1, j
    # Every run ends with its last weights on show: at least one refresh.
    assert refreshes * seconds >= 1 - 1e-6 and wait >= -1, j
    assert all(v >= -1 for v in json_numbers(j, keys[4:])), j
    refused("bench", "--ui", "--train", "--long-work", mentions=("--long-work", "--train"))
    refused("bench", "--ui", "--train", "--task", "knitting", mentions=("'knitting'", "adding or copy"))


# ---- trace --sample ------------------------------------------------------------------------------

def trace_rows(out):
    """{label: values} of every row of numbers `trace` prints: `label  (shape)  [ values ]`, or a
    label on its own line followed by `(shape)  [ values ]` (the gated cells)."""
    rows, label = {}, None
    for line in out.splitlines():
        text = line.strip()
        if text.endswith("]") and "[" in text:
            head, values = text[:-1].split("[")
            head = head.split("  ")[0].strip()
            rows[label if head.startswith("(") else head] = np.array(values.split(), dtype=np.float64)
        elif text:
            label = text
    return rows


def test_trace_sample_shows_that_samples_numbers():
    """`trace --sample n` prints row n of every product: x_t, a_t, h_t and y of sample n, as a float64
    NumPy loop computes them on NumPy's weights and inputs (6 decimals)."""
    rng = np.random.default_rng(8)
    N, T, D, M, K = 4, 5, 3, 4, 2
    X, Wx, Wh, bh, Wo, bo = random_case(rng, N, T, D, M, K)
    np.savez(tmp("trace_w.npz"), Wx, Wh, bh, Wo, bo)
    np.save(tmp("trace_x.npy"), X)
    Y, H = numpy_forward(X, Wx, Wh, bh, Wo, bo)
    A = np.stack([X[:, t] @ Wx + (H[:, t - 1] if t else np.zeros((N, M))) @ Wh + bh for t in range(T)], axis=1)
    for n in (1, N - 1):
        # every other sample differs from n well beyond the 6 printed decimals
        assert all(np.abs(H[m] - H[n]).max() > 1e-3 for m in range(N) if m != n)
        out = run("trace", "--weights", tmp("trace_w.npz"), "--input", tmp("trace_x.npy"), "--dtype", "float64",
                  "--sample", n).stdout
        assert f"sample n={n} of the batch" in out, out[:400]
        rows = trace_rows(out)
        for t in range(T):
            for label, want in [(f"x_{t}", X[n, t]), (f"a_{t} (pre-activation)", A[n, t]),
                                (f"h_{t} = tanh(a_{t})", H[n, t])]:
                assert label in rows, (label, sorted(rows))
                assert np.abs(rows[label] - want).max() <= 5.01e-7, (n, label, rows[label], want)
        label = f"y_{T - 1} = h_{T - 1}·Wo + bo"
        assert np.abs(rows[label] - Y[n]).max() <= 5.01e-7, (n, rows[label], Y[n])
    # An LSTM's trace of sample 2 against `forward`'s H and C of that sample.
    run("forward", "--cell", "lstm", "--dims", "3,4,2,3,2", "--seed", "9", "--dtype", "float64",
        "--out", tmp("tl_y.npy"), "--hidden", tmp("tl_h.npy"), "--cell-state", tmp("tl_c.npy"))
    Yl, Hl, Cl = (np.load(tmp(f"tl_{q}.npy")) for q in "yhc")
    assert np.abs(Hl[2] - Hl[0]).max() > 1e-3 and np.abs(Hl[2] - Hl[1]).max() > 1e-3
    rows = trace_rows(run("trace", "--cell", "lstm", "--dims", "3,4,2,3,2", "--seed", "9", "--dtype", "float64",
                          "--sample", "2").stdout)
    for t in range(4):
        assert np.abs(rows[f"h_{t} = o_{t}⊙tanh(c_{t})"] - Hl[2, t]).max() <= 5.01e-7, t
        assert np.abs(rows[f"c_{t} = f_{t}⊙c_{t - 1} + i_{t}⊙g_{t}"] - Cl[2, t]).max() <= 5.01e-7, t
    assert np.abs(rows["y_3 = h_3·Wo + bo"] - Yl[2]).max() <= 5.01e-7
    assert_refused(["trace", "--dims", "3,4,2,3,2", "--sample", "3"],
                   "--sample 3 is out of range: expected 0 ≤ n ≤ 2")


if __name__ == "__main__":
    sys.exit(clitest.main(globals()))
