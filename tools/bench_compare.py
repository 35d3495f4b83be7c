#!/usr/bin/python3
"""Compare rnnscope's forward pass with PyTorch (CPU) and NumPy, side by side, for every cell.

The model is Keras's recurrent layer (SimpleRNN, LSTM or GRU; M units) -> Dense(K), in the
row-vector convention of DESIGN.md sections 1, 3 and 6 (kernel W (D, gM), recurrent kernel
U (M, gM), gate block k = columns [kM, (k+1)M); g = 1, 4, 3):

    SimpleRNN  h_t = tanh(x_t.W + h_{t-1}.U + b)
    LSTM       gates i, f, c, o: z = x_t.W + h_{t-1}.U + b; c_t = s(z_f)*c_{t-1} + s(z_i)*tanh(z_c),
               h_t = s(z_o)*tanh(c_t)
    GRU        reset_after=True, gates z, r, h, bias (2, 3M) (row 0 input, row 1 recurrent):
               xp = x_t.W + b[0], hp = h_{t-1}.U + b[1]; z = s(xp_z + hp_z), r = s(xp_r + hp_r),
               h~ = tanh(xp_h + r*hp_h), h_t = z*h_{t-1} + (1-z)*h~
    then y = h_{T-1}.Wo + bo (K = 0: no Dense);  h_{-1} = c_{-1} = 0.

For each shape N,T,D,M,K, each cell and each thread count (1 and 2 by default) it times:

  rnnscope  `<binary> bench --dims N,T,D,M,K --cell CELL --dtype DT --repeat R --threads n --json`
  torch     torch.nn.RNN(nonlinearity='tanh') / nn.LSTM / nn.GRU (D, M, batch_first=True)
            + torch.nn.Linear(M, K) on out[:, -1, :], under torch.inference_mode(), with
            torch.set_num_threads(n) (GRU weights permuted to PyTorch's r, z, n order)
  numpy     P = X.reshape(N*T, D) @ W + b (the input products of all timesteps in one product),
            then per step one product h @ U for all gates and the gate maths vectorised over
            (N, M) blocks; OpenBLAS limited to n threads with threadpoolctl

All three sides get the same weights and X within the Python child (glorot_uniform W and Wo,
orthogonal U with orthonormal rows, X ~ N(0, 1), small random biases -- LSTM forget block + 1 --
so that the torch-vs-numpy sanity check covers the bias paths); rnnscope draws its own (same
distributions; values do not change the speed).

Best against best (PLATFORM-NOTES.md): every side is measured at every thread count, and each
side's best median is compared, with the thread count that gave it. Each measurement is a
warm-up run followed by timed runs (time.perf_counter) until R runs or --max-seconds have passed
(3 runs at least); the median is reported, like `rnnscope bench`. The three sides of one
(shape, cell) are measured back to back -- the numpy/torch children stay alive between cases --
so that a change in the machine's load hits them alike. Throughput uses DESIGN.md's count:
flops = 2*N*T*g*(D*M + M*M) + 2*N*M*K. The ratios rnnscope/torch and rnnscope/numpy are speed
ratios of the bests (> 1: rnnscope is faster); DESIGN.md asks for >= 1.25 against torch and
>= 1.0 against numpy (OpenBLAS), for every cell.

Requirements (Debian): apt-get install python3-torch python3-numpy python3-threadpoolctl
libopenblas0-pthread. Always run it with Debian's interpreter, /usr/bin/python3 (a pyenv/venv
python3 on PATH does not see those packages; if you start it with another interpreter the
measurements are still run in /usr/bin/python3, see --python).

Usage:
  /usr/bin/python3 tools/bench_compare.py --rnnscope build/app/rnnscope        # ~2-3 minutes
  /usr/bin/python3 tools/bench_compare.py --no-rnnscope --repeat 5
  /usr/bin/python3 tools/bench_compare.py --cell lstm --cell gru --dims 64,128,64,256,10
  /usr/bin/python3 tools/bench_compare.py --threads 1                # one thread each, no search
  /usr/bin/python3 tools/bench_compare.py --dtype float32 --dtype float64    # one table each
  /usr/bin/python3 tools/bench_compare.py --dtype float64 --torch-float64
  /usr/bin/python3 tools/bench_compare.py --json results.json        # also write JSON
  /usr/bin/python3 tools/bench_compare.py --json -                   # JSON only, on stdout
  /usr/bin/python3 tools/bench_compare.py --check    # numpy loops == torch modules (float64)?
  /usr/bin/python3 tools/bench_compare.py --train    # one training step instead: see below

--network: the forward pass of two networks, float32, one thread: a 2-layer LSTM stack
(LSTM(M, return_sequences) -> LSTM(M) -> Dense(K)) and a Bidirectional GRU (concat) -> Dense(K),
`rnnscope bench --stack` beside nn.LSTM(num_layers=2) and nn.GRU(bidirectional=True) + Linear and
a NumPy loop (tools/bench_network.py says how each side is written); 64,128,64,256,10 unless
--dims (one shape).

--train: one training step (forward, backward through time, Adam) on the batch, float32, one
thread, side by side for every cell: `rnnscope bench --train`, PyTorch's nn.RNN/LSTM/GRU +
Linear + MSELoss + torch.optim.Adam, and a plain NumPy BPTT checked first against
`rnnscope grad` (tools/bench_train.py says how each side is written). Shapes 32,100,16,64,4 and
64,128,64,256,10 unless --dims; --repeat timed steps after a warm-up (default 5).

BLAS: NumPy and PyTorch from Debian call whatever /usr/lib/x86_64-linux-gnu/libblas.so.3
points to (the update-alternatives link libblas.so.3-x86_64-linux-gnu). If that is
Debian's reference BLAS (.../blas/libblas.so.3) the comparison is meaningless; the script
says so loudly. Fix it (as root) with

  update-alternatives --set libblas.so.3-x86_64-linux-gnu \\
      /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
  update-alternatives --set liblapack.so.3-x86_64-linux-gnu \\
      /usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3

or pass --fix-blas to have this script do exactly that (root only).

Threads: the measurements at n threads run in an environment with OPENBLAS_NUM_THREADS=n,
OMP_NUM_THREADS=n, MKL_NUM_THREADS=n (one numpy/torch child per n; rnnscope gets --threads n),
and with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from the environment (some machines set
them, and they slow a current OpenBLAS down); the OpenBLAS core type and thread count actually
in use are reported. Progress goes to stderr, the Markdown report to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import io
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time

CELLS = ("simplernn", "lstm", "gru")
GATES = {"simplernn": 1, "lstm": 4, "gru": 3}
CELL_CLASS = {"simplernn": "SimpleRNN", "lstm": "LSTM", "gru": "GRU"}
DEFAULT_DIMS = [
    (64, 128, 64, 256, 10),
    (8, 4096, 8, 128, 2),
    (1, 10, 3, 5, 2),  # the classic example
]
DEFAULT_THREADS = (1, 2)
MIN_RUNS = 3          # timed runs at least, whatever --max-seconds says
MAX_RUNS = 5000       # timed runs at most without --repeat
DEBIAN_PYTHON = "/usr/bin/python3"
MULTIARCH = "x86_64-linux-gnu"
ALT_NAMES = [  # update-alternatives link groups that decide which BLAS is loaded
    "libblas.so.3-" + MULTIARCH,
    "liblapack.so.3-" + MULTIARCH,
    "libopenblas.so.0-" + MULTIARCH,
]
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
UNSET_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
TORCH_BAR = 1.25  # DESIGN.md section 6
NUMPY_BAR = 1.0
CHECK_TOL = 1e-10  # --check: numpy loops vs torch modules, float64
_BLAS_LIMIT = None  # child: the threadpoolctl limit, held for the child's life


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def flops_of(dims, cell="simplernn") -> int:
    """DESIGN.md section 3: 2*N*T*g*(D*M + M*M) + 2*N*M*K, g = 1, 4, 3."""
    n, t, d, m, k = dims
    return 2 * n * t * GATES[cell] * (d * m + m * m) + 2 * n * m * k


def default_repeat(dims, cell, seconds) -> int:
    """Repeats so that one implementation spends roughly `seconds` on a case (5 runs at least).

    Only used for rnnscope when no Python timing of the case is at hand. Cost model:
    ~20 GFLOP/s for the products plus ~25 us of per-timestep overhead (times the gates).
    """
    t = dims[1]
    est = flops_of(dims, cell) / 20e9 + t * 25e-6 * (1 + GATES[cell]) / 2
    return int(min(MAX_RUNS, max(5, round(seconds / est))))


def dims_str(dims) -> str:
    return ",".join(map(str, dims))


def parse_dims(text: str):
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 5 or min(parts[:4]) < 1 or parts[4] < 0:
        raise argparse.ArgumentTypeError(
            f"--dims {text!r}: expected N,T,D,M,K (five integers, N,T,D,M >= 1, K >= 0)")
    return parts


def parse_threads(text: str):
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if not parts or min(parts) < 1 or max(parts) > 256:
        raise argparse.ArgumentTypeError(
            f"--threads {text!r}: expected thread counts 1..256 separated by commas, e.g. 1,2")
    return tuple(sorted(set(parts)))


def unique(seq):
    out = []
    for x in seq:
        if x not in out:
            out.append(x)
    return out


# --------------------------------------------------------------------------- child side
# Runs under /usr/bin/python3 with the thread environment already set, so that numpy and
# torch read it when they load OpenBLAS / OpenMP.

def _mapped_libs():
    libs = set()
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 6 and ".so" in parts[-1]:
                    libs.add(parts[-1])
    except OSError:
        pass
    return libs


def _blas_libs(libs):
    pat = re.compile(r"blas|lapack|mkl|blis|atlas|dnnl|gomp|libomp|iomp", re.I)
    return sorted(l for l in libs if pat.search(os.path.basename(l)))


def _openblas_details(libs):
    """Core type, build config and thread count of the OpenBLAS loaded in this process."""
    info = {}
    try:
        import threadpoolctl  # optional: python3-threadpoolctl
        info["threadpoolctl"] = [
            {k: v for k, v in d.items() if k in
             ("user_api", "internal_api", "filepath", "version", "num_threads",
              "architecture", "threading_layer")}
            for d in threadpoolctl.threadpool_info()]
    except Exception:  # not installed, or too old for this numpy
        pass
    import ctypes
    for path in sorted(libs):
        if "openblas" not in os.path.basename(path) or "libopenblas" not in path:
            continue
        try:
            lib = ctypes.CDLL(path)  # already mapped: same handle, no second copy
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            info["library"] = path
            info["corename"] = lib.openblas_get_corename().decode()
            info["config"] = lib.openblas_get_config().decode()
            info["num_threads"] = int(lib.openblas_get_num_threads())
            break
        except (OSError, AttributeError):
            continue
    return info


def _median_time(fn, repeat, max_seconds):
    """Warm-up, then `repeat` timed runs, or fewer (MIN_RUNS at least) once max_seconds passed."""
    fn()  # warm-up
    times = []
    start = time.perf_counter()
    while len(times) < repeat:
        t0 = time.perf_counter()
        fn()
        t1 = time.perf_counter()
        times.append(t1 - t0)
        if max_seconds and len(times) >= MIN_RUNS and t1 - start >= max_seconds:
            break
    return {"seconds_median": statistics.median(times), "seconds_min": min(times),
            "repeat": len(times)}


def _numpy_case(np, dims, cell, dtype, seed):
    """Keras-like weights: glorot_uniform W (D, gM) and Wo (M, K), orthogonal U (M, gM) with
    orthonormal rows, X ~ N(0, 1); small random biases (LSTM forget block + 1; GRU (2, 3M))."""
    n, t, d, m, k = dims
    g = GATES[cell]
    rng = np.random.default_rng([seed, g])

    def glorot(fi, fo):
        a = math.sqrt(6.0 / (fi + fo))
        return rng.uniform(-a, a, size=(fi, fo)).astype(dtype)

    q, r = np.linalg.qr(rng.standard_normal((g * m, m)))  # q (gM, M), orthonormal columns
    u = (q * np.sign(np.diag(r))).T.astype(dtype)
    if cell == "gru":
        b = rng.uniform(-0.1, 0.1, size=(2, 3 * m))
    else:
        b = rng.uniform(-0.1, 0.1, size=g * m)
        if cell == "lstm":
            b[m:2 * m] += 1.0  # unit_forget_bias
    return {
        "X": rng.standard_normal((n, t, d)).astype(dtype),
        "W": glorot(d, g * m), "U": np.ascontiguousarray(u), "b": b.astype(dtype),
        "Wo": glorot(m, k) if k else None,
        "bo": rng.uniform(-0.1, 0.1, size=k).astype(dtype) if k else None,
    }


def _sigmoid_(np, a):
    """In place: sigmoid(a) = 0.5*tanh(0.5*a) + 0.5 (no overflow, no temporary)."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def _numpy_forward(np, c, dims, cell):
    n, t, d, m, k = dims
    X, W, U, b, Wo, bo = c["X"], c["W"], c["U"], c["b"], c["Wo"], c["bo"]
    dt = X.dtype
    gm = GATES[cell] * m
    b_in = b[0] if cell == "gru" else b

    def inputs():  # the input products of all timesteps in one product
        P = X.reshape(n * t, d) @ W
        P += b_in
        return P.reshape(n, t, gm)

    def simplernn():
        P = inputs()
        h, hb = np.zeros((n, m), dt), np.empty((n, m), dt)
        for s in range(t):
            np.matmul(h, U, out=hb)
            hb += P[:, s]
            np.tanh(hb, out=hb)
            h, hb = hb, h
        return h

    def lstm():
        P = inputs()
        h, cs = np.zeros((n, m), dt), np.zeros((n, m), dt)
        z, tmp = np.empty((n, 4 * m), dt), np.empty((n, m), dt)
        zif, zi, zf, zc, zo = z[:, :2 * m], z[:, :m], z[:, m:2 * m], z[:, 2 * m:3 * m], z[:, 3 * m:]
        for s in range(t):
            np.matmul(h, U, out=z)
            z += P[:, s]
            _sigmoid_(np, zif)
            np.tanh(zc, out=zc)
            _sigmoid_(np, zo)
            cs *= zf
            np.multiply(zi, zc, out=tmp)
            cs += tmp
            np.tanh(cs, out=h)
            h *= zo
        return h

    def gru():
        P = inputs()
        b_rec = b[1]
        h = np.zeros((n, m), dt)
        hp, zr, hh = np.empty((n, 3 * m), dt), np.empty((n, 2 * m), dt), np.empty((n, m), dt)
        zz, rr, hp_zr, hp_h = zr[:, :m], zr[:, m:], hp[:, :2 * m], hp[:, 2 * m:]
        for s in range(t):
            xp = P[:, s]
            np.matmul(h, U, out=hp)
            hp += b_rec
            np.add(xp[:, :2 * m], hp_zr, out=zr)
            _sigmoid_(np, zr)
            np.multiply(rr, hp_h, out=hh)
            hh += xp[:, 2 * m:]
            np.tanh(hh, out=hh)  # h~
            h -= hh              # h = z*h + (1-z)*h~ = z*(h - h~) + h~
            h *= zz
            h += hh
        return h

    body = {"simplernn": simplernn, "lstm": lstm, "gru": gru}[cell]

    def run():
        h = body()
        return h @ Wo + bo if k else h
    return run


def _torch_forward(torch, np, c, dims, cell, dtype):
    n, t, d, m, k = dims
    tdt = torch.float64 if dtype == "float64" else torch.float32
    if cell == "simplernn":
        mod = torch.nn.RNN(d, m, nonlinearity="tanh", batch_first=True)
    elif cell == "lstm":
        mod = torch.nn.LSTM(d, m, batch_first=True)  # gates i, f, g, o: Keras's order
    else:
        mod = torch.nn.GRU(d, m, batch_first=True)   # gates r, z, n: permute Keras's z, r, h
    mod = mod.to(tdt)
    W, U, b = c["W"], c["U"], c["b"]
    if cell == "gru":
        perm = np.concatenate([np.arange(m, 2 * m), np.arange(0, m), np.arange(2 * m, 3 * m)])
        W, U, b_ih, b_hh = W[:, perm], U[:, perm], b[0][perm], b[1][perm]
    else:
        b_ih, b_hh = b, np.zeros_like(b)
    lin = torch.nn.Linear(m, k).to(tdt) if k else None
    with torch.no_grad():  # same weights as numpy: PyTorch's column convention
        mod.weight_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
        mod.weight_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(U.T)))
        mod.bias_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(b_ih)))
        mod.bias_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(b_hh)))
        if k:
            lin.weight.copy_(torch.from_numpy(c["Wo"].T.copy()))
            lin.bias.copy_(torch.from_numpy(c["bo"]))
    mod.eval()
    x = torch.from_numpy(c["X"]).contiguous()  # same values as torch.randn(N,T,D)-style X

    def run():
        with torch.inference_mode():
            out, _ = mod(x)
            last = out[:, -1, :]
            return lin(last) if k else last
    return run


def _child_init(spec):
    """Import numpy (and torch), pin the thread counts, describe the BLAS in use."""
    threads = spec["threads"]
    res = {"threads": threads, "python": sys.version.split()[0], "executable": sys.executable,
           "env": {k: os.environ.get(k) for k in list(THREAD_VARS) + list(UNSET_ENV)}}
    import numpy as np
    res["numpy_version"] = np.__version__
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            np.show_config()
        except Exception as e:  # noqa: BLE001
            print(f"show_config failed: {e}")
    cfg = buf.getvalue()
    m = re.search(r"blas_opt_info:\s*\n(?:\s+.*\n)*?\s+libraries = (\[.*?\])", cfg)
    res["numpy_build_blas"] = m.group(1) if m else (
        "openblas" if "openblas" in cfg.lower() else "see numpy.show_config()")
    np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)  # make sure BLAS is loaded
    libs_np = _mapped_libs()
    res["numpy_blas_libs"] = _blas_libs(libs_np)
    torch = None
    if spec["torch"]:
        try:
            import torch as _torch
            torch = _torch
            torch.set_num_threads(threads)
            res["torch_version"] = torch.__version__
            show = torch.__config__.show()
            bi = re.search(r"BLAS_INFO=([^,\s]+)", show)
            li = re.search(r"LAPACK_INFO=([^,\s]+)", show)
            res["torch_blas_info"] = bi.group(1) if bi else "?"
            res["torch_lapack_info"] = li.group(1) if li else "?"
            res["torch_mkldnn"] = bool(torch.backends.mkldnn.is_available())
            res["torch_num_threads"] = torch.get_num_threads()
            res["torch_parallel"] = [l.strip() for l in torch.__config__.parallel_info()
                                     .splitlines() if "parallel backend" in l]
            res["torch_extra_libs"] = _blas_libs(_mapped_libs() - libs_np)
        except Exception as e:  # noqa: BLE001
            res["torch_error"] = f"{type(e).__name__}: {e}"
            torch = None
    # OpenBLAS threads: after numpy and torch have loaded their BLAS, so that the limit covers
    # every copy. Kept for the child's life (the environment says the same).
    try:
        import threadpoolctl
        res["_limiter"] = threadpoolctl.threadpool_limits(limits=threads, user_api="blas")
        res["threadpoolctl"] = f"threadpoolctl {threadpoolctl.__version__}: BLAS limited to {threads}"
    except Exception as e:  # noqa: BLE001
        res["threadpoolctl"] = (f"threadpoolctl unavailable ({type(e).__name__}: {e}); "
                                f"OPENBLAS_NUM_THREADS={threads} only")
    res["openblas"] = _openblas_details(_mapped_libs())
    return np, torch, res


def _child_case(np, torch, item, threads):
    dims, dtype, cell = tuple(item["dims"]), item["dtype"], item["cell"]
    cap = None if item["repeat_fixed"] else item["max_seconds"]
    repeat = item["repeat"]
    out = {"dims": list(dims), "dtype": dtype, "cell": cell, "threads": threads}
    c = _numpy_case(np, dims, cell, np.dtype(dtype), item["seed"])
    fn_np = _numpy_forward(np, c, dims, cell)
    y_np = fn_np()
    tag = f"{dims_str(dims)} {cell} {dtype}, {threads} thread(s)"
    if torch is not None and item["torch"]:
        log(f"  torch    {tag} ...")
        try:
            fn_t = _torch_forward(torch, np, c, dims, cell, dtype)
            y_t = fn_t().numpy()
            out["torch"] = _median_time(fn_t, repeat, cap)
            out["torch_vs_numpy_max_abs_diff"] = float(np.max(np.abs(y_t - y_np)))
            del fn_t, y_t
        except Exception as e:  # noqa: BLE001
            out["torch"] = {"error": f"{type(e).__name__}: {e}"}
    log(f"  numpy    {tag} ...")
    out["numpy"] = _median_time(fn_np, repeat, cap)
    ob = _openblas_details(_mapped_libs())
    out["openblas_threads"] = ob.get("num_threads")
    if torch is not None:
        out["torch_threads"] = torch.get_num_threads()
    return out


def child_main() -> int:
    """Line protocol on stdin/stdout: a spec line, answered with the child's description; then
    one case per line, each answered with its measurements; EOF ends the child."""
    proto = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)          # anything else printed (by Python or C) goes to stderr
    sys.stdout = sys.stderr

    def send(obj):
        proto.write(json.dumps(obj) + "\n")
        proto.flush()

    spec = json.loads(sys.stdin.readline())
    np, torch, res = _child_init(spec)
    global _BLAS_LIMIT
    _BLAS_LIMIT = res.pop("_limiter", None)  # keeps the limit alive
    send(res)
    while True:
        line = sys.stdin.readline()
        if not line:
            return 0
        item = json.loads(line)
        try:
            send(_child_case(np, torch, item, spec["threads"]))
        except Exception as e:  # noqa: BLE001
            send({"error": f"{type(e).__name__}: {e}"})


def check_main() -> int:
    """--check: the numpy loops against torch's modules on the same (converted) weights, float64."""
    import numpy as np
    import torch
    torch.set_num_threads(1)
    worst = 0.0
    failed = 0
    for cell in CELLS:
        for dims in [(3, 7, 4, 5, 2), (2, 40, 3, 8, 0), (1, 10, 3, 5, 2), (4, 300, 6, 16, 3)]:
            c = _numpy_case(np, dims, cell, np.dtype("float64"), 1)
            y_np = _numpy_forward(np, c, dims, cell)()
            y_t = _torch_forward(torch, np, c, dims, cell, "float64")().numpy()
            diff = float(np.max(np.abs(y_np - y_t)))
            ok = y_np.shape == y_t.shape and diff <= CHECK_TOL
            failed += not ok
            worst = max(worst, diff)
            print(f"{'ok  ' if ok else 'FAIL'} {CELL_CLASS[cell]:9s} {dims_str(dims):14s} "
                  f"y {tuple(y_np.shape)}, max |numpy - torch| = {diff:.3g}")
    print(f"{'all agree' if not failed else f'{failed} case(s) disagree'} to {CHECK_TOL:g} "
          f"(worst {worst:.3g}), float64, torch {torch.__version__}, numpy {np.__version__}")
    return 1 if failed else 0


# --------------------------------------------------------------------------- parent side

def run_cmd(cmd, timeout=20, env=None):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
        return p.returncode, p.stdout, p.stderr
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "", str(e)


def machine_info():
    info = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "kernel": platform.release(), "logical_cpus": os.cpu_count()}
    rc, out, _ = run_cmd(["lscpu"])
    if rc == 0:
        kv = {}
        for line in out.splitlines():
            if ":" in line:
                a, b = line.split(":", 1)
                kv[a.strip()] = b.strip()
        info["cpu_model"] = kv.get("Model name", "?")
        try:
            info["physical_cores"] = (int(kv.get("Core(s) per socket", 0))
                                      * int(kv.get("Socket(s)", 1)))
        except ValueError:
            pass
        info["threads_per_core"] = kv.get("Thread(s) per core")
        info["hypervisor"] = kv.get("Hypervisor vendor")
        flags = kv.get("Flags", "").split()
        info["simd"] = [f for f in ("avx2", "fma", "avx512f") if f in flags]
    else:
        info["cpu_model"] = platform.processor() or "?"
    try:
        with open("/proc/loadavg") as f:
            info["loadavg_1min"] = float(f.read().split()[0])
    except (OSError, ValueError):
        pass
    return info


def query_alternative(name):
    rc, out, _ = run_cmd(["update-alternatives", "--query", name])
    if rc != 0:
        return None
    value, alts = None, []
    for line in out.splitlines():
        if line.startswith("Value:"):
            value = line.split(":", 1)[1].strip()
        elif line.startswith("Alternative:"):
            alts.append(line.split(":", 1)[1].strip())
    return {"value": value, "alternatives": alts}


def pick_openblas(alts):
    for key in ("openblas-pthread", "openblas-openmp", "openblas"):
        for a in alts:
            if key in a:
                return a
    return None


def check_alternatives(fix: bool):
    """Which BLAS/LAPACK the libblas.so.3 / liblapack.so.3 links resolve to; fix if asked."""
    report, warnings, actions = {}, [], []
    for name in ALT_NAMES:
        q = query_alternative(name)
        if q is None:
            continue
        report[name] = q["value"]
        if name.startswith("libopenblas"):
            continue
        if q["value"] and "openblas" in q["value"]:
            continue
        target = pick_openblas(q["alternatives"])
        cmd = ["update-alternatives", "--set", name, target] if target else None
        if fix and cmd and os.geteuid() == 0:
            rc, _, err = run_cmd(cmd)
            actions.append(" ".join(cmd) + (" -> ok" if rc == 0 else f" -> FAILED: {err.strip()}"))
            if rc == 0:
                report[name] = target
                continue
        if cmd:
            warnings.append(f"{name} points to {q['value']} (NOT OpenBLAS). Fix, as root:\n"
                            f"      {' '.join(cmd)}\n    (or rerun this script with --fix-blas)")
        else:
            warnings.append(f"{name} points to {q['value']} and no OpenBLAS alternative is "
                            f"registered: apt-get install libopenblas0-pthread")
    return report, warnings, actions


def child_env(threads):
    env = dict(os.environ)
    for k in UNSET_ENV:
        env.pop(k, None)
    env.update({k: str(threads) for k in THREAD_VARS})
    return env


class Child:
    """A numpy/torch measuring process at one thread count, alive for the whole run."""

    def __init__(self, py, threads, use_torch):
        self.threads = threads
        self.proc = subprocess.Popen([py, os.path.abspath(__file__), "--_child"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=child_env(threads))
        self._send({"threads": threads, "torch": use_torch})
        self.info = None

    def _send(self, obj):
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def _receive(self):
        line = self.proc.stdout.readline()
        if not line:
            rc = self.proc.wait()
            raise RuntimeError(f"the numpy/torch child ({self.threads} thread(s)) ended "
                               f"(exit {rc})")
        return json.loads(line)

    def ready(self):
        self.info = self._receive()
        return self.info

    def measure(self, case):
        self._send(case)
        return self._receive()

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def run_rnnscope(binary, dims, cell, dtype, threads, repeat, timeout):
    cmd = [binary, "bench", "--dims", dims_str(dims), "--cell", cell, "--dtype", dtype,
           "--repeat", str(repeat), "--threads", str(threads), "--json"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=child_env(threads),
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s: {' '.join(cmd)}"}
    except OSError as e:
        return {"error": f"cannot run {binary}: {e}"}
    if p.returncode != 0:
        first = (p.stderr.strip().splitlines() or ["(no message)"])[0]
        return {"error": f"exit {p.returncode}: {first}"}
    try:
        obj = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"not one JSON object on stdout: {p.stdout.strip()[:200]!r}"}
    if not isinstance(obj, dict) or not isinstance(obj.get("seconds_median"), (int, float)):
        return {"error": f"no seconds_median in {p.stdout.strip()[:200]!r}"}
    res = {"seconds_median": float(obj["seconds_median"]), "repeat": int(obj.get("repeat", repeat)),
           "reported_gflops": obj.get("gflops"), "backend": obj.get("backend"), "raw": obj}
    notes = []
    if list(obj.get("dims", [])) != list(dims):
        notes.append(f"rnnscope reports dims {obj.get('dims')}, asked {list(dims)}")
    if obj.get("cell") is None:
        notes.append(f"rnnscope's JSON names no cell (an older build?); asked {cell}")
    elif obj.get("cell") != cell:
        notes.append(f"rnnscope reports cell {obj.get('cell')}, asked {cell}")
    if obj.get("dtype", dtype) != dtype:
        notes.append(f"rnnscope reports dtype {obj.get('dtype')}, asked {dtype}")
    if obj.get("threads", threads) != threads:
        notes.append(f"rnnscope reports {obj.get('threads')} thread(s), asked {threads}")
    g_ours = flops_of(dims, cell) / res["seconds_median"] / 1e9 if res["seconds_median"] > 0 else 0
    g_rep = obj.get("gflops")
    if isinstance(g_rep, (int, float)) and g_ours > 0 and abs(g_rep / g_ours - 1) > 0.01:
        notes.append(f"rnnscope's gflops {g_rep:.3g} != flops/seconds_median {g_ours:.3g} "
                     f"(flops = 2·N·T·{GATES[cell]}·(D·M + M·M) + 2·N·M·K)")
    if notes:
        res["notes"] = notes
    return res


def best_of(by_threads):
    """The fastest successful measurement of one side, with its thread count."""
    ok = [(r["seconds_median"], int(n)) for n, r in by_threads.items()
          if r and r.get("seconds_median")]
    if not ok:
        return None
    s, n = min(ok)
    return {"seconds_median": s, "threads": n, "repeat": by_threads[str(n)].get("repeat")}


def fmt_ms(s):
    if s is None:
        return "—"
    ms = s * 1e3
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.3g}"


def fmt_gflops(g):
    return f"{g:.1f}" if g >= 10 else f"{g:.3g}"


def fmt_ratio(r, bar):
    if r is None:
        return "—"
    return f"{r:.2f}×" + (" ✓" if r >= bar else f" ✗ (<{bar:g})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Time the forward pass of SimpleRNN/LSTM/GRU -> Dense: rnnscope vs "
                    "PyTorch CPU vs NumPy, each at its best thread count.",
        epilog="Run with /usr/bin/python3; needs apt-get install python3-torch python3-numpy "
               "python3-threadpoolctl libopenblas0-pthread.")
    ap.add_argument("--rnnscope", default="./build/app/rnnscope", metavar="BINARY",
                    help="rnnscope executable (default: %(default)s)")
    ap.add_argument("--no-rnnscope", action="store_true", help="measure torch and numpy only")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    ap.add_argument("--dims", action="append", type=parse_dims, metavar="N,T,D,M,K",
                    help="shape to measure; repeatable (default: "
                         + "; ".join(dims_str(d) for d in DEFAULT_DIMS) + ")")
    ap.add_argument("--cell", action="append", choices=CELLS,
                    help="cell to measure; repeatable (default: all three)")
    ap.add_argument("--threads", type=parse_threads, default=DEFAULT_THREADS, metavar="n[,n...]",
                    help="thread counts to measure every side at; each side's best counts "
                         "(default: 1,2)")
    ap.add_argument("--repeat", type=int, metavar="R",
                    help="timed runs per measurement (default: as many as fit in "
                         "--max-seconds, 3 to 5000)")
    ap.add_argument("--max-seconds", type=float, default=1.5,
                    help="without --repeat, time one side at one thread count on one case for "
                         "about this long (default %(default)s; 3 runs at least)")
    ap.add_argument("--dtype", action="append", choices=("float32", "float64"),
                    help="repeatable, one table each (default: float32)")
    ap.add_argument("--torch-float64", action="store_true",
                    help="with --dtype float64, measure torch too (default: rnnscope vs numpy)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the numpy/torch weights and X")
    ap.add_argument("--json", metavar="PATH",
                    help="also write the results as JSON to PATH ('-': JSON only, on stdout)")
    ap.add_argument("--check", action="store_true",
                    help="only check that the numpy loops agree with torch's modules on the "
                         f"same converted weights (float64, to {CHECK_TOL:g}); exit 1 if not")
    ap.add_argument("--fix-blas", action="store_true",
                    help="as root, point the libblas.so.3/liblapack.so.3 alternatives to "
                         "OpenBLAS (pthread) if they point elsewhere")
    ap.add_argument("--python", default=None,
                    help=f"interpreter for the numpy/torch child (default: {DEBIAN_PYTHON} "
                         "if it exists, else this one)")
    ap.add_argument("--train", action="store_true",
                    help="time one training step (forward, backward, Adam) instead, on one thread")
    ap.add_argument("--network", action="store_true",
                    help="time the forward pass of a 2-layer LSTM stack and a Bidirectional GRU instead, on one thread")
    ap.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--_check", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        return child_main()
    if args._check:
        return check_main()
    if args.repeat is not None and args.repeat < 1:
        ap.error("--repeat must be >= 1")
    if args.max_seconds <= 0:
        ap.error("--max-seconds must be > 0")

    py = args.python or (DEBIAN_PYTHON if os.path.exists(DEBIAN_PYTHON) else sys.executable)
    if os.path.realpath(py) != os.path.realpath(sys.executable):
        log(f"note: measuring numpy/torch with {py} (this script runs under {sys.executable})")
    if args.check:
        return subprocess.run([py, os.path.abspath(__file__), "--_check"],
                              env=child_env(1)).returncode
    if args.train:
        return train_main(args, py)
    if args.network:
        return network_main(args, py)

    shapes = unique(args.dims or DEFAULT_DIMS)
    cells = unique(args.cell or CELLS)
    dtypes = unique(args.dtype or ["float32"])
    threads = args.threads
    torch_for = {dt: not args.no_torch and (dt == "float32" or args.torch_float64)
                 for dt in dtypes}
    use_torch = any(torch_for.values())
    minfo = machine_info()
    alts, blas_warnings, blas_actions = check_alternatives(args.fix_blas)
    parent_env = {k: os.environ.get(k) for k in list(THREAD_VARS) + list(UNSET_ENV)
                  if os.environ.get(k) is not None}

    # rnnscope availability
    rnn_status, rnn_version, rnn_commit = None, None, None
    binary = args.rnnscope
    if args.no_rnnscope:
        rnn_status = "skipped (--no-rnnscope)"
    elif not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
        found = shutil.which(binary) if os.sep not in binary else None
        if found:
            binary = found
        else:
            rnn_status = (f"skipped: no executable at {binary!r} (build rnnscope, pass "
                          f"--rnnscope PATH, or --no-rnnscope)")
    if rnn_status is None:
        binary = os.path.abspath(binary)
        rc, out, _ = run_cmd([binary, "--version"], timeout=10,  # never a window
                             env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
        if rc == 0 and out.strip():
            rnn_version = out.strip().splitlines()[0]
        rc, out, _ = run_cmd(["git", "-C", os.path.dirname(binary), "rev-parse", "--short",
                              "HEAD"], timeout=10)
        if rc == 0:
            rnn_commit = out.strip()
    if rnn_status:
        log(f"rnnscope: {rnn_status}")

    # one numpy/torch child per thread count, the thread environment in place before they
    # import; they start (import torch) side by side, and nothing is timed until all are ready
    log(f"numpy/torch children: {py} at {', '.join(map(str, threads))} thread(s) "
        f"({'/'.join(THREAD_VARS)}=n; {' and '.join(UNSET_ENV)} unset)")
    t_start = time.monotonic()
    children = {}
    try:
        for n in threads:
            children[n] = Child(py, n, use_torch)
        infos = {n: ch.ready() for n, ch in children.items()}
    except (OSError, RuntimeError, ValueError) as e:
        log(f"error: the numpy/torch child failed ({e}); is python3-numpy installed for {py}?")
        for ch in children.values():
            ch.close()
        return 1

    results = []
    try:
        for dtype in dtypes:
            for dims in shapes:
                for cell in cells:
                    results.append(measure_case(children, dims, cell, dtype, torch_for[dtype],
                                                args, rnn_status is None and binary, threads))
    except (OSError, RuntimeError, ValueError) as e:
        log(f"error: {e}")
        return 1
    finally:
        for ch in children.values():
            ch.close()
    wall = time.monotonic() - t_start

    # BLAS verdict
    info1 = infos[threads[0]]
    np_libs = info1.get("numpy_blas_libs", [])
    ref_blas = [l for l in np_libs + info1.get("torch_extra_libs", [])
                if re.search(r"/blas/libblas|/lapack/liblapack", l)]
    if ref_blas:
        blas_warnings.insert(0, "the REFERENCE BLAS is loaded in the measurement process: "
                                + ", ".join(ref_blas))
    if not info1.get("openblas", {}).get("corename"):
        blas_warnings.append("no OpenBLAS found in the measurement process: numpy/torch "
                             "figures are not OpenBLAS figures")
    thread_notes = []
    for n, inf in infos.items():
        got = inf.get("openblas", {}).get("num_threads")
        if got is not None and got != n:
            thread_notes.append(f"the {n}-thread child's OpenBLAS runs {got} thread(s)")
        if inf.get("torch_num_threads") not in (None, n):
            thread_notes.append(f"the {n}-thread child's torch runs "
                                f"{inf['torch_num_threads']} thread(s)")
    for r in results:
        for n, got in r.get("python_threads_in_use", {}).items():
            bad = {k: v for k, v in got.items() if v is not None and v != int(n)}
            if bad:
                thread_notes.append(f"at {dims_str(r['dims'])} {r['cell']} {r['dtype']}, the "
                                    f"{n}-thread child ran {bad}")
    try:
        with open("/proc/loadavg") as f:
            minfo["loadavg_1min_end"] = float(f.read().split()[0])
    except (OSError, ValueError):
        pass
    backends = unique(x["backend"] for r in results
                      for x in r.get("rnnscope", {}).get("by_threads", {}).values()
                      if x.get("backend"))

    report = {
        "machine": minfo,
        "versions": {"python": info1.get("python"), "numpy": info1.get("numpy_version"),
                     "torch": info1.get("torch_version"),
                     "openblas": info1.get("openblas", {}).get("config"),
                     "rnnscope": rnn_version, "rnnscope_commit": rnn_commit},
        "blas": {"alternatives": alts, "numpy_build_blas": info1.get("numpy_build_blas"),
                 "numpy_loaded": np_libs, "torch_blas_info": info1.get("torch_blas_info"),
                 "torch_lapack_info": info1.get("torch_lapack_info"),
                 "torch_mkldnn": info1.get("torch_mkldnn"),
                 "torch_extra_loaded": info1.get("torch_extra_libs"),
                 "torch_parallel": info1.get("torch_parallel"),
                 "torch_error": info1.get("torch_error"),
                 "rnnscope_backend": backends,
                 "warnings": blas_warnings, "actions": blas_actions},
        "threads": {str(n): {"env": inf.get("env"), "openblas": inf.get("openblas"),
                             "threadpoolctl": inf.get("threadpoolctl"),
                             "torch_num_threads": inf.get("torch_num_threads")}
                    for n, inf in infos.items()},
        "thread_notes": thread_notes,
        "environment": {"caller_had": parent_env},
        "rnnscope_status": rnn_status or f"ran {binary}",
        "wall_seconds": round(wall, 1),
        "results": results,
    }

    md = render_markdown(report, dtypes, threads)
    if args.json == "-":
        json.dump(report, sys.stdout, indent=2)
        print()
        print(md, file=sys.stderr)
    else:
        print(md)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(report, f, indent=2)
                f.write("\n")
            log(f"wrote {args.json}")
    for w in blas_warnings:
        log("!!! BLAS WARNING: " + w)
    log(f"done in {wall:.0f} s")
    return 0


def measure_case(children, dims, cell, dtype, with_torch, args, binary, threads):
    """One (shape, cell, dtype): numpy and torch at every thread count, then rnnscope."""
    flops = flops_of(dims, cell)
    row = {"dims": list(dims), "cell": cell, "dtype": dtype, "flops": flops}
    item = {"dims": list(dims), "cell": cell, "dtype": dtype, "seed": args.seed,
            "repeat": args.repeat or MAX_RUNS, "repeat_fixed": args.repeat is not None,
            "max_seconds": args.max_seconds, "torch": with_torch}
    sides = {"torch": {}, "numpy": {}} if with_torch else {"numpy": {}}
    diffs, actual = {}, {}
    for n in threads:
        pyres = children[n].measure(item)
        if "error" in pyres:
            for impl in sides:
                sides[impl][str(n)] = {"error": pyres["error"]}
            continue
        for impl in sides:
            if impl in pyres:
                sides[impl][str(n)] = pyres[impl]
        if "torch_vs_numpy_max_abs_diff" in pyres:
            diffs[str(n)] = pyres["torch_vs_numpy_max_abs_diff"]
        actual[str(n)] = {"openblas": pyres.get("openblas_threads"),
                          "torch": pyres.get("torch_threads")}
    if binary:
        if args.repeat:
            repeat = args.repeat
        else:  # as many runs as the fastest Python side fitted in --max-seconds
            py_best = [r["seconds_median"] for s in sides.values() for r in s.values()
                       if r.get("seconds_median")]
            repeat = (int(min(MAX_RUNS, max(5, round(args.max_seconds / min(py_best)))))
                      if py_best else default_repeat(dims, cell, args.max_seconds))
        sides = {"rnnscope": {}, **sides}
        for n in threads:
            log(f"  rnnscope {dims_str(dims)} {cell} {dtype}, {n} thread(s) ...")
            sides["rnnscope"][str(n)] = run_rnnscope(binary, dims, cell, dtype, n, repeat,
                                                     timeout=max(120, 10 * repeat))
    for impl, by_threads in sides.items():
        for r in by_threads.values():
            if r.get("seconds_median"):
                r["gflops"] = flops / r["seconds_median"] / 1e9
        row[impl] = {"by_threads": by_threads, "best": best_of(by_threads)}
        if row[impl]["best"]:
            row[impl]["best"]["gflops"] = flops / row[impl]["best"]["seconds_median"] / 1e9
    rs = (row.get("rnnscope", {}).get("best") or {}).get("seconds_median")
    for impl in ("torch", "numpy"):
        other = (row.get(impl, {}).get("best") or {}).get("seconds_median")
        if rs and other:
            row[f"speedup_vs_{impl}"] = other / rs
    if diffs:
        row["torch_vs_numpy_max_abs_diff"] = max(diffs.values())
    row["python_threads_in_use"] = actual
    return row


def render_markdown(rep, dtypes, threads):
    m, v, b = rep["machine"], rep["versions"], rep["blas"]
    tl = "/".join(map(str, threads))
    L = [f"## rnnscope forward pass vs PyTorch vs NumPy, every cell "
         f"({', '.join(dtypes)}; each side at its best of {tl} thread(s))", ""]
    for w in b["warnings"]:
        L.append(f"> **!!! BLAS WARNING:** {w}")
    if b["warnings"]:
        L.append("")
    L.append(f"- date: {m['date']}; the whole run took {rep['wall_seconds']:.0f} s")
    cores = f"{m.get('physical_cores', '?')} cores, {m.get('logical_cpus')} logical CPUs"
    extra = f", {m['hypervisor']} guest" if m.get("hypervisor") else ""
    L.append(f"- machine: {m.get('cpu_model')} ({cores}{extra}; "
             f"{'/'.join(m.get('simd', [])) or 'no AVX2'}), Linux {m['kernel']}, "
             f"load average {m.get('loadavg_1min', '?')} at start, "
             f"{m.get('loadavg_1min_end', '?')} at the end")
    L.append(f"- versions: Python {v['python']}, NumPy {v['numpy']}, "
             f"PyTorch {v['torch'] or '—'}, rnnscope {v['rnnscope'] or '—'}"
             + (f" (commit {v['rnnscope_commit']})" if v.get("rnnscope_commit") else ""))
    for n, t in rep["threads"].items():
        ob = t.get("openblas") or {}
        L.append(f"- numpy/torch at {n} thread(s): {ob.get('config', 'no OpenBLAS found')}; "
                 f"core type **{ob.get('corename', '?')}**, {ob.get('num_threads', '?')} "
                 f"thread(s) ({t.get('threadpoolctl')}); torch "
                 f"{t.get('torch_num_threads') or '—'} thread(s)")
    for be in b.get("rnnscope_backend") or []:
        L.append(f"- rnnscope products: {be}")
    L.append("- alternatives: " + ", ".join(f"{k.split('-x86_64')[0]} → {val}"
                                             for k, val in b["alternatives"].items()))
    L.append(f"- numpy: built against {b['numpy_build_blas']}, loads "
             f"{', '.join(os.path.basename(x) for x in b['numpy_loaded']) or '?'}")
    if v["torch"]:
        L.append(f"- torch: BLAS_INFO={b['torch_blas_info']} (→ libblas.so.3), "
                 f"LAPACK_INFO={b['torch_lapack_info']}, oneDNN={b['torch_mkldnn']}, "
                 f"{'; '.join(b.get('torch_parallel') or [])}")
    elif b.get("torch_error"):
        L.append(f"- torch: not measured ({b['torch_error']})")
    env1 = next(iter(rep["threads"].values()))["env"] or {}
    L.append("- measurement env at n threads: "
             + ", ".join(f"{k}=n" for k in THREAD_VARS) + ", "
             + ", ".join(f"{k}={'(unset)' if env1.get(k) is None else env1[k]}"
                         for k in UNSET_ENV)
             + (f"; caller had {rep['environment']['caller_had']}"
                if rep["environment"]["caller_had"] else ""))
    for a in b["actions"]:
        L.append(f"- action taken: `{a}`")
    for t in rep.get("thread_notes", []):
        L.append(f"- **thread count not as asked:** {t}")
    L.append(f"- rnnscope: {rep['rnnscope_status']}")
    L.append("")
    L.append("flops = 2·N·T·g·(D·M + M·M) + 2·N·M·K, g = 1 (SimpleRNN), 4 (LSTM), 3 (GRU); "
             "time = median of R runs after a warm-up, in ms, at the thread count (in "
             "parentheses) that was fastest for that side; ratio = best speed of rnnscope / best "
             "speed of the other (> 1: rnnscope faster; "
             f"bars: ≥ {TORCH_BAR:g} vs torch, ≥ {NUMPY_BAR:g} vs numpy).")
    notes = []
    for dtype in dtypes:
        rows = [r for r in rep["results"] if r["dtype"] == dtype]
        L += ["", f"### {dtype}", ""]
        L.append("| N,T,D,M,K | cell | rnnscope ms (threads) | torch ms (threads) "
                 "| numpy ms (threads) | rnnscope GFLOP/s | rnnscope/torch | rnnscope/numpy |")
        L.append("|---|---|--:|--:|--:|--:|--:|--:|")
        for r in rows:
            where = f"{dims_str(r['dims'])} {r['cell']} {dtype}"
            cells = [dims_str(r["dims"]), CELL_CLASS[r["cell"]]]
            for impl in ("rnnscope", "torch", "numpy"):
                side = r.get(impl)
                best = (side or {}).get("best")
                if best:
                    cells.append(f"{fmt_ms(best['seconds_median'])} ({best['threads']})")
                elif side:
                    cells.append("error")
                else:
                    cells.append("—")
                for n, x in (side or {}).get("by_threads", {}).items():
                    if "error" in x:
                        notes.append(f"{impl} at {where}, {n} thread(s): {x['error']}")
                    for note in x.get("notes", []):
                        notes.append(f"{impl} at {where}, {n} thread(s): {note}")
            rb = (r.get("rnnscope") or {}).get("best")
            cells.append(fmt_gflops(rb["gflops"]) if rb else "—")
            cells.append(fmt_ratio(r.get("speedup_vs_torch"), TORCH_BAR))
            cells.append(fmt_ratio(r.get("speedup_vs_numpy"), NUMPY_BAR))
            L.append("| " + " | ".join(cells) + " |")
            if "torch_vs_numpy_max_abs_diff" in r:
                tol = 1e-4 if dtype == "float32" else 1e-10
                d = r["torch_vs_numpy_max_abs_diff"]
                if not d <= tol:
                    notes.append(f"torch and numpy disagree at {where}: max |Δy| = {d:.3g}")
        # every measurement, for the thread scaling
        impls = [i for i in ("rnnscope", "torch", "numpy") if any(i in r for r in rows)]
        if impls and rows:
            L += ["", f"Every measurement ({dtype}), ms (R runs):", ""]
            L.append("| N,T,D,M,K | cell | "
                     + " | ".join(f"{i} {n}t" for i in impls for n in threads)
                     + (" | torch vs numpy max abs(Δy) |" if "torch" in impls else " |"))
            L.append("|---|---|" + "--:|" * (len(impls) * len(threads))
                     + ("--:|" if "torch" in impls else ""))
            for r in rows:
                cells = [dims_str(r["dims"]), CELL_CLASS[r["cell"]]]
                for i in impls:
                    for n in threads:
                        x = (r.get(i) or {}).get("by_threads", {}).get(str(n))
                        if not x:
                            cells.append("—")
                        elif "error" in x:
                            cells.append("error")
                        else:
                            cells.append(f"{fmt_ms(x['seconds_median'])} ({x['repeat']})")
                if "torch" in impls:
                    d = r.get("torch_vs_numpy_max_abs_diff")
                    cells.append("—" if d is None else f"{d:.2g}")
                L.append("| " + " | ".join(cells) + " |")
    if notes:
        L.append("")
        L += [f"- note: {n}" for n in notes]
    return "\n".join(L)


TRAIN_DIMS = [(32, 100, 16, 64, 4), (64, 128, 64, 256, 10)]
TRAIN_BAR = 1.5  # rnnscope's training step against torch's


def run_side_by_side(script, extra, args, py, what):
    """tools/<script> in a one-thread child (--rnnscope, --no-torch passed on): its first JSON line
    (versions and checks) and the rows after it, or None when it failed."""
    cmd = [py, os.path.join(os.path.dirname(os.path.abspath(__file__)), script), "--rnnscope", args.rnnscope] + extra
    if args.no_torch:
        cmd.append("--no-torch")
    log(what + ": " + " ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True, env=child_env(1))
    if p.returncode != 0:
        log(p.stderr.strip())
        return None
    rows = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return rows[0], rows[1:]


def print_side_by_side(lines, args, machine, head, rows):
    """The Markdown table, and with --json the results as JSON."""
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": machine, "check": head, "rows": rows}, f, indent=1)


def train_main(args, py) -> int:
    """--train: tools/bench_train.py in a one-thread child; a Markdown table of its results."""
    extra = ["--repeat", str(args.repeat or 5)]
    for d in unique(args.dims or TRAIN_DIMS):
        extra += ["--dims", dims_str(d).replace(" ", "")]
    for c in unique(args.cell or CELLS):
        extra += ["--cell", c]
    result = run_side_by_side("bench_train.py", extra, args, py, "training step")
    if result is None:
        return 1
    head, rows = result
    m = machine_info()
    L = [f"One training step (forward, backward through time, Adam), float32, 1 thread — "
         f"{m['date'][:10]}, {m.get('cpu_model', '?')}, {m.get('logical_cpus')} CPUs; torch "
         f"{head['torch']}, numpy {head['numpy']}; NumPy BPTT == rnnscope grad to "
         f"{head['max_abs_diff']:.1g}", "",
         "| N,T,D,M,K | cell | rnnscope (ms) | torch (ms) | numpy (ms) | torch / rnnscope | numpy / rnnscope |",
         "|---|---|---|---|---|---|---|"]
    for r in rows:
        t, n, ours = r.get("torch"), r["numpy"], r["rnnscope"]
        L.append(f"| {dims_str(r['dims'])} | {r['cell']} | {fmt_ms(ours)} | "
                 f"{fmt_ms(t) if t else '—'} | {fmt_ms(n)} | "
                 f"{fmt_ratio(t / ours, TRAIN_BAR) if t else '—'} | {fmt_ratio(n / ours, NUMPY_BAR)} |")
    print_side_by_side(L, args, m, head, rows)
    return 0


NETWORK_DIMS = (64, 128, 64, 256, 10)


def network_main(args, py) -> int:
    """--network: tools/bench_network.py in a one-thread child; a Markdown table of its results."""
    dims = (args.dims or [NETWORK_DIMS])[0]
    result = run_side_by_side("bench_network.py", ["--repeat", str(args.repeat or 10), "--dims", dims_str(dims).replace(" ", "")],
                              args, py, "networks")
    if result is None:
        return 1
    head, rows = result
    m = machine_info()
    check = f"; NumPy loops == torch to {head['max_abs_diff']:.1g}" if head.get("max_abs_diff") is not None else ""
    L = [f"Forward pass of a network, float32, 1 thread — {m['date'][:10]}, {m.get('cpu_model', '?')}, "
         f"{m.get('logical_cpus')} CPUs; torch {head['torch']}, numpy {head['numpy']}{check}", "",
         "| network | N,T,D,[M…],K | rnnscope (ms) | torch (ms) | numpy (ms) | torch / rnnscope | numpy / rnnscope |",
         "|---|---|---|---|---|---|---|"]
    for r in rows:
        t, n, ours = r.get("torch"), r["numpy"], r["rnnscope"]
        L.append(f"| {r['network']} | {r['dims']} | {fmt_ms(ours)} | {fmt_ms(t) if t else '—'} | {fmt_ms(n)} | "
                 f"{fmt_ratio(t / ours, TORCH_BAR) if t else '—'} | {fmt_ratio(n / ours, NUMPY_BAR)} |")
    print_side_by_side(L, args, m, head, rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
