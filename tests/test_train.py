#!/usr/bin/env python3
"""rnnscope train: Keras's optimizers, the tasks and the demo a teacher runs.

- The updates: `train --steps 1…3` on full batches of data written here, against Keras 3's formulas
  written below in NumPy (SGD with and without momentum and Nesterov, Adam with ε outside the
  root, RMSprop, clipnorm, global_clipnorm, clipvalue), each step's gradient from `rnnscope grad`
  at the weights of that step (grad itself is checked against PyTorch in test_grad.py).
- The same updates against torch.optim.SGD (plain, momentum, Nesterov) stepping an explicit
  float64 PyTorch loop of the model in Keras's layout (test_grad.py's `torch_states`). Adam is
  checked against Keras's formula only: torch.optim.Adam adds its ε elsewhere (see
  test_sgd_equals_torch_optim_sgd).
- Determinism: the same seed gives the same weights to the last bit.
- The demo: the adding problem at T = 50 — LSTM and GRU go below 0.01 while SimpleRNN stays near
  the 0.167 of predicting the mean; sine next-step is learnt.
- A run that explodes stops, says at which step, and keeps the weights of before it.
- Stop and resume: S1 steps then S2 more equal S1 + S2 steps at once, to the last bit — SGD
  from the weights alone, Adam (and a task's batches) from the state `--save-state` writes.
- The copy task: its shapes (D = K = 9, softmax, every step, categorical_crossentropy), the same
  batches for a seed, the loss falling from log 9 to well below the 0.52 of a model that knows only
  the blanks.

Run: /usr/bin/python3 tests/test_train.py BUILD/app/rnnscope SHARED_DIR
"""
import json
import os
import sys
import tempfile

import numpy as np

import clitest
from clitest import run, refused

TMP = tempfile.mkdtemp(prefix="rnnscope-train-")


def path(name):
    return os.path.join(TMP, name)


def arrays(npz):
    f = np.load(npz)
    return [f[k] for k in sorted(f.files, key=lambda k: int(k.split("_")[1]))]


def case(seed=0, N=6, T=5, D=2, M=3, K=2):
    rng = np.random.default_rng(seed)
    W = [rng.normal(0, 0.5, (D, 4 * M)), rng.normal(0, 0.5, (M, 4 * M)), rng.normal(0, 0.2, (4 * M,)),
         rng.normal(0, 0.5, (M, K)), rng.normal(0, 0.2, (K,))]
    X = rng.normal(0, 1, (N, T, D))
    Y = rng.normal(0, 1, (N, K))
    return W, X, Y


def grad_at(weights, X, Y):
    np.savez(path("w_now.npz"), *weights)
    np.save(path("x.npy"), X)
    np.save(path("y.npy"), Y)
    run("grad", "--cell", "lstm", "--weights", path("w_now.npz"), "--input", path("x.npy"), "--target", path("y.npy"),
        "--out", path("g_now.npz"), "--dtype", "float64")
    return arrays(path("g_now.npz"))


def keras_steps(kind, W, X, Y, steps, lr, momentum=0.0, nesterov=False, clipnorm=None, global_clipnorm=None, clipvalue=None):
    """Keras 3's updates, as its optimizers define them (t 1-based)."""
    W = [w.copy() for w in W]
    s1 = [np.zeros_like(w) for w in W]
    s2 = [np.zeros_like(w) for w in W]
    for t in range(1, steps + 1):
        G = grad_at(W, X, Y)
        if clipvalue is not None:
            G = [np.clip(g, -clipvalue, clipvalue) for g in G]
        if clipnorm is not None:
            G = [g * min(1.0, clipnorm / np.linalg.norm(g)) if np.linalg.norm(g) > 0 else g for g in G]
        if global_clipnorm is not None:
            n = np.sqrt(sum((g ** 2).sum() for g in G))
            if n > global_clipnorm:
                G = [g * global_clipnorm / n for g in G]
        for i, g in enumerate(G):
            if kind == "sgd":
                if momentum == 0:
                    W[i] = W[i] - lr * g
                else:
                    s1[i] = momentum * s1[i] - lr * g
                    W[i] = W[i] + (momentum * s1[i] - lr * g if nesterov else s1[i])
            elif kind == "adam":
                b1, b2, eps = 0.9, 0.999, 1e-7
                s1[i] = s1[i] + (g - s1[i]) * (1 - b1)
                s2[i] = s2[i] + (g * g - s2[i]) * (1 - b2)
                alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
                W[i] = W[i] - alpha * s1[i] / (np.sqrt(s2[i]) + eps)
            else:  # rmsprop
                rho, eps = 0.9, 1e-7
                s1[i] = rho * s1[i] + (1 - rho) * g * g
                W[i] = W[i] - lr * g / np.sqrt(s1[i] + eps)
    return W


def test_updates_follow_keras_formulas():
    W, X, Y = case()
    cases = [
        ("sgd", dict(lr=0.1), []),
        ("sgd", dict(lr=0.1, momentum=0.9), ["--momentum", "0.9"]),
        ("sgd", dict(lr=0.1, momentum=0.9, nesterov=True), ["--momentum", "0.9", "--nesterov"]),
        ("adam", dict(lr=0.01), []),
        ("rmsprop", dict(lr=0.01), []),
        ("adam", dict(lr=0.01, clipnorm=0.05), ["--clipnorm", "0.05"]),
        ("sgd", dict(lr=0.1, global_clipnorm=0.05), ["--global-clipnorm", "0.05"]),
        ("rmsprop", dict(lr=0.01, clipvalue=0.01), ["--clipvalue", "0.01"]),
    ]
    for kind, kw, extra in cases:
        for steps in (1, 3):
            np.savez(path("w0.npz"), *W)
            np.save(path("x.npy"), X)
            np.save(path("y.npy"), Y)
            run("train", "--cell", "lstm", "--weights", path("w0.npz"), "--input", path("x.npy"), "--target", path("y.npy"),
                "--optimizer", kind, "--lr", str(kw["lr"]), *extra, "--steps", str(steps), "--dtype", "float64",
                "--out", path("w1.npz"))
            got = arrays(path("w1.npz"))
            want = keras_steps(kind, W, X, Y, steps, **kw)
            what = f"{kind} {extra} after {steps} step(s)"
            moved = max(np.abs(w - w0).max() for w, w0 in zip(want, W))
            assert moved > 1e-4, f"{what}: the reference barely moves ({moved})"
            for k, (g, w) in enumerate(zip(got, want)):
                err = np.abs(g - w).max()
                assert err < 1e-9, f"{what}: arr_{k} differs from Keras's formula by {err:.3g}"


def test_sgd_equals_torch_optim_sgd():
    """Three full-batch steps of rnnscope's SGD equal torch.optim.SGD's on the same model, data and
    gradients (PyTorch's autograd of an explicit float64 loop in Keras's layout), to 1e-10.

    Keras's and PyTorch's momentum are the same update; they differ in what they store. Keras:
    v ← m·v − lr·g, w ← w + v (Nesterov: w ← w + m·v − lr·g). PyTorch: b ← m·b + g (b = g at the
    first step), w ← w − lr·b (Nesterov: w ← w − lr·(g + m·b)). So v = −lr·b: the same weights
    while lr stays fixed (checked below on the velocity --save-state writes, `sgd_momentum_i`),
    different ones once lr changes between steps, as under a schedule: Keras's velocity keeps the
    old lr in it, PyTorch's buffer does not.

    Adam is not compared with torch.optim.Adam, on purpose: Keras adds ε to √v before the bias
    correction, w ← w − lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·m/(√v + ε), PyTorch to the corrected √v̂,
    w ← w − lr/(1−β₁ᵗ)·m/(√v/√(1−β₂ᵗ) + ε); Keras's ε is PyTorch's ε·√(1−β₂ᵗ), which changes with
    t (DESIGN §1). rnnscope follows Keras, so its Adam is checked against Keras's formula above.
    """
    from test_grad import need_torch, torch_states
    torch = need_torch()
    W, X, Y = case()
    np.savez(path("w0.npz"), *W)
    np.save(path("x.npy"), X)
    np.save(path("y.npy"), Y)
    lr, steps = 0.1, 3
    for momentum, nesterov in ((0.0, False), (0.9, False), (0.9, True)):
        extra = (["--momentum", str(momentum)] if momentum else []) + (["--nesterov"] if nesterov else [])
        # Full batch (no --batch-size), in order (no --shuffle).
        run("train", "--cell", "lstm", "--weights", path("w0.npz"), "--input", path("x.npy"), "--target", path("y.npy"),
            "--optimizer", "sgd", "--lr", str(lr), *extra, "--steps", str(steps), "--dtype", "float64",
            "--out", path("w_sgd.npz"), "--save-state", path("s_sgd.npz"))
        got = arrays(path("w_sgd.npz"))

        params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in W]
        Wx, Wh, b, Wo, bo = params
        opt = torch.optim.SGD(params, lr=lr, momentum=momentum, nesterov=nesterov)
        x, y = torch.tensor(X, dtype=torch.float64), torch.tensor(Y, dtype=torch.float64)
        for _ in range(steps):
            opt.zero_grad()
            out = torch_states(torch, "lstm", x, Wx, Wh, b)[-1] @ Wo + bo
            ((out - y) ** 2).mean().backward()
            opt.step()

        what = f"SGD {extra or 'plain'} after {steps} steps"
        moved = max(np.abs(p.detach().numpy() - w0).max() for p, w0 in zip(params, W))
        assert moved > 1e-3, f"{what}: torch.optim.SGD barely moves the weights ({moved})"
        for k, (g, p) in enumerate(zip(got, params)):
            err = np.abs(g - p.detach().numpy()).max()
            assert err < 1e-10, f"{what}: arr_{k} differs from torch.optim.SGD's by {err:.3g}"
        state = np.load(path("s_sgd.npz"))
        if momentum:
            for k, p in enumerate(params):
                buf = opt.state[p]["momentum_buffer"].numpy()
                v = state[f"sgd_momentum_{k}"]  # flat, in the weight's column-major order
                err = np.abs(v - (-lr * buf).reshape(-1, order="F")).max()
                assert err < 1e-10, f"{what}: Keras's velocity {k} is not −lr × PyTorch's momentum buffer ({err:.3g})"
        else:
            assert not [f for f in state.files if f.startswith("sgd_momentum")], state.files


def train_task(task, cell, steps, T, M=32, seed=0, lr="0.01", extra=()):
    out = path(f"{task}_{cell}.npz")
    p = run("train", "--task", task, "--cell", cell, "--dims", f"64,{T},{2 if task == 'adding' else 1},{M},1",
            "--optimizer", "adam", "--lr", lr, "--global-clipnorm", "1", "--steps", str(steps), "--seed", str(seed),
            "--out", out, "--json", *extra)
    lines = [json.loads(l) for l in p.stdout.splitlines()]
    losses = [l["loss"] for l in lines if "loss" in l and "step" in l]
    vals = [l["val_loss"] for l in lines if "val_loss" in l]
    assert len(losses) == steps, f"{task} {cell}: {len(losses)} step lines for {steps} steps"
    return losses, vals, out


def test_the_same_seed_gives_the_same_weights():
    _, _, a = train_task("adding", "gru", 20, 10, M=8, seed=4)
    with open(a, "rb") as f:
        first = f.read()
    _, _, b = train_task("adding", "gru", 20, 10, M=8, seed=4)
    with open(b, "rb") as f:
        assert f.read() == first, "two runs with one seed differ"
    _, _, c = train_task("adding", "gru", 20, 10, M=8, seed=5)
    with open(c, "rb") as f:
        assert f.read() != first, "another seed gives the same weights"


def test_adding_problem_simplernn_fails_where_lstm_and_gru_learn():
    # README's demo: T = 50, batch 64, Adam 0.01, global clipnorm 1, M = 32.
    results = {}
    for cell in ("lstm", "gru", "simplernn"):
        _, vals, _ = train_task("adding", cell, 1000, 50)
        results[cell] = min(vals)
    assert results["lstm"] < 0.01, results
    assert results["gru"] < 0.01, results
    assert results["simplernn"] > 0.1, results  # predicting the mean: 1/6


def test_sine_is_learnt():
    _, vals, _ = train_task("sine", "lstm", 600, 50)
    assert vals[-1] < 1e-3, vals[-5:]


def test_explosion_stops_and_says_where():
    W, X, Y = case(N=4)
    Y = Y * 1e6
    np.savez(path("w0.npz"), *W)
    np.save(path("x.npy"), X)
    np.save(path("y.npy"), Y)
    # (the progress of the steps before it is on stdout: one line on stderr says what happened)
    p = run("train", "--cell", "lstm", "--weights", path("w0.npz"), "--input", path("x.npy"), "--target", path("y.npy"),
            "--optimizer", "sgd", "--lr", "1e30", "--steps", "50", "--dtype", "float32", "--out", path("boom.npz"), expect=2)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "training exploded at step" in lines[0] and "--clipnorm" in lines[0], lines
    line = lines[0]
    step = int(line.split("at step ")[1].split(":")[0])
    assert 1 < step <= 50, line
    kept = arrays(path("boom.npz"))
    assert all(np.isfinite(k).all() for k in kept), "the weights kept are not those of before the explosion"


def copy_run(cell, steps, T=12, seed=0, extra=()):
    out = path(f"copy_{cell}_{seed}.npz")
    p = run("train", "--task", "copy", "--cell", cell, "--dims", f"64,{T},9,32,9", "--optimizer", "adam", "--lr", "0.01",
            "--global-clipnorm", "1", "--steps", str(steps), "--seed", str(seed), "--out", out, "--json", *extra)
    lines = [json.loads(l) for l in p.stdout.splitlines()]
    return [l["loss"] for l in lines if "loss" in l], [l["val_loss"] for l in lines if "val_loss" in l], out


def test_copy_task():
    # Shapes: D = K = 9 (8 symbols and the delimiter / the blank), the Dense softmax.
    losses, vals, out = copy_run("simplernn", 300)
    W = arrays(out)
    assert [w.shape for w in W] == [(9, 32), (32, 32), (32,), (32, 9), (9,)], [w.shape for w in W]
    # categorical_crossentropy by default: a near-uniform softmax over 9 classes starts near log 9.
    assert 1.5 < losses[0] < 3.0, f"the first loss {losses[0]} is not a crossentropy near log 9 = {np.log(9):.3f}"
    # The loss falls: past the plateau of knowing the blanks alone (3·log 8 / 12 ≈ 0.52).
    assert vals[-1] < 0.1 and vals[-1] < losses[0] / 20, (losses[0], vals[-5:])
    # The same seed, the same batches and weights; another seed, others.
    a, _, wa = copy_run("gru", 10, seed=3)
    b, _, wb = copy_run("gru", 10, seed=3)
    c, _, _ = copy_run("gru", 10, seed=4)
    assert a == b and all((x == y).all() for x, y in zip(arrays(wa), arrays(wb))), "two runs with one seed differ"
    assert a != c, "another seed gives the same losses"
    # The task's sequence must hold the symbols, the delimiter and the answers; its targets are
    # one-hot, so the class-id loss is refused; its D is fixed.
    refused("train", "--task", "copy", "--dims", "64,6,9,8,9", "--optimizer", "adam", "--steps", "1", "--out", path("w.npz"),
            mentions=("copy", "T ≥ 7", "T = 6"))
    refused("train", "--task", "copy", "--dims", "64,12,9,8,9", "--optimizer", "adam", "--steps", "1", "--out", path("w.npz"),
            "--loss", "sparse_categorical_crossentropy", mentions=("copy", "class ids", "categorical_crossentropy"))
    refused("train", "--task", "copy", "--dims", "64,12,3,8,9", "--optimizer", "adam", "--steps", "1", "--out", path("w.npz"),
            mentions=("D=3", "D=9"))


def test_stop_and_resume_equal_one_run():
    W, X, Y = case(N=6)
    np.savez(path("w0.npz"), *W)
    np.save(path("x.npy"), X)
    np.save(path("y.npy"), Y)
    data = ["--cell", "lstm", "--input", path("x.npy"), "--target", path("y.npy"), "--dtype", "float64"]

    def bits(npz):
        return [a.tobytes() for a in arrays(npz)]

    # SGD without momentum has no state: the weights written after S1 steps are all it needs.
    run("train", *data, "--weights", path("w0.npz"), "--optimizer", "sgd", "--lr", "0.1", "--steps", "5", "--out", path("sgd5.npz"))
    run("train", *data, "--weights", path("w0.npz"), "--optimizer", "sgd", "--lr", "0.1", "--steps", "3", "--out", path("sgd3.npz"))
    run("train", *data, "--weights", path("sgd3.npz"), "--optimizer", "sgd", "--lr", "0.1", "--steps", "2", "--out", path("sgd3+2.npz"))
    assert bits(path("sgd5.npz")) == bits(path("sgd3+2.npz")), "SGD: 3 + 2 steps differ from 5"

    # Adam carries m, v and t: from the weights alone the resumed run differs; from the state, not.
    # Mini-batches of 4 of the 6 samples, shuffled: the state also says where in which epoch.
    adam = ["--optimizer", "adam", "--lr", "0.01", "--batch-size", "4", "--shuffle"]
    run("train", *data, "--weights", path("w0.npz"), *adam, "--steps", "7", "--out", path("adam7.npz"))
    run("train", *data, "--weights", path("w0.npz"), *adam, "--steps", "3", "--out", path("adam3.npz"),
        "--save-state", path("adam3_state.npz"))
    state = np.load(path("adam3_state.npz"))
    assert int(state["iterations"]) == 3 and "adam_momentum_0" in state.files and "adam_velocity_4" in state.files, state.files
    run("train", *data, "--weights", path("adam3.npz"), *adam, "--steps", "4", "--out", path("adam_naive.npz"))
    assert bits(path("adam7.npz")) != bits(path("adam_naive.npz")), "Adam resumed without its state should differ"
    p = run("train", *data, "--weights", path("w0.npz"), *adam, "--steps", "4", "--out", path("adam3+4.npz"),
            "--resume", path("adam3_state.npz"), "--json")
    steps = [json.loads(l)["step"] for l in p.stdout.splitlines() if '"loss"' in l and '"epoch"' not in l]
    assert steps == [4, 5, 6, 7], steps
    assert bits(path("adam7.npz")) == bits(path("adam3+4.npz")), "Adam: 3 + 4 steps with the state differ from 7"

    # A task in float32: the state's step count picks the next batches; its float64 weights keep
    # what float32 files would round.
    task = ["train", "--task", "adding", "--cell", "gru", "--dims", "16,10,2,8,1", "--optimizer", "adam", "--lr", "0.01"]
    run(*task, "--steps", "30", "--out", path("t30.npz"))
    run(*task, "--steps", "12", "--out", path("t12.npz"), "--save-state", path("t12_state.npz"))
    run(*task, "--steps", "18", "--out", path("t12+18.npz"), "--resume", path("t12_state.npz"))
    assert bits(path("t30.npz")) == bits(path("t12+18.npz")), "a task: 12 + 18 steps with the state differ from 30"

    # A state of another optimizer, or of another model, is refused.
    refused(*task, "--steps", "1", "--out", path("x.npz"), "--resume", path("adam3_state.npz"),
            mentions=("weight_0",))
    refused("train", *data, "--weights", path("w0.npz"), "--optimizer", "rmsprop", "--steps", "1", "--out", path("x.npz"),
            "--resume", path("adam3_state.npz"), mentions=("rmsprop_velocity_0", "rmsprop"))


def test_bench_times_a_training_step():
    """bench --train --json: DESIGN.md's object, seconds_median one step of the whole batch (float32, one thread)."""
    for opt in (None, "sgd"):
        p = run("bench", "--train", "--cell", "gru", "--dims", "8,20,3,16,2", "--repeat", "3", "--json",
                *(["--optimizer", opt] if opt else []))
        r = json.loads(p.stdout)
        assert r["dims"] == [8, 20, 3, 16, 2] and r["cell"] == "gru" and r["dtype"] == "float32" and r["repeat"] == 3, r
        assert r["train"] is True and r["optimizer"] == (opt or "adam") and r["threads"] == 1, r
        assert 0 < r["seconds_median"] < 1 and r["gflops"] > 0, r
    refused("bench", "--train", "--optimizer", "adagrad", mentions=("'adagrad'",))
    refused("bench", "--optimizer", "adam", mentions=("--train",))


def test_refusals():
    refused("train", "--optimizer", "adam", "--steps", "1", "--out", path("w.npz"), mentions=("--task", "--target"))
    refused("train", "--task", "adding", "--steps", "1", "--out", path("w.npz"), mentions=("--optimizer",))
    refused("train", "--task", "adding", "--optimizer", "adagrad", "--steps", "1", "--out", path("w.npz"), mentions=("'adagrad'",))
    refused("train", "--task", "knitting", "--optimizer", "adam", "--steps", "1", "--out", path("w.npz"),
            mentions=("'knitting'", "adding or copy"))
    refused("train", "--task", "adding", "--optimizer", "adam", "--epochs", "2", "--out", path("w.npz"), mentions=("--steps",))
    refused("train", "--task", "adding", "--optimizer", "adam", "--steps", "1", "--out", path("w.npz"), "--dims", "1,10,3,5,2",
            mentions=("D=3", "D=2"))
    refused("train", "--task", "adding", "--optimizer", "adam", "--lr", "-1", "--steps", "1", "--out", path("w.npz"), mentions=("'-1'",))
    refused("train", "--task", "adding", "--optimizer", "adam", "--momentum", "0.9", "--steps", "1", "--out", path("w.npz"),
            mentions=("SGD", "adam"))
    refused("train", "--task", "adding", "--optimizer", "adam", "--steps", "1", "--out", path("w.txt"), mentions=("--out",))


if __name__ == "__main__":
    sys.exit(clitest.main(globals()))
