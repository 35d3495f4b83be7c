"""An X desktop for tests of the real window: an Xvfb display, a user whose data and settings live
in a temporary folder, and xdotool to find windows, press keys and answer dialogs. Used by
test_recovery.py and test_monkey.py."""
import glob
import os
import shutil
import subprocess
import tempfile
import time

BINARY = os.environ.get("RNNSCOPE_BINARY", "build/app/rnnscope")


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def desktop_for(test):
    """A Desktop, or the test fails naming what is missing (a skip would pass unseen in CTest)."""
    if not shutil.which("Xvfb") or not shutil.which("xdotool"):
        test.fail("needs Xvfb and xdotool (scripts/install-deps.sh installs them)")
    return Desktop()


class Desktop:
    """An Xvfb display and the environment of a user whose data and settings live in a temp dir."""

    def __init__(self):
        self.home = tempfile.mkdtemp(prefix="rnnscope-recovery-")
        self.xvfb, number = self.start_xvfb()
        self.env = dict(os.environ)
        for key in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY"):
            self.env.pop(key, None)
        self.env.update({
            "DISPLAY": ":" + number,
            "HOME": self.home,
            "XDG_DATA_HOME": os.path.join(self.home, "data"),
            "XDG_CONFIG_HOME": os.path.join(self.home, "config"),
            "XDG_RUNTIME_DIR": self.home,
            "DBUS_SESSION_BUS_ADDRESS": "disabled:",
        })
        self.autosave = os.path.join(self.home, "data", "rnnscope", "rnnscope", "autosave")

    @staticmethod
    def start_xvfb():
        """An Xvfb on a free display from :100 up (away from a desktop's :0), ready for clients.
        -noreset: by default the server resets when its last client goes (a killed window, each
        xdotool call) and refuses connections meanwhile."""
        for number in range(100 + os.getpid() % 500, 1000):
            if os.path.exists(f"/tmp/.X{number}-lock"):
                continue
            read, write = os.pipe()
            xvfb = subprocess.Popen(
                ["Xvfb", f":{number}", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp",
                 "-noreset"],
                pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            os.close(write)
            with os.fdopen(read) as f:
                ready = f.readline().strip()  # written once the server takes clients
            if ready == str(number):
                env = dict(os.environ, DISPLAY=f":{number}")
                probe = subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True, timeout=30)
                if probe.returncode == 0:
                    return xvfb, str(number)
            xvfb.kill()
            xvfb.wait()
        raise RuntimeError("no Xvfb display could be started")

    def close(self):
        self.xvfb.terminate()
        self.xvfb.wait()
        shutil.rmtree(self.home, ignore_errors=True)

    def xdotool(self, *args, timeout=30):
        out = subprocess.run(["xdotool", *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        return out.stdout.strip()

    def window(self, name, process):
        """The id of the visible window of `process` whose title contains `name`."""
        def find():
            if process.poll() is not None:
                process.stderr.seek(0)
                raise AssertionError(f"rnnscope ended with status {process.returncode} before showing '{name}':\n"
                                     + process.stderr.read().decode(errors="replace")[-3000:])
            ids = self.titled(name, process)
            return ids[-1] if ids else None
        try:
            return wait_for(find, 120, f"a window named '{name}'")
        except AssertionError as e:
            process.stderr.seek(0)
            raise AssertionError(f"{e}; rnnscope's stderr:\n" + process.stderr.read().decode(errors="replace")[-3000:])

    def titled(self, name, process):
        """The visible windows of `process` whose title contains `name` (xdotool's --name alone
        also matches a window whose title once did)."""
        ids = self.xdotool("search", "--onlyvisible", "--pid", str(process.pid), "--name", name).split()
        return [i for i in ids if name in self.xdotool("getwindowname", i)]

    def answer(self, name, process, key):
        """Presses `key` in the dialog `name` of `process` until the dialog is gone (a key sent
        while a new dialog is still being mapped can go astray on a loaded machine)."""
        for _ in range(8):
            dialog = self.window(name, process)
            time.sleep(0.5)
            self.keys(dialog, key)
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:
                if not self.titled(name, process):
                    return
                time.sleep(0.2)
        raise AssertionError(f"the dialog '{name}' did not take {key}")

    def keys(self, window, *keys):
        self.xdotool("windowfocus", "--sync", window)
        for k in keys:
            self.xdotool("key", "--clearmodifiers", k)
            time.sleep(0.15)

    def start(self, *args):
        # stderr to a file: a pipe nobody reads could fill and stop the process.
        log = tempfile.TemporaryFile(dir=self.home)
        p = subprocess.Popen([BINARY, *args], env=self.env, stdout=subprocess.DEVNULL, stderr=log)
        p.stderr = log
        return p

    def copies(self):
        return sorted(p for p in glob.glob(os.path.join(self.autosave, "*.json")) if not p.endswith(".origin.json"))
