#!/usr/bin/python3
"""The forward pass of a network side by side: rnnscope, PyTorch and a NumPy loop
(bench_compare.py --network).

Two networks, float32, one thread, at N,T,D,M,K (default 64,128,64,256,10):

  stacked LSTM        Input((T, D)) -> LSTM(M, return_sequences) -> LSTM(M) -> Dense(K)
      rnnscope  `<binary> bench --stack "lstm M seq, lstm M" --dims N,T,D,[M,M],K --json`
      torch     nn.LSTM(D, M, num_layers=2, batch_first=True) + nn.Linear(M, K) on out[:, -1]
  bidirectional GRU   Input((T, D)) -> Bidirectional(GRU(M)) (concat) -> Dense(K)
      rnnscope  `<binary> bench --stack "bi gru M" --dims N,T,D,M,K --json`
      torch     nn.GRU(D, M, bidirectional=True, batch_first=True) + nn.Linear(2M, K) on
                cat(h_n[-2], h_n[-1]) (Keras's Bidirectional without return_sequences)

  numpy     per layer and direction the inputs of all timesteps in one product
            (X.reshape(N*T, D) @ W), then one product h @ U per step for all gates and the gate
            maths vectorised and in place over (N, M) blocks, every h_t kept for the layer above

The NumPy loops are first checked against PyTorch on the same weights (float64, small sizes):
they compute the same networks. Weights are Keras-like (glorot W, orthogonal-ish U, small biases);
the values do not change the speed. Each side: one warm-up run, then --repeat timed runs; the
median is reported. It prints one JSON object per network on stdout (the first: the versions and
the check).

  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/bench_network.py --rnnscope build/app/rnnscope
"""
import argparse
import json
import subprocess
import sys

import numpy as np

from bench_train import timed  # a warm-up, then the median of `repeat` runs


def sigmoid_(a):
    """In place: sigmoid(a) = 0.5·tanh(0.5·a) + 0.5."""
    a *= 0.5
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


def weights(rng, cell, D, M, dtype):
    """Keras's layout: W (D, gM), U (M, gM), b (gM,) or a GRU's (2, 3M)."""
    g = {"lstm": 4, "gru": 3}[cell]
    a = np.sqrt(6 / (D + g * M))
    W = rng.uniform(-a, a, (D, g * M))
    U = rng.normal(0, 1 / np.sqrt(M), (M, g * M))
    b = rng.uniform(-0.1, 0.1, (2, g * M) if cell == "gru" else (g * M,))
    return [x.astype(dtype) for x in (W, U, b)]


def lstm_layer(X, W, U, b, reverse=False):
    """H (N, T, M) of a Keras LSTM (i, f, c, o) in processing order."""
    N, T, D = X.shape
    M = U.shape[0]
    P = (X.reshape(N * T, D) @ W + b).reshape(N, T, 4 * M)
    H = np.empty((N, T, M), X.dtype)
    h, c = np.zeros((N, M), X.dtype), np.zeros((N, M), X.dtype)
    z, tmp = np.empty((N, 4 * M), X.dtype), np.empty((N, M), X.dtype)
    zif, zi, zf, zc, zo = z[:, :2 * M], z[:, :M], z[:, M:2 * M], z[:, 2 * M:3 * M], z[:, 3 * M:]
    for s in range(T):
        np.matmul(h, U, out=z)
        z += P[:, T - 1 - s if reverse else s]
        sigmoid_(zif)
        np.tanh(zc, out=zc)
        sigmoid_(zo)
        c *= zf
        np.multiply(zi, zc, out=tmp)
        c += tmp
        np.tanh(c, out=h)
        h *= zo
        H[:, s] = h
    return H


def gru_layer(X, W, U, b, reverse=False):
    """H (N, T, M) of a Keras GRU (z, r, h; reset_after) in processing order."""
    N, T, D = X.shape
    M = U.shape[0]
    P = (X.reshape(N * T, D) @ W + b[0]).reshape(N, T, 3 * M)
    H = np.empty((N, T, M), X.dtype)
    h = np.zeros((N, M), X.dtype)
    hp, zr, hh = np.empty((N, 3 * M), X.dtype), np.empty((N, 2 * M), X.dtype), np.empty((N, M), X.dtype)
    zz, rr = zr[:, :M], zr[:, M:]
    for s in range(T):
        xp = P[:, T - 1 - s if reverse else s]
        np.matmul(h, U, out=hp)
        hp += b[1]
        np.add(xp[:, :2 * M], hp[:, :2 * M], out=zr)
        sigmoid_(zr)
        np.multiply(rr, hp[:, 2 * M:], out=hh)
        hh += xp[:, 2 * M:]
        np.tanh(hh, out=hh)
        h = zz * (h - hh) + hh
        H[:, s] = h
    return H


def numpy_stacked_lstm(X, layers, Wo, bo):
    H = X
    for W, U, b in layers:
        H = lstm_layer(H, W, U, b)
    return H[:, -1] @ Wo + bo


def numpy_bidirectional_gru(X, fwd, bwd, Wo, bo):
    f = gru_layer(X, *fwd)[:, -1]
    b = gru_layer(X, *bwd, reverse=True)[:, -1]
    return np.concatenate([f, b], axis=1) @ Wo + bo


def torch_modules(torch, D, M, K, stacked, bidir, Wo, bo, dtype):
    """The PyTorch modules with the same weights (Keras → PyTorch: transposed; GRU rows r, z, n)."""
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    perm = np.r_[M:2 * M, 0:M, 2 * M:3 * M]
    with torch.no_grad():
        lstm = torch.nn.LSTM(D, M, num_layers=2, batch_first=True).to(tdt)
        for k, (W, U, b) in enumerate(stacked):
            getattr(lstm, f"weight_ih_l{k}").copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
            getattr(lstm, f"weight_hh_l{k}").copy_(torch.from_numpy(np.ascontiguousarray(U.T)))
            getattr(lstm, f"bias_ih_l{k}").copy_(torch.from_numpy(b.copy()))
            getattr(lstm, f"bias_hh_l{k}").zero_()
        gru = torch.nn.GRU(D, M, bidirectional=True, batch_first=True).to(tdt)
        for sfx, (W, U, b) in zip(("", "_reverse"), bidir):
            getattr(gru, f"weight_ih_l0{sfx}").copy_(torch.from_numpy(np.ascontiguousarray(W[:, perm].T)))
            getattr(gru, f"weight_hh_l0{sfx}").copy_(torch.from_numpy(np.ascontiguousarray(U[:, perm].T)))
            getattr(gru, f"bias_ih_l0{sfx}").copy_(torch.from_numpy(np.ascontiguousarray(b[0][perm])))
            getattr(gru, f"bias_hh_l0{sfx}").copy_(torch.from_numpy(np.ascontiguousarray(b[1][perm])))
        lin1, lin2 = torch.nn.Linear(M, K).to(tdt), torch.nn.Linear(2 * M, K).to(tdt)
        for lin, w, c in ((lin1, Wo[0], bo[0]), (lin2, Wo[1], bo[1])):
            lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(w.T)))
            lin.bias.copy_(torch.from_numpy(c.copy()))
    lstm.eval()
    gru.eval()

    def run_lstm(x):
        with torch.inference_mode():
            out, _ = lstm(x)
            return lin1(out[:, -1])

    def run_gru(x):
        with torch.inference_mode():
            _, h_n = gru(x)
            return lin2(torch.cat([h_n[-2], h_n[-1]], dim=1))
    return run_lstm, run_gru


def case(rng, N, T, D, M, K, dtype):
    stacked = [weights(rng, "lstm", D, M, dtype), weights(rng, "lstm", M, M, dtype)]
    bidir = [weights(rng, "gru", D, M, dtype), weights(rng, "gru", D, M, dtype)]
    Wo = [rng.uniform(-0.3, 0.3, (M, K)).astype(dtype), rng.uniform(-0.3, 0.3, (2 * M, K)).astype(dtype)]
    bo = [rng.uniform(-0.1, 0.1, K).astype(dtype) for _ in range(2)]
    X = rng.standard_normal((N, T, D)).astype(dtype)
    return X, stacked, bidir, list(zip(Wo, bo))


def check(torch):
    """The NumPy loops against PyTorch (float64, 3,7,4,5,2): the largest difference."""
    rng = np.random.default_rng(1)
    X, stacked, bidir, dense = case(rng, 3, 7, 4, 5, 2, np.float64)
    run_lstm, run_gru = torch_modules(torch, 4, 5, 2, stacked, bidir, [d[0] for d in dense], [d[1] for d in dense], np.float64)
    x = torch.from_numpy(X)
    a = np.abs(numpy_stacked_lstm(X, stacked, *dense[0]) - run_lstm(x).numpy()).max()
    b = np.abs(numpy_bidirectional_gru(X, *bidir, *dense[1]) - run_gru(x).numpy()).max()
    return float(max(a, b))


def rnnscope_time(binary, stack, dims, repeat):
    p = subprocess.run([binary, "bench", "--stack", stack, "--dims", dims, "--repeat", str(repeat), "--json"],
                       capture_output=True, text=True, check=True)
    return json.loads(p.stdout)["seconds_median"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rnnscope", required=True)
    ap.add_argument("--dims", default="64,128,64,256,10")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--no-torch", action="store_true")
    args = ap.parse_args()
    N, T, D, M, K = map(int, args.dims.split(","))
    torch = None
    if not args.no_torch:
        import torch
        torch.set_num_threads(1)
    print(json.dumps({"numpy": np.__version__, "torch": torch.__version__ if torch else None,
                      "max_abs_diff": check(torch) if torch else None}), flush=True)
    X, stacked, bidir, dense = case(np.random.default_rng(0), N, T, D, M, K, np.float32)
    run_lstm = run_gru = None
    if torch:
        run_lstm, run_gru = torch_modules(torch, D, M, K, stacked, bidir, [d[0] for d in dense], [d[1] for d in dense], np.float32)
    x = torch.from_numpy(X) if torch else None
    rows = [("2-layer LSTM", "lstm {M} seq, lstm {M}", f"{N},{T},{D},[{M},{M}],{K}",
             lambda: numpy_stacked_lstm(X, stacked, *dense[0]), (lambda: run_lstm(x)) if torch else None),
            ("Bidirectional GRU", "bi gru {M}", f"{N},{T},{D},{M},{K}",
             lambda: numpy_bidirectional_gru(X, *bidir, *dense[1]), (lambda: run_gru(x)) if torch else None)]
    for name, stack, dims, numpy_run, torch_run in rows:
        stack = stack.format(M=M)
        out = {"network": name, "stack": stack, "dims": dims,
               "rnnscope": rnnscope_time(args.rnnscope, stack, dims, args.repeat),
               "numpy": timed(numpy_run, args.repeat)}
        if torch_run:
            out["torch"] = timed(torch_run, args.repeat)
        print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
