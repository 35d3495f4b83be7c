#!/usr/bin/python3
"""Compare rnnscope's forward pass with PyTorch (CPU) and NumPy, side by side.

The model is Keras's SimpleRNN(M) -> Dense(K) (see DESIGN.md sections 1, 3 and 6):

    h_{-1} = 0,  h_t = tanh(x_t.Wx + h_{t-1}.Wh + bh),  y = h_{T-1}.Wo + bo

For each shape N,T,D,M,K it times, in one run and with one thread each:

  rnnscope  `<binary> bench --dims N,T,D,M,K --dtype DT --repeat R --json`
  torch     torch.nn.RNN(D, M, nonlinearity='tanh', batch_first=True) + torch.nn.Linear(M, K)
            on torch.randn(N, T, D), y = Linear(out[:, -1, :]); torch.set_num_threads(1),
            torch.inference_mode()
  numpy     P = (X.reshape(N*T, D) @ Wx).reshape(N, T, M) + bh;
            for t: h = np.tanh(P[:, t] + h @ Wh);  y = h @ Wo + bo

Each Python measurement is a warm-up run followed by R timed runs (time.perf_counter);
the median is reported, like `rnnscope bench`. Throughput uses DESIGN.md's count:
flops = 2*N*T*(D*M + M*M) + 2*N*M*K. The ratios rnnscope/torch and rnnscope/numpy are
speed ratios (> 1: rnnscope is faster); DESIGN.md asks for >= 1.25 against torch and
>= 1.0 against numpy (OpenBLAS).

Requirements (Debian): apt-get install python3-torch python3-numpy libopenblas0-pthread
Always run it with Debian's interpreter, /usr/bin/python3 (a pyenv/venv python3 on PATH
does not see those packages; if you start it with another interpreter the measurements
are still run in /usr/bin/python3, see --python).

Usage:
  /usr/bin/python3 tools/bench_compare.py --rnnscope build/app/rnnscope
  /usr/bin/python3 tools/bench_compare.py --no-rnnscope --repeat 5
  /usr/bin/python3 tools/bench_compare.py --dims 64,128,64,256,10 --dims 1,10,3,5,2
  /usr/bin/python3 tools/bench_compare.py --dtype float64            # rnnscope vs numpy
  /usr/bin/python3 tools/bench_compare.py --dtype float64 --torch-float64
  /usr/bin/python3 tools/bench_compare.py --json results.json        # also write JSON
  /usr/bin/python3 tools/bench_compare.py --json -                   # JSON only, on stdout

BLAS: NumPy and PyTorch from Debian call whatever /usr/lib/x86_64-linux-gnu/libblas.so.3
points to (the update-alternatives link libblas.so.3-x86_64-linux-gnu). If that is
Debian's reference BLAS (.../blas/libblas.so.3) the comparison is meaningless; the script
says so loudly. Fix it (as root) with

  update-alternatives --set libblas.so.3-x86_64-linux-gnu \\
      /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
  update-alternatives --set liblapack.so.3-x86_64-linux-gnu \\
      /usr/lib/x86_64-linux-gnu/openblas-pthread/liblapack.so.3

or pass --fix-blas to have this script do exactly that (root only).

Threads: the measurements run in a child process with OPENBLAS_NUM_THREADS=1,
OMP_NUM_THREADS=1, MKL_NUM_THREADS=1 (rnnscope's default is one thread too), and with
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from the environment (some machines set
them, and they slow a current OpenBLAS down); the OpenBLAS core type actually in use is
reported. Progress goes to stderr, the Markdown report to stdout.
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

DEFAULT_DIMS = [
    (64, 128, 64, 256, 10),
    (128, 512, 128, 512, 10),
    (8, 4096, 8, 128, 2),
    (1, 10, 3, 5, 2),  # the classic example
]
DEBIAN_PYTHON = "/usr/bin/python3"
MULTIARCH = "x86_64-linux-gnu"
ALT_NAMES = [  # update-alternatives link groups that decide which BLAS is loaded
    "libblas.so.3-" + MULTIARCH,
    "liblapack.so.3-" + MULTIARCH,
    "libopenblas.so.0-" + MULTIARCH,
]
THREAD_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
UNSET_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
TORCH_BAR = 1.25  # DESIGN.md section 6
NUMPY_BAR = 1.0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def flops_of(dims) -> int:
    n, t, d, m, k = dims
    return 2 * n * t * (d * m + m * m) + 2 * n * m * k


def default_repeat(dims) -> int:
    """Repeats so that one implementation spends roughly 5 s on a shape (5 runs at least).

    Cost model: ~20 GFLOP/s for the products plus ~25 us of per-timestep overhead
    (the Python loop of numpy / torch's per-step dispatch). More runs for small shapes.
    """
    n, t, d, m, k = dims
    est = flops_of(dims) / 20e9 + t * 25e-6
    return int(min(5000, max(5, round(5.0 / est))))


def parse_dims(text: str):
    try:
        parts = tuple(int(p) for p in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != 5 or min(parts[:4]) < 1 or parts[4] < 0:
        raise argparse.ArgumentTypeError(
            f"--dims {text!r}: expected N,T,D,M,K (five integers, N,T,D,M >= 1, K >= 0)")
    return parts


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
    t0 = time.perf_counter()
    fn()  # warm-up
    warm = time.perf_counter() - t0
    if max_seconds and warm * repeat > max_seconds:
        repeat = max(3, int(max_seconds / max(warm, 1e-9)))
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), repeat


def _numpy_case(np, dims, dtype, seed):
    """Keras-like weights (glorot_uniform Wx/Wo, orthogonal Wh, zero biases), X ~ N(0,1)."""
    n, t, d, m, k = dims
    rng = np.random.default_rng(seed)

    def glorot(fi, fo):
        a = math.sqrt(6.0 / (fi + fo))
        return rng.uniform(-a, a, size=(fi, fo)).astype(dtype)

    q, r = np.linalg.qr(rng.standard_normal((m, m)))
    wh = (q * np.sign(np.diag(r))).astype(dtype)
    case = {
        "X": rng.standard_normal((n, t, d)).astype(dtype),
        "Wx": glorot(d, m), "Wh": wh, "bh": np.zeros(m, dtype),
        "Wo": glorot(m, k) if k else None, "bo": np.zeros(k, dtype) if k else None,
    }
    return case


def _numpy_forward(np, c, dims):
    n, t, d, m, k = dims
    X, Wx, Wh, bh, Wo, bo = c["X"], c["Wx"], c["Wh"], c["bh"], c["Wo"], c["bo"]

    def run():
        P = (X.reshape(n * t, d) @ Wx).reshape(n, t, m) + bh
        h = np.zeros((n, m), X.dtype)
        for s in range(t):
            h = np.tanh(P[:, s] + h @ Wh)
        return h @ Wo + bo if k else h
    return run


def _torch_forward(torch, c, dims, dtype):
    n, t, d, m, k = dims
    tdt = torch.float64 if dtype == "float64" else torch.float32
    rnn = torch.nn.RNN(d, m, nonlinearity="tanh", batch_first=True).to(tdt)
    lin = torch.nn.Linear(m, k).to(tdt) if k else None
    with torch.no_grad():  # same weights as numpy: PyTorch's column convention
        rnn.weight_ih_l0.copy_(torch.from_numpy(c["Wx"].T.copy()))
        rnn.weight_hh_l0.copy_(torch.from_numpy(c["Wh"].T.copy()))
        rnn.bias_ih_l0.copy_(torch.from_numpy(c["bh"]))
        rnn.bias_hh_l0.zero_()
        if k:
            lin.weight.copy_(torch.from_numpy(c["Wo"].T.copy()))
            lin.bias.copy_(torch.from_numpy(c["bo"]))
    rnn.eval()
    x = torch.from_numpy(c["X"]).contiguous()  # same values as torch.randn(N,T,D)-style X

    def run():
        with torch.inference_mode():
            out, _ = rnn(x)
            last = out[:, -1, :]
            return lin(last) if k else last
    return run


def child_main() -> int:
    spec = json.load(sys.stdin)
    res = {"python": sys.version.split()[0], "executable": sys.executable,
           "env": {k: os.environ.get(k) for k in list(THREAD_ENV) + list(UNSET_ENV)}}
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
            torch.set_num_threads(1)
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
    res["openblas"] = _openblas_details(_mapped_libs())
    res["cases"] = []
    for item in spec["cases"]:
        dims, dtype, repeat = tuple(item["dims"]), item["dtype"], item["repeat"]
        cap = None if item["repeat_fixed"] else spec["max_seconds"]
        out = {"dims": list(dims), "dtype": dtype}
        c = _numpy_case(np, dims, np.dtype(dtype), spec["seed"])
        fn_np = _numpy_forward(np, c, dims)
        y_np = fn_np()
        if torch is not None and item["torch"]:
            log(f"  torch  {','.join(map(str, dims))} {dtype} ...")
            try:
                fn_t = _torch_forward(torch, c, dims, dtype)
                y_t = fn_t().numpy()
                s, r = _median_time(fn_t, repeat, cap)
                out["torch"] = {"seconds_median": s, "repeat": r}
                out["torch_vs_numpy_max_abs_diff"] = float(np.max(np.abs(y_t - y_np)))
            except Exception as e:  # noqa: BLE001
                out["torch"] = {"error": f"{type(e).__name__}: {e}"}
        log(f"  numpy  {','.join(map(str, dims))} {dtype} ...")
        s, r = _median_time(fn_np, repeat, cap)
        out["numpy"] = {"seconds_median": s, "repeat": r}
        res["cases"].append(out)
        del c, fn_np, y_np
    json.dump(res, sys.stdout)
    return 0


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


def child_env():
    env = dict(os.environ)
    for k in UNSET_ENV:
        env.pop(k, None)
    env.update(THREAD_ENV)
    return env


def run_rnnscope(binary, dims, dtype, repeat, env, timeout):
    cmd = [binary, "bench", "--dims", ",".join(map(str, dims)), "--dtype", dtype,
           "--repeat", str(repeat), "--json"]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
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
    res = {"seconds_median": float(obj["seconds_median"]), "repeat": int(obj.get("repeat", repeat)),
           "reported_gflops": obj.get("gflops"), "raw": obj}
    notes = []
    if list(obj.get("dims", [])) != list(dims):
        notes.append(f"rnnscope reports dims {obj.get('dims')}, asked {list(dims)}")
    if obj.get("dtype", dtype) != dtype:
        notes.append(f"rnnscope reports dtype {obj.get('dtype')}, asked {dtype}")
    g_ours = flops_of(dims) / res["seconds_median"] / 1e9 if res["seconds_median"] > 0 else 0
    g_rep = obj.get("gflops")
    if isinstance(g_rep, (int, float)) and g_ours > 0 and abs(g_rep / g_ours - 1) > 0.01:
        notes.append(f"rnnscope's gflops {g_rep:.3g} != flops/seconds_median {g_ours:.3g}")
    if notes:
        res["notes"] = notes
    return res


def fmt_time(s):
    if s is None:
        return "—"
    if s >= 1:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def fmt_mflop(f):
    return f"{f / 1e6:,.1f}" if f >= 1e6 else f"{f / 1e6:.2g}"


def fmt_gflops(g):
    return f"{g:.1f}" if g >= 10 else f"{g:.3g}"


def fmt_ratio(r, bar):
    if r is None:
        return "—"
    return f"{r:.2f}×" + (" ✓" if r >= bar else f" ✗ (<{bar:g})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description="Time SimpleRNN->Dense forward: rnnscope vs PyTorch CPU vs NumPy (1 thread).",
        epilog="Run with /usr/bin/python3; needs apt-get install python3-torch python3-numpy "
               "libopenblas0-pthread.")
    ap.add_argument("--rnnscope", default="./build/app/rnnscope", metavar="BINARY",
                    help="rnnscope executable (default: %(default)s)")
    ap.add_argument("--no-rnnscope", action="store_true", help="measure torch and numpy only")
    ap.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    ap.add_argument("--dims", action="append", type=parse_dims, metavar="N,T,D,M,K",
                    help="shape to measure; repeatable (default: the four standard shapes)")
    ap.add_argument("--repeat", type=int, metavar="R",
                    help="timed runs per implementation and shape (default: per shape, "
                         "more for small ones, about 1-2 minutes in all)")
    ap.add_argument("--dtype", choices=("float32", "float64"), default="float32")
    ap.add_argument("--torch-float64", action="store_true",
                    help="with --dtype float64, measure torch too (default: rnnscope vs numpy)")
    ap.add_argument("--max-seconds", type=float, default=12.0,
                    help="without --repeat, cap the timed runs of one Python implementation "
                         "on one shape to about this long (default %(default)s; min 3 runs)")
    ap.add_argument("--seed", type=int, default=0, help="seed of the numpy/torch weights and X")
    ap.add_argument("--json", metavar="PATH",
                    help="also write the results as JSON to PATH ('-': JSON only, on stdout)")
    ap.add_argument("--fix-blas", action="store_true",
                    help="as root, point the libblas.so.3/liblapack.so.3 alternatives to "
                         "OpenBLAS (pthread) if they point elsewhere")
    ap.add_argument("--python", default=None,
                    help=f"interpreter for the numpy/torch child (default: {DEBIAN_PYTHON} "
                         "if it exists, else this one)")
    ap.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._child:
        return child_main()
    if args.repeat is not None and args.repeat < 1:
        ap.error("--repeat must be >= 1")

    shapes = args.dims or DEFAULT_DIMS
    dtype = args.dtype
    use_torch = not args.no_torch and (dtype == "float32" or args.torch_float64)
    minfo = machine_info()
    alts, blas_warnings, blas_actions = check_alternatives(args.fix_blas)
    env = child_env()
    parent_env = {k: os.environ.get(k) for k in list(THREAD_ENV) + list(UNSET_ENV)
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

    cases = []
    for dims in shapes:
        cases.append({"dims": list(dims), "dtype": dtype,
                      "repeat": args.repeat or default_repeat(dims),
                      "repeat_fixed": args.repeat is not None, "torch": use_torch})

    # numpy + torch in a child with the thread environment in place before they import
    py = args.python or (DEBIAN_PYTHON if os.path.exists(DEBIAN_PYTHON) else sys.executable)
    if os.path.realpath(py) != os.path.realpath(sys.executable):
        log(f"note: measuring numpy/torch with {py} (this script runs under {sys.executable})")
    log(f"numpy/torch child: {py} with {' '.join(f'{k}=1' for k in THREAD_ENV)}, "
        f"{' and '.join(UNSET_ENV)} unset")
    spec = {"cases": cases, "torch": use_torch, "seed": args.seed,
            "max_seconds": args.max_seconds}
    p = subprocess.run([py, os.path.abspath(__file__), "--_child"], input=json.dumps(spec),
                       capture_output=False, stdout=subprocess.PIPE, text=True, env=env)
    if p.returncode != 0:
        log(f"error: the numpy/torch child failed (exit {p.returncode}); is python3-numpy "
            f"installed for {py}?")
        return 1
    child = json.loads(p.stdout)

    # rnnscope, same shapes, same environment
    results = []
    for case, pyres in zip(cases, child["cases"]):
        dims = tuple(case["dims"])
        row = {"dims": list(dims), "dtype": dtype, "flops": flops_of(dims)}
        if rnn_status is None:
            log(f"  rnnscope {','.join(map(str, dims))} {dtype} ...")
            timeout = max(120, 10 * case["repeat"])
            row["rnnscope"] = run_rnnscope(binary, dims, dtype, case["repeat"], env, timeout)
        for impl in ("torch", "numpy"):
            if impl in pyres:
                row[impl] = pyres[impl]
        if "torch_vs_numpy_max_abs_diff" in pyres:
            row["torch_vs_numpy_max_abs_diff"] = pyres["torch_vs_numpy_max_abs_diff"]
        for impl in ("rnnscope", "torch", "numpy"):
            r = row.get(impl)
            if r and r.get("seconds_median"):
                r["gflops"] = row["flops"] / r["seconds_median"] / 1e9
        rs = row.get("rnnscope", {}).get("seconds_median")
        for impl in ("torch", "numpy"):
            other = row.get(impl, {}).get("seconds_median")
            if rs and other:
                row[f"speedup_vs_{impl}"] = other / rs
        results.append(row)

    # BLAS verdict
    ob = child.get("openblas", {})
    np_libs = child.get("numpy_blas_libs", [])
    ref_blas = [l for l in np_libs + child.get("torch_extra_libs", [])
                if re.search(r"/blas/libblas|/lapack/liblapack", l)]
    if ref_blas:
        blas_warnings.insert(0, "the REFERENCE BLAS is loaded in the measurement process: "
                                + ", ".join(ref_blas))
    if not ob.get("corename"):
        blas_warnings.append("no OpenBLAS found in the measurement process: numpy/torch "
                             "figures are not OpenBLAS figures")

    report = {
        "machine": minfo,
        "versions": {"python": child.get("python"), "numpy": child.get("numpy_version"),
                     "torch": child.get("torch_version"),
                     "openblas": ob.get("config"), "rnnscope": rnn_version,
                     "rnnscope_commit": rnn_commit},
        "blas": {"alternatives": alts, "numpy_build_blas": child.get("numpy_build_blas"),
                 "numpy_loaded": np_libs, "torch_blas_info": child.get("torch_blas_info"),
                 "torch_lapack_info": child.get("torch_lapack_info"),
                 "torch_mkldnn": child.get("torch_mkldnn"),
                 "torch_extra_loaded": child.get("torch_extra_libs"),
                 "torch_parallel": child.get("torch_parallel"),
                 "torch_num_threads": child.get("torch_num_threads"),
                 "openblas": ob, "warnings": blas_warnings, "actions": blas_actions},
        "environment": {"measurement": child.get("env"), "caller_had": parent_env},
        "rnnscope_status": rnn_status or f"ran {binary}",
        "results": results,
    }

    md = render_markdown(report, dtype)
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
    return 0


def render_markdown(rep, dtype):
    m, v, b = rep["machine"], rep["versions"], rep["blas"]
    ob = b["openblas"]
    L = [f"## rnnscope forward pass vs PyTorch vs NumPy ({dtype}, 1 thread each)", ""]
    for w in b["warnings"]:
        L.append(f"> **!!! BLAS WARNING:** {w}")
    if b["warnings"]:
        L.append("")
    L.append(f"- date: {m['date']}")
    cores = f"{m.get('physical_cores', '?')} cores, {m.get('logical_cpus')} logical CPUs"
    extra = f", {m['hypervisor']} guest" if m.get("hypervisor") else ""
    L.append(f"- machine: {m.get('cpu_model')} ({cores}{extra}; "
             f"{'/'.join(m.get('simd', [])) or 'no AVX2'}), Linux {m['kernel']}, "
             f"load average {m.get('loadavg_1min', '?')} at start")
    L.append(f"- versions: Python {v['python']}, NumPy {v['numpy']}, "
             f"PyTorch {v['torch'] or '—'}, rnnscope {v['rnnscope'] or '—'}"
             + (f" (commit {v['rnnscope_commit']})" if v.get("rnnscope_commit") else ""))
    L.append(f"- OpenBLAS in use: {ob.get('config', 'none found')}; core type "
             f"**{ob.get('corename', '?')}**, {ob.get('num_threads', '?')} thread(s)"
             + (f" ({ob['library']})" if ob.get("library") else ""))
    L.append("- alternatives: " + ", ".join(f"{k.split('-x86_64')[0]} → {val}"
                                             for k, val in b["alternatives"].items()))
    L.append(f"- numpy: built against {b['numpy_build_blas']}, loads "
             f"{', '.join(os.path.basename(x) for x in b['numpy_loaded']) or '?'}")
    if v["torch"]:
        L.append(f"- torch: BLAS_INFO={b['torch_blas_info']} (→ libblas.so.3), "
                 f"LAPACK_INFO={b['torch_lapack_info']}, oneDNN={b['torch_mkldnn']}, "
                 f"{b['torch_num_threads']} thread(s), "
                 f"{'; '.join(b.get('torch_parallel') or [])}")
    env = rep["environment"]
    L.append("- measurement env: " + ", ".join(
        f"{k}={'(unset)' if val is None else val}" for k, val in env["measurement"].items())
        + (f"; caller had {env['caller_had']}" if env["caller_had"] else ""))
    for a in b["actions"]:
        L.append(f"- action taken: `{a}`")
    L.append(f"- rnnscope: {rep['rnnscope_status']}")
    L.append("")
    L.append("flops = 2·N·T·(D·M + M·M) + 2·N·M·K; time = median of R runs after a warm-up; "
             "ratio = speed of rnnscope / speed of the other (> 1: rnnscope faster; "
             f"bars: ≥ {TORCH_BAR:g} vs torch, ≥ {NUMPY_BAR:g} vs numpy).")
    L.append("")
    L.append("| N,T,D,M,K | MFLOP | rnnscope | GFLOP/s | torch | GFLOP/s | numpy | GFLOP/s "
             "| rnnscope/torch | rnnscope/numpy |")
    L.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    notes = []
    for r in rep["results"]:
        cells = [",".join(map(str, r["dims"])), fmt_mflop(r["flops"])]
        for impl in ("rnnscope", "torch", "numpy"):
            x = r.get(impl)
            if not x:
                cells += ["—", "—"]
            elif "error" in x:
                cells += ["error", "—"]
                notes.append(f"{impl} at {','.join(map(str, r['dims']))}: {x['error']}")
            else:
                cells += [f"{fmt_time(x['seconds_median'])} (R={x['repeat']})",
                          fmt_gflops(x["gflops"])]
            for n in (x or {}).get("notes", []):
                notes.append(f"{impl} at {','.join(map(str, r['dims']))}: {n}")
        cells.append(fmt_ratio(r.get("speedup_vs_torch"), TORCH_BAR))
        cells.append(fmt_ratio(r.get("speedup_vs_numpy"), NUMPY_BAR))
        L.append("| " + " | ".join(cells) + " |")
        if "torch_vs_numpy_max_abs_diff" in r:
            tol = 1e-4 if dtype == "float32" else 1e-10
            d = r["torch_vs_numpy_max_abs_diff"]
            if not d <= tol:
                notes.append(f"torch and numpy disagree at {','.join(map(str, r['dims']))}: "
                             f"max |Δy| = {d:.3g}")
    diffs = [f"{','.join(map(str, r['dims']))}: {r['torch_vs_numpy_max_abs_diff']:.2g}"
             for r in rep["results"] if "torch_vs_numpy_max_abs_diff" in r]
    if diffs:
        L.append("")
        L.append("Sanity check, torch vs numpy on identical weights and X, max |Δy|: "
                 + "; ".join(diffs))
    if notes:
        L.append("")
        L += [f"- note: {n}" for n in notes]
    return "\n".join(L)


if __name__ == "__main__":
    sys.exit(main())
