#!/usr/bin/env python3
"""rnnscope grad against PyTorch's autograd.

Weights and X are drawn here with NumPy and handed to rnnscope as files; the same model is written
below as an explicit PyTorch loop over the timesteps in float64 (Keras's layout and gate order:
x_t @ W + h @ U + b), with every h_t kept (retain_grad), so that autograd gives dL/dW and the total
derivative dL/dh_t. rnnscope's G.npz (keys as `save` writes them), DH.npy and the JSON loss must
agree to 1e-10 (float64) and 1e-4 relative (float32).

Run: /usr/bin/python3 tests/test_grad.py BUILD/app/rnnscope SHARED_DIR
"""
import json
import os
import sys
import tempfile

import numpy as np

import clitest
from clitest import run, refused

TMP = tempfile.mkdtemp(prefix="rnnscope-grad-")
GATES = {"simplernn": 1, "lstm": 4, "gru": 3}


def path(name):
    return os.path.join(TMP, name)


def need_torch():
    try:
        import torch
    except ImportError as e:
        raise AssertionError(f"PyTorch cannot be imported ({e}); this test needs it: apt-get install python3-torch") from None
    torch.set_num_threads(1)
    return torch


def torch_states(torch, cell, x, W, U, b, reset_after=True):
    """h_1 … h_T of an explicit float64 loop in Keras's layout, each kept (retain_grad)."""
    N, T, _ = x.shape
    M = U.shape[0]
    h = torch.zeros(N, M, dtype=torch.float64)
    c = torch.zeros(N, M, dtype=torch.float64)
    hs = []
    for t in range(T):
        xt = x[:, t]
        if cell == "simplernn":
            h = torch.tanh(xt @ W + h @ U + b)
        elif cell == "lstm":
            z = xt @ W + h @ U + b
            i, f, g, o = torch.sigmoid(z[:, :M]), torch.sigmoid(z[:, M:2 * M]), torch.tanh(z[:, 2 * M:3 * M]), torch.sigmoid(z[:, 3 * M:])
            c = f * c + i * g
            h = o * torch.tanh(c)
        elif reset_after:
            xw, hu = xt @ W + b[0], h @ U + b[1]
            zg = torch.sigmoid(xw[:, :M] + hu[:, :M])
            r = torch.sigmoid(xw[:, M:2 * M] + hu[:, M:2 * M])
            hh = torch.tanh(xw[:, 2 * M:] + r * hu[:, 2 * M:])
            h = zg * h + (1 - zg) * hh
        else:
            xw = xt @ W + b
            zg = torch.sigmoid(xw[:, :M] + h @ U[:, :M])
            r = torch.sigmoid(xw[:, M:2 * M] + h @ U[:, M:2 * M])
            hh = torch.tanh(xw[:, 2 * M:] + (r * h) @ U[:, 2 * M:])
            h = zg * h + (1 - zg) * hh
        h.retain_grad()
        hs.append(h)
    return hs


def torch_loss_and_grads(torch, cell, X, W, U, b, Wo, bo, target, sequences, reset_after=True, loss="mse"):
    """The loss, dL/d(W, U, b, Wo, bo) and dL/dh_t (N, T, M) by autograd through an explicit loop."""
    t64 = lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True)
    W, U, b = t64(W), t64(U), t64(b)
    Wo = t64(Wo) if Wo is not None else None
    bo = t64(bo) if bo is not None else None
    hs = torch_states(torch, cell, torch.tensor(X, dtype=torch.float64), W, U, b, reset_after)
    h = hs[-1]
    out = torch.stack(hs, dim=1) if sequences else h
    y = out @ Wo + bo if Wo is not None else out
    diff = y - torch.tensor(target, dtype=torch.float64)
    L = (diff ** 2).mean() if loss == "mse" else diff.abs().mean()
    L.backward()
    grads = [W.grad, U.grad, b.grad] + ([Wo.grad, bo.grad] if Wo is not None else [])
    dh = np.stack([hh_.grad.numpy() for hh_ in hs], axis=1)
    return float(L), [g.numpy() for g in grads], dh


def case(cell, sequences, K, reset_after=True, N=3, T=6, D=2, M=4, seed=0):
    rng = np.random.default_rng(seed)
    g = GATES[cell]
    W = rng.normal(0, 0.5, (D, g * M))
    U = rng.normal(0, 0.5, (M, g * M))
    b = rng.normal(0, 0.3, (2, g * M) if (cell == "gru" and reset_after) else (g * M,))
    Wo = rng.normal(0, 0.5, (M, K)) if K else None
    bo = rng.normal(0, 0.3, (K,)) if K else None
    X = rng.normal(0, 1, (N, T, D))
    width = K if K else M
    target = rng.normal(0, 1, (N, T, width) if sequences else (N, width))
    return X, W, U, b, Wo, bo, target


def rnnscope_grad(cell, case_arrays, sequences, reset_after, dtype, loss="mse"):
    X, W, U, b, Wo, bo, target = case_arrays
    arrays = [W, U, b] + ([Wo, bo] if Wo is not None else [])
    np.savez(path("w.npz"), *arrays)
    np.save(path("x.npy"), X)
    np.save(path("target.npy"), target)
    for f in ("g.npz", "dh.npy"):
        if os.path.exists(path(f)):
            os.remove(path(f))
    args = ["grad", "--weights", path("w.npz"), "--input", path("x.npy"), "--target", path("target.npy"),
            "--out", path("g.npz"), "--dh", path("dh.npy"), "--dtype", dtype, "--loss", loss, "--json"]
    if sequences:
        args.append("--return-sequences")
    if cell == "gru" and not reset_after:
        args.append("--no-reset-after")
    p = run(*args)
    report = json.loads(p.stdout)
    G = np.load(path("g.npz"))
    return report, [G[k] for k in sorted(G.files, key=lambda k: int(k.split("_")[1]))], np.load(path("dh.npy"))


def test_gradients_equal_pytorch_autograd():
    torch = need_torch()
    for cell in ("simplernn", "lstm", "gru"):
        for reset_after in ((True, False) if cell == "gru" else (True,)):
            for sequences in (False, True):
                for K in (2, 0):
                    for loss in ("mse", "mae"):
                        arrays = case(cell, sequences, K, reset_after, seed=len(cell) + K + sequences)
                        L, want, dh = torch_loss_and_grads(torch, cell, *arrays, sequences, reset_after, loss)
                        what = f"{cell} reset_after={reset_after} sequences={sequences} K={K} {loss}"
                        for dtype, tol in (("float64", 1e-10), ("float32", 1e-4)):
                            report, got, got_dh = rnnscope_grad(cell, arrays, sequences, reset_after, dtype, loss)
                            assert report["loss_name"] == loss and report["cell"] == cell, report
                            assert abs(report["loss"] - L) <= tol * max(1, abs(L)), f"{what} {dtype}: loss {report['loss']} vs {L}"
                            assert len(got) == len(want), f"{what}: {len(got)} arrays, expected {len(want)}"
                            for k, (g, w) in enumerate(zip(got, want)):
                                assert g.shape == w.shape, f"{what}: arr_{k} shape {g.shape}, PyTorch {w.shape}"
                                err = np.abs(g - w).max()
                                assert err <= tol * max(1, np.abs(w).max()), f"{what} {dtype}: arr_{k} differs by {err:.3g}"
                            assert got_dh.shape == dh.shape, f"{what}: DH {got_dh.shape} vs {dh.shape}"
                            err = np.abs(got_dh - dh).max()
                            assert err <= tol * max(1, np.abs(dh).max()), f"{what} {dtype}: dL/dh_t differs by {err:.3g}"
                        assert np.abs(dh[:, 0]).max() > 0, f"{what}: the loss does not reach t = 0"


def test_state_jacobian_equals_pytorch():
    """grad --jacobian J.npy --sample n: ‖∂h_{T−1}/∂h_t‖_F of sample n for every t, by autograd row by row."""
    torch = need_torch()
    for cell, reset_after in (("simplernn", True), ("lstm", True), ("gru", True), ("gru", False)):
        X, W, U, b, Wo, bo, target = case(cell, False, 2, reset_after, T=7, seed=3)
        t64 = lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True)
        hs = torch_states(torch, cell, torch.tensor(X, dtype=torch.float64), t64(W), t64(U), t64(b), reset_after)
        n, (N, T, _), M = 1, X.shape, U.shape[0]
        J = np.zeros((T, M, M))
        for j in range(M):
            rows = torch.autograd.grad(hs[-1][n, j], hs, retain_graph=True, allow_unused=True)
            for t in range(T):
                if rows[t] is not None:
                    J[t, j] = rows[t][n].numpy()
        want = np.linalg.norm(J, axis=(1, 2))
        np.savez(path("w.npz"), W, U, b, Wo, bo)
        np.save(path("x.npy"), X)
        np.save(path("target.npy"), target)
        for dtype, tol in (("float64", 1e-10), ("float32", 1e-4)):
            args = ["grad", "--weights", path("w.npz"), "--input", path("x.npy"), "--target", path("target.npy"),
                    "--out", path("g.npz"), "--jacobian", path("j.npy"), "--sample", str(n), "--dtype", dtype]
            if cell == "gru" and not reset_after:
                args.append("--no-reset-after")
            run(*args)
            got = np.load(path("j.npy"))
            assert got.shape == (T,), f"{cell}: J has shape {got.shape}, expected ({T},)"
            assert abs(got[-1] - np.sqrt(M)) <= tol, f"{cell}: ‖∂h_(T−1)/∂h_(T−1)‖_F = {got[-1]}, expected √M"
            err = np.abs(got - want).max()
            assert err <= tol * max(1, want.max()), f"{cell} {dtype}: J differs from autograd by {err:.3g}: {got} vs {want}"
        assert want[0] < want[-1], f"{cell}: the Jacobian's norm should shrink back through time here ({want})"
    refused("grad", "--weights", path("w.npz"), "--input", path("x.npy"), "--target", path("target.npy"),
            "--out", path("g.npz"), "--jacobian", path("j.npy"), "--sample", "3", mentions=("--sample 3", "0 … 2"))
    refused("grad", "--weights", path("w.npz"), "--input", path("x.npy"), "--target", path("target.npy"),
            "--out", path("g.npz"), "--sample", "1", mentions=("--jacobian",))


def test_refusals():
    X, W, U, b, Wo, bo, target = case("lstm", False, 2)
    np.savez(path("w.npz"), W, U, b, Wo, bo)
    np.save(path("x.npy"), X)
    np.save(path("bad_target.npy"), np.zeros((3, 6, 2)))
    refused("grad", "--weights", path("w.npz"), "--input", path("x.npy"), "--target", path("bad_target.npy"),
            "--out", path("g.npz"), mentions=("(3, 6, 2)", "(N, K) = (3, 2)"))
    refused("grad", "--out", path("g.npz"), mentions=("--target",))
    refused("grad", "--target", path("bad_target.npy"), "--out", path("g.npy"), mentions=("g.npy", ".npz"))
    refused("grad", "--target", path("bad_target.npy"), "--out", path("g.npz"), "--loss", "hinge", mentions=("'hinge'", "mse or mae"))
    refused("grad", "--target", path("bad_target.npy"), "--out", path("g.npz"), "--layout", "pytorch", mentions=("'pytorch'",))


if __name__ == "__main__":
    sys.exit(clitest.main(globals()))
