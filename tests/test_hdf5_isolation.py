#!/usr/bin/env python3
"""A Keras file that crashes the HDF5 library is refused, not fatal (README: Files).

Usage: /usr/bin/python3 tests/test_hdf5_isolation.py BUILD/app/rnnscope SHARED_DIR

rnnscope reads HDF5 in a short-lived child process. tests/fixtures/hdf5_reader_crash.h5 makes
libhdf5 die of SIGSEGV (its original, one bit away, reads fine): every command that reads weights
must refuse it with one line on stderr that names the file and says the reader crashed, exit with
status 2 (bad input), write nothing, leave no core file, and go on to the next command.
"""
import os
import re
import subprocess
import sys
import tempfile
import unittest

from clitest import sanitized  # noqa: E402 (clitest reads the binary and the shared folder from argv)

BIN = os.path.abspath(sys.argv[1])
SHARED = os.path.abspath(sys.argv[2])
HERE = os.path.dirname(os.path.abspath(__file__))
CRASH = os.path.join(HERE, "fixtures", "hdf5_reader_crash.h5")
ORIGINAL = os.path.join(SHARED, "fixtures", "keras", "keras1_dl4j_simple_rnn_only.h5")
# A sanitizer build's child reports the library's memory error and exits 1 instead of dying.
CRASHED = r"the HDF5 reader crashed on this file \((signal \d+, [^()]+|exit status \d+)\): refused as damaged"


class TestHdf5Isolation(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix="rnnscope-hdf5-")
        self.addCleanup(self.dir.cleanup)

    def run_in_dir(self, *args):
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
        return subprocess.run([BIN, *args], cwd=self.dir.name, capture_output=True, text=True, timeout=120, env=env)

    def out(self, name):
        return os.path.join(self.dir.name, name)

    def assert_refused_as_crashed(self, *args, writes=()):
        r = self.run_in_dir(*args)
        command = " ".join(args)
        if r.returncode < 0:
            self.fail(f"{command}: rnnscope itself died of signal {-r.returncode}: the HDF5 reader is not isolated")
        self.assertEqual(r.returncode, 2, f"{command}: status {r.returncode}, stderr:\n{r.stderr}")
        lines = r.stderr.splitlines()
        if sanitized():
            # The child's own report of libhdf5's memory error comes first (as in test_kerasfile):
            # what rnnscope says is the last line.
            report = "\n".join(lines[:-1])
            self.assertTrue(not report or "AddressSanitizer" in report, f"{command}: stderr:\n{r.stderr}")
            lines = lines[-1:]
        self.assertEqual(len(lines), 1, f"{command}: not one line on stderr:\n{r.stderr}")
        self.assertRegex(lines[0], "^rnnscope: " + re.escape(CRASH) + ": " + CRASHED + "$",
                         f"{command}: the reason does not say that the reader crashed on the file"
                         " (does this libhdf5 read the fixture without crashing? see tests/fixtures/README.md)")
        self.assertEqual(r.stdout, "", command)
        for name in writes:
            self.assertFalse(os.path.exists(self.out(name)), f"{command} wrote {name}")
        self.assertEqual([f for f in os.listdir(self.dir.name) if f.startswith("core")], [], "a core file was left")

    def test_the_original_reads(self):
        r = self.run_in_dir("summary", "--weights", ORIGINAL)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("simple_rnn", r.stdout)

    def test_every_command_that_reads_weights_refuses_it(self):
        self.assert_refused_as_crashed("summary", "--weights", CRASH)
        self.assert_refused_as_crashed("trace", "--weights", CRASH)
        self.assert_refused_as_crashed("forward", "--weights", CRASH, "--out", self.out("y.npy"), writes=["y.npy"])
        self.assert_refused_as_crashed("save", self.out("w.npz"), "--weights", CRASH, writes=["w.npz"])
        # The file given to the app itself (here its offscreen screenshot): refused before a window opens.
        self.assert_refused_as_crashed("screenshot", self.out("shot.png"), CRASH, writes=["shot.png"])


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
