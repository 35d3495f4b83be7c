"""What the Python checks of the command line share: running rnnscope, a refusal's one line, the
activations as NumPy computes them (the forward tests' references), and the runner that calls every
test_ function of a module and ends with `N passed, N failed`.

Usage from a test module (run as `/usr/bin/python3 tests/test_x.py BUILD/app/rnnscope SHARED_DIR`):

    import clitest
    from clitest import run, refused
    ...
    if __name__ == "__main__":
        sys.exit(clitest.main(globals()))
"""
import functools
import os
import resource
import subprocess
import sys
import traceback

import numpy as np

BIN, SHARED = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen")


def softmax(a):
    """Keras's softmax over the last axis."""
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# Every activation the command line names, as NumPy computes it (the references of the forward tests).
ACTIVATIONS = {
    "tanh": np.tanh,
    "relu": lambda v: np.maximum(v, 0),
    "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
    "linear": lambda v: v,
    "hard_sigmoid": lambda v: np.clip(v / 6 + 0.5, 0, 1),  # Keras 3
    "hard_sigmoid_keras2": lambda v: np.clip(0.2 * v + 0.5, 0, 1),  # Keras 1 and 2
    "softmax": softmax,
}
DENSE_ACTIVATIONS = ("relu", "sigmoid", "tanh", "softmax")  # besides linear, the default


def dense_output(Z, dense_activation, what):
    """ACTIVATIONS[dense_activation](Z), the Dense layer's output from its pre-activation Z, after
    checking that the activation changes Z by far more than any tolerance (100 times float32's 1e-5):
    so that a forward pass that left it out (linear) cannot pass a comparison with this reference."""
    Y = ACTIVATIONS[dense_activation](Z)
    if dense_activation != "linear":
        assert np.abs(Y - Z).max() > 1e-3, f"{what}: {dense_activation} barely changes this case's output"
    return Y


def numpy_forward(X, Wx, Wh, bh, Wo=None, bo=None, activation="tanh", sequences=False, dense_activation="linear"):
    """Y and H of Input((T, D)) → SimpleRNN(M) → Dense(K) (K = 0: Wo None) as a float64 NumPy loop."""
    N, T, D = X.shape
    h = np.zeros((N, Wh.shape[0]))
    H = np.zeros((N, T, Wh.shape[0]))
    for t in range(T):
        h = ACTIVATIONS[activation](X[:, t] @ Wx + h @ Wh + bh)
        H[:, t] = h
    if Wo is None:
        return (H if sequences else h), H
    Y = dense_output((H if sequences else h) @ Wo + bo, dense_activation, f"sequences={sequences}")
    return Y, H


def random_case(rng, N, T, D, M, K):
    """X, Wx, Wh, bh, Wo, bo of a SimpleRNN drawn by NumPy (Wo, bo None when K = 0)."""
    Wx = rng.uniform(-0.6, 0.6, (D, M))
    Wh = np.linalg.qr(rng.standard_normal((M, M)))[0] * 0.9
    bh = rng.uniform(-0.2, 0.2, M)
    Wo = rng.uniform(-0.6, 0.6, (M, K)) if K else None
    bo = rng.uniform(-0.2, 0.2, K) if K else None
    X = rng.standard_normal((N, T, D))
    return X, Wx, Wh, bh, Wo, bo


@functools.lru_cache(maxsize=None)
def sanitized():
    """Whether rnnscope is an AddressSanitizer build, whose shadow memory takes terabytes of address
    space: no address-space limit can be set on it (the Release build's run checks that limit)."""
    ldd = subprocess.run(["ldd", BIN], capture_output=True, text=True).stdout
    if "libasan" in ldd:
        return True
    with open(BIN, "rb") as f:
        return b"__asan_init" in f.read()


def run(*args, expect=0, address_space=None):
    """rnnscope with these arguments; it must exit with `expect`. With address_space (bytes), it runs
    with at most that much virtual memory (not on a sanitizer build: see sanitized())."""
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    p = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, env=ENV, timeout=600,
                       preexec_fn=limit if address_space and not sanitized() else None)
    if p.returncode != expect:
        raise AssertionError(f"rnnscope {' '.join(map(str, args))}: exit {p.returncode}, expected {expect}\n"
                             f"stdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def refused(*args, mentions=(), mentions_any_case=(), address_space=None):
    """Exit 2 with one line on stderr that names the offending value, and nothing on stdout."""
    p = run(*args, expect=2, address_space=address_space)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    for m in mentions:
        assert m in lines[0], f"{m!r} not in {lines[0]!r}"
    for m in mentions_any_case:
        assert m.lower() in lines[0].lower(), f"{m!r} (any case) not in {lines[0]!r}"
    assert p.stdout == "", f"stdout should be empty, got {p.stdout!r}"
    return lines[0]


def main(namespace):
    """Runs every test_ function of `namespace` (a module's globals()) in order; 1 when one failed.
    A function marked @unittest.expectedFailure (a known bug of rnnscope, the test asserting the
    correct behaviour) passes as XFAIL when it fails, and fails when it passes (XPASS: the bug is
    fixed, remove the mark)."""
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, f in tests:
        expected_failure = getattr(f, "__unittest_expecting_failure__", False)
        try:
            f()
        except Exception as e:
            if expected_failure:
                print(f"XFAIL  {name}: a known bug: {' '.join(str(e).split())}")
                passed += 1
                continue
            print(f"FAIL!  {name}")
            traceback.print_exc()
            failed += 1
            continue
        if expected_failure:
            print(f"XPASS! {name}: marked as an expected failure, but passes: remove the mark")
            failed += 1
        else:
            print(f"PASS   {name}")
            passed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
