#!/usr/bin/env python3
"""rnnscope grad against PyTorch's autograd.

Weights and X are drawn here with NumPy and handed to rnnscope as files; the same model is written
below as an explicit PyTorch loop over the timesteps in float64 (Keras's layout and gate order:
x_t @ W + h @ U + b), with every h_t kept (retain_grad), so that autograd gives dL/dW and the total
derivative dL/dh_t. rnnscope's G.npz (keys as `save` writes them), DH.npy and the JSON loss must
agree to 1e-10 (float64) and 1e-4 relative (float32). The crossentropies behind a sigmoid or
softmax Dense: torch.nn.functional.binary_cross_entropy of the clipped probabilities, the nll of
the log of the clipped normalized probabilities; their values also against Keras's formulas in
NumPy on rnnscope's own forward output.

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


EPS = 1e-7  # Keras's backend.epsilon(): the probability clip


def torch_loss(torch, y, target, loss):
    """Keras's losses in PyTorch: the clip as torch.clamp, whose gradient is 0 where it holds."""
    F = torch.nn.functional
    t = torch.tensor(target, dtype=torch.float64)
    if loss == "mse":
        return ((y - t) ** 2).mean()
    if loss == "mae":
        return (y - t).abs().mean()
    if loss == "binary_crossentropy":
        return F.binary_cross_entropy(y.clamp(EPS, 1 - EPS), t)
    p = (y / y.sum(dim=-1, keepdim=True)).clamp(EPS, 1 - EPS)
    if loss == "categorical_crossentropy":
        return -(t * p.log()).sum(dim=-1).mean()
    return F.nll_loss(p.log().reshape(-1, p.shape[-1]), t.reshape(-1).long())  # sparse: class ids


def numpy_loss(Y, target, loss):
    """Keras 3's definitions and reduction, in NumPy, on rnnscope's forward output Y."""
    if loss == "binary_crossentropy":
        p = np.clip(Y, EPS, 1 - EPS)
        return float(np.mean(-(target * np.log(p) + (1 - target) * np.log(1 - p)).mean(axis=-1)))
    if loss == "sparse_categorical_crossentropy":
        target = np.eye(Y.shape[-1])[target.astype(int)]
    p = np.clip(Y / Y.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return float(np.mean(-(target * np.log(p)).sum(axis=-1)))


def torch_loss_and_grads(torch, cell, X, W, U, b, Wo, bo, target, sequences, reset_after=True, loss="mse", dense="linear"):
    """The loss, dL/d(W, U, b, Wo, bo) and dL/dh_t (N, T, M) by autograd through an explicit loop."""
    t64 = lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True)
    W, U, b = t64(W), t64(U), t64(b)
    Wo = t64(Wo) if Wo is not None else None
    bo = t64(bo) if bo is not None else None
    hs = torch_states(torch, cell, torch.tensor(X, dtype=torch.float64), W, U, b, reset_after)
    h = hs[-1]
    out = torch.stack(hs, dim=1) if sequences else h
    y = out @ Wo + bo if Wo is not None else out
    if dense == "sigmoid":
        y = torch.sigmoid(y)
    elif dense == "softmax":
        y = torch.softmax(y, dim=-1)
    L = torch_loss(torch, y, target, loss)
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


def crossentropy_case(cell, sequences, loss, seed, scale=0.5, N=3, T=6, D=2, M=4, K=3):
    """A case behind a sigmoid (binary) or softmax Dense with targets the loss takes: probabilities,
    distributions over K, class ids (one axis fewer)."""
    X, W, U, b, Wo, bo, _ = case(cell, sequences, K, N=N, T=T, D=D, M=M, seed=seed)
    Wo = Wo * scale / 0.5
    rng = np.random.default_rng(seed + 100)
    rows = (N, T) if sequences else (N,)
    if loss == "binary_crossentropy":
        target = rng.uniform(0, 1, rows + (K,))
    elif loss == "categorical_crossentropy":
        target = rng.dirichlet(np.ones(K), rows)
    else:
        target = rng.integers(0, K, rows).astype(np.float64)
    return X, W, U, b, Wo, bo, target


def rnnscope_grad(cell, case_arrays, sequences, reset_after, dtype, loss="mse", dense=None):
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
    if dense:
        args += ["--dense-activation", dense]
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


CROSSENTROPIES = {"binary_crossentropy": "sigmoid", "categorical_crossentropy": "softmax",
                  "sparse_categorical_crossentropy": "softmax"}


def test_crossentropies_equal_pytorch_autograd():
    """Every crossentropy, every cell, both return_sequences modes; scale 8 saturates the Dense so
    that the clip holds some probabilities (their gradient is 0 on both sides)."""
    torch = need_torch()
    clipped = 0
    for loss, dense in CROSSENTROPIES.items():
        for cell in ("simplernn", "lstm", "gru"):
            for sequences in (False, True):
                for scale in (0.5, 8.0):
                    arrays = crossentropy_case(cell, sequences, loss, seed=len(cell) + 2 * sequences, scale=scale)
                    L, want, dh = torch_loss_and_grads(torch, cell, *arrays, sequences, True, loss, dense)
                    what = f"{cell} sequences={sequences} {loss} scale {scale}"
                    for dtype, tol in (("float64", 1e-10), ("float32", 1e-4)):
                        report, got, got_dh = rnnscope_grad(cell, arrays, sequences, True, dtype, loss, dense)
                        assert report["loss_name"] == loss, report
                        assert abs(report["loss"] - L) <= tol * max(1, abs(L)), f"{what} {dtype}: loss {report['loss']} vs {L}"
                        for k, (g, w) in enumerate(zip(got, want)):
                            assert g.shape == w.shape, f"{what}: arr_{k} shape {g.shape}, PyTorch {w.shape}"
                            err = np.abs(g - w).max()
                            assert err <= tol * max(1, np.abs(w).max()), f"{what} {dtype}: arr_{k} differs by {err:.3g}"
                        err = np.abs(got_dh - dh).max()
                        assert err <= tol * max(1, np.abs(dh).max()), f"{what} {dtype}: dL/dh_t differs by {err:.3g}"
                    # The value against Keras's formula in NumPy on rnnscope's own forward output.
                    run("forward", "--weights", path("w.npz"), "--input", path("x.npy"), "--out", path("y.npy"),
                        "--dtype", "float64", "--dense-activation", dense, *(["--return-sequences"] if sequences else []))
                    Y = np.load(path("y.npy"))
                    if loss == "binary_crossentropy":
                        clipped += int(((Y < EPS) | (Y > 1 - EPS)).sum())
                    report, _, _ = rnnscope_grad(cell, arrays, sequences, True, "float64", loss, dense)
                    want_L = numpy_loss(Y, arrays[-1], loss)
                    assert abs(report["loss"] - want_L) <= 1e-12 * max(1, want_L), f"{what}: loss {report['loss']}, NumPy {want_L}"
    assert clipped > 0, "no case reaches the clip"
    # Aliases, and class ids of the wrong shape: the message says which shape was expected.
    X, W, U, b, Wo, bo, target = crossentropy_case("lstm", True, "sparse_categorical_crossentropy", seed=1)
    np.savez(path("w.npz"), W, U, b, Wo, bo)
    np.save(path("x.npy"), X)
    np.save(path("onehot.npy"), np.eye(3)[target.astype(int)])
    refused("grad", "--weights", path("w.npz"), "--input", path("x.npy"), "--target", path("onehot.npy"), "--out", path("g.npz"),
            "--return-sequences", "--dense-activation", "softmax", "--loss", "sparse_categorical_crossentropy",
            mentions=("(3, 6, 3)", "class ids", "(3, 6)"))
    np.save(path("onehot.npy"), np.eye(3)[target.astype(int)])
    a = json.loads(run("grad", "--weights", path("w.npz"), "--input", path("x.npy"), "--target", path("onehot.npy"),
                       "--out", path("g.npz"), "--return-sequences", "--dense-activation", "softmax", "--loss", "cce", "--json").stdout)
    np.save(path("ids.npy"), target)
    b_ = json.loads(run("grad", "--weights", path("w.npz"), "--input", path("x.npy"), "--target", path("ids.npy"),
                        "--out", path("g.npz"), "--return-sequences", "--dense-activation", "softmax", "--loss", "scce", "--json").stdout)
    assert a["loss_name"] == "categorical_crossentropy" and b_["loss_name"] == "sparse_categorical_crossentropy", (a, b_)
    assert abs(a["loss"] - b_["loss"]) < 1e-6 * a["loss"], f"one-hot cce {a['loss']} vs class-id scce {b_['loss']}"


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
    refused("grad", "--target", path("bad_target.npy"), "--out", path("g.npz"), "--loss", "hinge", mentions=("'hinge'", "mse, mae", "binary_crossentropy"))
    refused("grad", "--target", path("bad_target.npy"), "--out", path("g.npz"), "--layout", "pytorch", mentions=("'pytorch'",))


if __name__ == "__main__":
    sys.exit(clitest.main(globals()))
