#!/usr/bin/env python3
"""Nothing lost: the real window, on a real X server (Xvfb), driven with real key presses (xdotool).

1. A window gets unsaved changes (three steps, then Ctrl+R draws new weights); its autosaved copy
   appears in the data directory. The process is killed with SIGKILL.
2. The next start offers to restore; Return restores. The window shows the changes as unsaved
   (the title's '*'), writes its own copy, and removes the orphan. The restored weights are the
   ones the killed window showed, and they are exactly what `rnnscope save --seed 6` writes (the
   draw Ctrl+R made), read back with NumPy.
3. Quitting with unsaved changes asks: Escape keeps the window, Discard quits and leaves no copy.
4. A window killed without unsaved changes leaves nothing to restore.
5. SIGTERM (logout, kill), SIGINT (Ctrl+C) and SIGHUP (the terminal closed) end the window as a close
   does, with status 0: no lock and no temporary file is left, unsaved changes stay in the copy and
   are offered at the next start; a signal during that offer keeps the copy for the start after.
6. Leftovers of dead windows (a temporary file of a write cut short, a lock without a copy) are
   removed at the next start.
"""
import glob
import json
import os
import signal
import subprocess
import time
import unittest

import numpy as np

from xdesktop import BINARY, desktop_for, wait_for

DIMS = ["--dims", "2,8,3,4,2", "--seed", "5"]


def weights(session):
    w = session["weights"]
    return [np.array(w[k], dtype=float) for k in ("Wx", "Wh", "bh", "Wo", "bo")]


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None  # not there, or being replaced


class TestRecovery(unittest.TestCase):
    def setUp(self):
        self.desktop = desktop_for(self)
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stderr.close()
        self.desktop.close()

    def launch(self):
        p = self.desktop.start(*DIMS)
        self.procs.append(p)
        window = self.desktop.window("rnnscope", p)
        time.sleep(1.0)  # mapped is not yet painted and taking keys on a loaded machine
        return p, window

    def drawn_weights(self, seed):
        out = os.path.join(self.desktop.home, f"seed{seed}.npz")
        subprocess.run([BINARY, "save", out, "--dims", "2,8,3,4,2", "--seed", str(seed)], check=True)
        with np.load(out) as z:
            return [z[f"arr_{i}"] for i in range(5)]  # float32, the model's dtype

    def test_kill_then_restore_then_quit(self):
        d = self.desktop
        first, window = self.launch()
        d.keys(window, "Right", "Right", "Right", "ctrl+r")

        def copy_with_changes():
            for path in d.copies():
                s = read_json(path)
                if s and s["seed"] == 6 and s["timestep"] == 2:
                    return path, s
            return None
        path, before = wait_for(copy_with_changes, 30, "the autosaved copy of the changes")
        self.assertTrue(os.path.basename(path).startswith(f"{first.pid}-"), path)

        first.send_signal(signal.SIGKILL)
        first.wait()
        self.assertEqual(d.copies(), [path], "the killed window's copy stays")

        second = d.start(*DIMS)
        self.procs.append(second)
        d.answer("Restore unsaved changes", second, "Return")

        def own_copy():
            copies = d.copies()
            return copies if copies and all(os.path.basename(c).startswith(f"{second.pid}-") for c in copies) else None
        (restored_path,) = wait_for(own_copy, 30, "the restored window's own copy, and the orphan gone")
        restored = wait_for(lambda: read_json(restored_path), 10, "a readable copy")

        # Exactly what the killed window showed: model, input, timestep, sample, view.
        for key in ("dims", "dtype", "seed", "timestep", "sample", "view", "return_sequences", "activation"):
            self.assertEqual(restored[key], before[key], key)
        for a, b in zip(weights(restored), weights(before)):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(np.array(restored["X"], dtype=float), np.array(before["X"], dtype=float))
        # … and they are Ctrl+R's draw (seed 6), not the start's (seed 5): equal to the bit once
        # rounded to float32, the dtype `save` writes.
        for a, b, c in zip(weights(restored), self.drawn_weights(6), self.drawn_weights(5)):
            self.assertEqual(b.dtype, np.float32)
            np.testing.assert_array_equal(a.astype(np.float32), b)
            if np.any(a != 0):  # the biases are zeros in every draw
                self.assertFalse(np.array_equal(a.astype(np.float32), c))

        window = d.window("rnnscope", second)
        title = wait_for(lambda: (t := d.xdotool("getwindowname", window)) and "*" in t and t, 10,
                         "the modified marker in the title")
        self.assertIn("Untitled*", title)

        # Quitting asks; Escape keeps the window and its copy.
        d.keys(window, "ctrl+q")
        d.answer("Unsaved changes", second, "Escape")
        time.sleep(1.0)
        self.assertIsNone(second.poll(), "Cancel keeps the window open")
        self.assertEqual(d.copies(), [restored_path])
        # Discard quits and leaves nothing behind.
        d.keys(window, "ctrl+q")
        d.answer("Unsaved changes", second, "alt+d")
        status = second.wait(timeout=60)
        second.stderr.seek(0)
        self.assertEqual(status, 0, second.stderr.read().decode(errors="replace")[-3000:])
        self.assertEqual(d.copies(), [])
        self.assertEqual(glob.glob(os.path.join(d.autosave, "*.lock")), [])

    def test_kill_without_changes_leaves_nothing(self):
        d = self.desktop
        first, window = self.launch()
        d.keys(window, "Right", "Right")  # stepping is not a change to save
        time.sleep(2.5)                   # longer than the autosave's debounce
        self.assertEqual(d.copies(), [])
        first.send_signal(signal.SIGKILL)
        first.wait()
        second, window = self.launch()
        time.sleep(1.5)
        self.assertEqual(d.titled("Restore unsaved changes", second), [], "nothing to restore")
        self.assertIsNone(second.poll())

    def leftovers(self):
        """Everything in the autosave folder but the copies and their origin files."""
        if not os.path.isdir(self.desktop.autosave):
            return []
        return sorted(f for f in os.listdir(self.desktop.autosave)
                      if not (f.endswith(".json") and not f.startswith(".")))

    def end_with(self, process, sig):
        process.send_signal(sig)
        status = process.wait(timeout=60)
        process.stderr.seek(0)
        self.assertEqual(status, 0, f"{signal.Signals(sig).name}: "
                         + process.stderr.read().decode(errors="replace")[-3000:])

    def test_signals_end_like_a_close(self):
        d = self.desktop
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            with self.subTest(signal=signal.Signals(sig).name):
                p, window = self.launch()
                d.keys(window, "Right", "ctrl+r")
                path = wait_for(lambda: [c for c in d.copies() if (s := read_json(c)) and s["seed"] == 6], 30,
                                "the autosaved copy of the changes")[0]
                self.end_with(p, sig)
                self.assertEqual(d.copies(), [path], "the unsaved changes stay")
                self.assertEqual(read_json(path)["seed"], 6)
                self.assertEqual(self.leftovers(), [], "no lock, no temporary file")
                if sig != signal.SIGHUP:
                    os.remove(path)
                    os.remove(path[:-len(".json")] + ".origin.json")
        # The next start offers the changes; a SIGTERM while it asks keeps them for the start after.
        second = d.start(*DIMS)
        self.procs.append(second)
        d.window("Restore unsaved changes", second)
        self.end_with(second, signal.SIGTERM)
        self.assertEqual(d.copies(), [path])
        self.assertEqual(self.leftovers(), [])
        third = d.start(*DIMS)
        self.procs.append(third)
        d.window("Restore unsaved changes", third)

    def test_signal_without_changes_leaves_nothing(self):
        d = self.desktop
        p, window = self.launch()
        d.keys(window, "Right", "Right")
        self.end_with(p, signal.SIGTERM)
        self.assertEqual(os.listdir(d.autosave) if os.path.isdir(d.autosave) else [], [])

    def test_leftovers_of_dead_windows_go_at_start(self):
        d = self.desktop
        os.makedirs(d.autosave, exist_ok=True)
        dead = subprocess.Popen(["true"])
        dead.wait()
        host = os.uname().nodename
        # A write cut short (its process gone), and a lock whose process is gone, with no copy.
        temporary = os.path.join(d.autosave, f".{dead.pid}-0badf00d.json.tmp-1f2e3d4c")
        with open(temporary, "wb") as f:
            f.write(b"{" * 100000)
        stale = os.path.join(d.autosave, f"{dead.pid}-0badf00d.lock")
        with open(stale, "w") as f:
            f.write(f"{dead.pid}\nrnnscope\n{host}\n")
        # Not ours to touch: a file of another name.
        other = os.path.join(d.autosave, "notes.txt")
        with open(other, "w") as f:
            f.write("kept")
        p, window = self.launch()
        wait_for(lambda: not os.path.exists(temporary) and not os.path.exists(stale), 30, "the leftovers to go")
        self.assertTrue(os.path.exists(other))
        self.assertEqual(d.titled("Restore unsaved changes", p), [], "nothing to restore")


if __name__ == "__main__":
    unittest.main(verbosity=2)
