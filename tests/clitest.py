"""What the Python checks of the command line share: running rnnscope, a refusal's one line, and
the runner that calls every test_ function of a module and ends with `N passed, N failed`.

Usage from a test module (run as `/usr/bin/python3 tests/test_x.py BUILD/app/rnnscope SHARED_DIR`):

    import clitest
    from clitest import run, refused
    ...
    if __name__ == "__main__":
        sys.exit(clitest.main(globals()))
"""
import os
import subprocess
import sys
import traceback

BIN, SHARED = sys.argv[1], sys.argv[2]
ENV = dict(os.environ, QT_QPA_PLATFORM="offscreen")


def run(*args, expect=0):
    """rnnscope with these arguments; it must exit with `expect`."""
    p = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, env=ENV, timeout=600)
    if p.returncode != expect:
        raise AssertionError(f"rnnscope {' '.join(map(str, args))}: exit {p.returncode}, expected {expect}\n"
                             f"stdout: {p.stdout[-2000:]}\nstderr: {p.stderr[-2000:]}")
    return p


def refused(*args, mentions=(), mentions_any_case=()):
    """Exit 2 with one line on stderr that names the offending value, and nothing on stdout."""
    p = run(*args, expect=2)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    for m in mentions:
        assert m in lines[0], f"{m!r} not in {lines[0]!r}"
    for m in mentions_any_case:
        assert m.lower() in lines[0].lower(), f"{m!r} (any case) not in {lines[0]!r}"
    assert p.stdout == "", f"stdout should be empty, got {p.stdout!r}"
    return lines[0]


def main(namespace):
    """Runs every test_ function of `namespace` (a module's globals()) in order; 1 when one failed."""
    tests = [(n, f) for n, f in namespace.items() if n.startswith("test_") and callable(f)]
    passed = failed = 0
    for name, f in tests:
        try:
            f()
            print(f"PASS   {name}")
            passed += 1
        except Exception:
            print(f"FAIL!  {name}")
            traceback.print_exc()
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0
