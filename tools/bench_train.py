#!/usr/bin/python3
"""One training step side by side: rnnscope, PyTorch and a plain NumPy BPTT (bench_compare.py --train).

The model is Keras's recurrent layer (SimpleRNN, LSTM, GRU reset_after; M units) -> Dense(K) on
h_{T-1}, mse against a target (N, K), in float32 on one thread. One step is the forward pass, the
backward pass through time and an Adam update (Keras's form) of every weight:

  rnnscope  `<binary> bench --train --dims N,T,D,M,K --cell CELL --repeat R --json` (seconds_median)
  torch     nn.RNN / nn.LSTM / nn.GRU (D, M, batch_first=True) + nn.Linear(M, K) + nn.MSELoss,
            torch.optim.Adam; zero_grad, forward, backward, step; torch.set_num_threads(1)
  numpy     the BPTT below: the inputs of all timesteps projected in one product
            (X.reshape(N*T, D) @ W), one product h @ U per step for all gates, and every weight
            gradient as one product over all timesteps (dW = Xᵀ·dZ, dU = H_prevᵀ·dZ with the
            (N*T, gM) gradients of the pre-activations), then Adam

Before timing, the NumPy gradients are checked against `rnnscope grad` (float64, N,T,D,M,K =
3,5,2,4,2, every cell, 1e-10): the NumPy side computes what rnnscope computes.

Run it through bench_compare.py --train (which sets one thread in the environment), or directly:
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/bench_train.py --rnnscope build/app/rnnscope \\
      --dims 32,100,16,64,4 --repeat 5
It prints one JSON object per (shape, cell) on stdout.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

GATES = {"simplernn": 1, "lstm": 4, "gru": 3}


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def init(cell, D, M, K, rng, dtype):
    """Keras's layout: W (D, gM), U (M, gM), b (gM,) or a GRU's (2, 3M), Wo (M, K), bo (K,)."""
    g = GATES[cell]
    W = rng.uniform(-0.3, 0.3, (D, g * M))
    U = rng.normal(0, 1 / np.sqrt(M), (M, g * M))
    b = rng.normal(0, 0.1, (2, g * M) if cell == "gru" else (g * M,))
    Wo, bo = rng.uniform(-0.3, 0.3, (M, K)), rng.normal(0, 0.1, (K,))
    return [a.astype(dtype) for a in (W, U, b, Wo, bo)]


def numpy_grads(cell, params, X, Y):
    """The loss mean((y − Y)²) and its gradients in the order of params, by BPTT."""
    W, U, b, Wo, bo = params
    N, T, D = X.shape
    M = U.shape[0]
    Xf = X.reshape(N * T, D)
    P = (Xf @ W + (b[0] if cell == "gru" else b)).reshape(N, T, -1)  # all timesteps' inputs at once
    Hp = np.zeros((N, T, M), X.dtype)  # h_{t-1}
    keep = []
    h = np.zeros((N, M), X.dtype)
    c = np.zeros((N, M), X.dtype)
    for t in range(T):
        Hp[:, t] = h
        if cell == "simplernn":
            h = np.tanh(P[:, t] + h @ U)
            keep.append(h)
        elif cell == "lstm":
            z = P[:, t] + h @ U
            i, f, o = sigmoid(z[:, :M]), sigmoid(z[:, M:2 * M]), sigmoid(z[:, 3 * M:])
            g = np.tanh(z[:, 2 * M:3 * M])
            cp, c = c, f * c + i * g
            tc = np.tanh(c)
            h = o * tc
            keep.append((i, f, g, o, cp, tc))
        else:
            hu = h @ U + b[1]
            zr = sigmoid(P[:, t, :2 * M] + hu[:, :2 * M])
            zg, r = zr[:, :M], zr[:, M:]
            hh = np.tanh(P[:, t, 2 * M:] + r * hu[:, 2 * M:])
            keep.append((zg, r, hh, hu))
            h = zg * h + (1 - zg) * hh
    y = h @ Wo + bo
    L = float(np.mean((y - Y) ** 2))
    dy = 2 * (y - Y) / y.size
    dWo, dbo = h.T @ dy, dy.sum(0)
    dh = dy @ Wo.T
    dZ = np.empty_like(P)  # dL/d(input projection) of every step
    dHU = np.empty_like(P) if cell == "gru" else dZ  # a GRU's dL/d(h U + b_rec)
    dc = np.zeros((N, M), X.dtype)
    for t in range(T - 1, -1, -1):
        if cell == "simplernn":
            dZ[:, t] = dh * (1 - keep[t] ** 2)
            dh = dZ[:, t] @ U.T
        elif cell == "lstm":
            i, f, g, o, cp, tc = keep[t]
            dc = dc + dh * o * (1 - tc ** 2)
            dZ[:, t, :M] = dc * g * i * (1 - i)
            dZ[:, t, M:2 * M] = dc * cp * f * (1 - f)
            dZ[:, t, 2 * M:3 * M] = dc * i * (1 - g ** 2)
            dZ[:, t, 3 * M:] = dh * tc * o * (1 - o)
            dc = dc * f
            dh = dZ[:, t] @ U.T
        else:
            zg, r, hh, hu = keep[t]
            dah = dh * (1 - zg) * (1 - hh ** 2)
            dZ[:, t, :M] = dh * (Hp[:, t] - hh) * zg * (1 - zg)
            dZ[:, t, M:2 * M] = dah * hu[:, 2 * M:] * r * (1 - r)
            dZ[:, t, 2 * M:] = dah
            dHU[:, t, :2 * M] = dZ[:, t, :2 * M]
            dHU[:, t, 2 * M:] = dah * r
            dh = dh * zg + dHU[:, t] @ U.T
    dZf, dHUf = dZ.reshape(N * T, -1), dHU.reshape(N * T, -1)
    dW = Xf.T @ dZf  # one product over all timesteps
    dU = Hp.reshape(N * T, M).T @ dHUf
    db = np.stack([dZf.sum(0), dHUf.sum(0)]) if cell == "gru" else dZf.sum(0)
    return L, [dW, dU, db, dWo, dbo]


class Adam:
    """Keras 3's Adam: ε outside the root, α = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)."""

    def __init__(self, params, lr=1e-3, b1=0.9, b2=0.999, eps=1e-7):
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t, self.lr, self.b1, self.b2, self.eps = 0, lr, b1, b2, eps

    def step(self, params, grads):
        self.t += 1
        alpha = self.lr * np.sqrt(1 - self.b2 ** self.t) / (1 - self.b1 ** self.t)
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m += (g - m) * (1 - self.b1)
            v += (g * g - v) * (1 - self.b2)
            p -= (alpha * m / (np.sqrt(v) + self.eps)).astype(p.dtype)


def check_against_rnnscope(binary, tmp):
    """NumPy's gradients == `rnnscope grad` in float64 for every cell; the largest difference."""
    worst = 0.0
    for cell in GATES:
        rng = np.random.default_rng(1)
        params = init(cell, 2, 4, 2, rng, np.float64)
        X, Y = rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 2))
        np.savez(os.path.join(tmp, "w.npz"), *params)
        np.save(os.path.join(tmp, "x.npy"), X)
        np.save(os.path.join(tmp, "y.npy"), Y)
        out = subprocess.run([binary, "grad", "--weights", os.path.join(tmp, "w.npz"), "--input", os.path.join(tmp, "x.npy"),
                              "--target", os.path.join(tmp, "y.npy"), "--out", os.path.join(tmp, "g.npz"), "--dtype", "float64",
                              "--json"], capture_output=True, text=True, check=True)
        G = np.load(os.path.join(tmp, "g.npz"))
        theirs = [G[f"arr_{k}"] for k in range(5)]
        L, ours = numpy_grads(cell, params, X, Y)
        assert abs(json.loads(out.stdout)["loss"] - L) < 1e-12, f"{cell}: the loss differs from rnnscope's"
        for k, (a, b) in enumerate(zip(ours, theirs)):
            assert a.shape == b.shape, f"{cell} arr_{k}: {a.shape} vs rnnscope's {b.shape}"
            err = float(np.abs(a - b).max())
            assert err < 1e-10, f"{cell} arr_{k}: the NumPy BPTT differs from rnnscope grad by {err:.3g}"
            worst = max(worst, err)
    return worst


def timed(fn, repeat):
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def numpy_step_time(cell, dims, repeat):
    N, T, D, M, K = dims
    rng = np.random.default_rng(0)
    params = init(cell, D, M, K, rng, np.float32)
    X = rng.standard_normal((N, T, D)).astype(np.float32)
    Y = np.zeros((N, K), np.float32)
    opt = Adam(params)

    def step():
        _, grads = numpy_grads(cell, params, X, Y)
        opt.step(params, grads)
    return timed(step, repeat)


def torch_step_time(torch, cell, dims, repeat):
    N, T, D, M, K = dims
    torch.manual_seed(0)
    rnn = {"simplernn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell](D, M, batch_first=True)
    lin = torch.nn.Linear(M, K)
    X, Y = torch.randn(N, T, D), torch.zeros(N, K)
    opt = torch.optim.Adam(list(rnn.parameters()) + list(lin.parameters()), lr=1e-3)
    mse = torch.nn.MSELoss()

    def step():
        opt.zero_grad()
        out, _ = rnn(X)
        loss = mse(lin(out[:, -1]), Y)
        loss.backward()
        opt.step()
    return timed(step, repeat)


def rnnscope_step_time(binary, cell, dims, repeat):
    out = subprocess.run([binary, "bench", "--train", "--dims", ",".join(map(str, dims)), "--cell", cell, "--repeat", str(repeat),
                          "--threads", "1", "--json"], capture_output=True, text=True, check=True)
    obj = json.loads(out.stdout.strip().splitlines()[-1])
    assert obj.get("train") is True and obj["dtype"] == "float32", obj
    return obj["seconds_median"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rnnscope", default="./build/app/rnnscope")
    ap.add_argument("--dims", action="append", required=True)
    ap.add_argument("--cell", action="append")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args()
    torch = None
    if not args.no_torch:
        import torch
        torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="rnnscope-bench-train-") as tmp:
        check = check_against_rnnscope(args.rnnscope, tmp)
    print(json.dumps({"check": "numpy BPTT == rnnscope grad (float64)", "max_abs_diff": check,
                      "torch": torch.__version__ if torch else None, "numpy": np.__version__}), flush=True)
    for text in args.dims:
        dims = tuple(int(v) for v in text.split(","))
        for cell in args.cell or list(GATES):
            # The three sides of one case back to back, so that the machine's load hits them alike.
            row = {"dims": list(dims), "cell": cell, "repeat": args.repeat,
                   "rnnscope": rnnscope_step_time(args.rnnscope, cell, dims, args.repeat),
                   "numpy": numpy_step_time(cell, dims, args.repeat)}
            if torch:
                row["torch"] = torch_step_time(torch, cell, dims, args.repeat)
            print(json.dumps(row), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
