#!/usr/bin/env python3
"""A monkey in the window: the real rnnscope on Xvfb, driven for a fixed time by seeded random
clicks, double clicks, right clicks, drags, wheel turns, keys (playback, undo, shortcuts, menus)
and typed text (numbers negative and huge, '1,5', '1e39', '0x1p3', 'abc', nothing), every dialog
that opens answered one way or the other (Return, Escape, Alt+D, Tab then Return; a menu or a list
with Escape, Down then Return, or Return, as keys the application grabs — X focus is never given to
a popup, as no window manager would), a quit answered like any dialog and followed by a new start.

It fails on
  - a crash: the process ends other than by a quit (status ≠ 0, or a signal);
  - a hang: the window does not answer an X round trip (_NET_WM_PING, which Qt answers from its
    event loop) within 10 s;
  - a sanitizer report (AddressSanitizer, LeakSanitizer, UBSan's "runtime error:") or a Qt warning
    about item editors, on the process's stderr;
and prints the seed, so that `RNNSCOPE_MONKEY_SEED=<seed> tests/test_monkey.py` replays the run
(with the same budget, RNNSCOPE_MONKEY_SECONDS). At the end the window gets SIGTERM, which it must
take as a close (status 0).

The sizes typed stay below a few hundred, so that no draw of the monkey's passes the memory a
sanitizer build can afford; sizes past the limits are typed too (they are refused).
"""
import ctypes
import os
import random
import re
import signal
import sys
import time
import unittest

from xdesktop import desktop_for

SECONDS = float(os.environ.get("RNNSCOPE_MONKEY_SECONDS", "45"))
SEED = int(os.environ.get("RNNSCOPE_MONKEY_SEED", "20261203"))
PING_TIMEOUT = 10.0

KEYS = ["Right", "Left", "space", "Home", "End", "Escape", "Return", "Tab", "shift+Tab", "Up", "Down",
        "Page_Up", "Page_Down", "F2", "Delete", "BackSpace", "ctrl+z", "ctrl+shift+z", "ctrl+r", "ctrl+shift+r",
        "F5", "ctrl+equal", "ctrl+minus", "ctrl+0", "ctrl+o", "ctrl+s", "ctrl+shift+s", "ctrl+i", "ctrl+q",
        "alt+f", "alt+e", "alt+v", "alt+h", "F1", "F10", "a", "3", "minus"]
TEXTS = ["-5", "0", "1", "3", "17", "64", "200", "2000000", "99999999999", "1e39", "-1e300", "1e-400", "abc",
         "1,5", "0x1p3", "nan", "inf", "-inf", "", "  ", "0.25", "-0.5"]
ANSWERS = ["Return", "Escape", "alt+d", "Tab Return", "Escape"]
POPUP_ANSWERS = ["Escape", "Down Return", "Return", "Escape"]
PROBLEMS = re.compile(r"AddressSanitizer|LeakSanitizer|runtime error:|editor|editing failed")


class XPing:
    """_NET_WM_PING through libX11: the window manager's way to ask a window whether its
    application still runs its event loop. The reply comes back on the root window."""

    class ClientMessage(ctypes.Structure):
        _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                    ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                    ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]

    class Attributes(ctypes.Structure):  # XWindowAttributes
        _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("width", ctypes.c_int), ("height", ctypes.c_int),
                    ("border_width", ctypes.c_int), ("depth", ctypes.c_int), ("visual", ctypes.c_void_p),
                    ("root", ctypes.c_ulong), ("c_class", ctypes.c_int), ("bit_gravity", ctypes.c_int),
                    ("win_gravity", ctypes.c_int), ("backing_store", ctypes.c_int),
                    ("backing_planes", ctypes.c_ulong), ("backing_pixel", ctypes.c_ulong),
                    ("save_under", ctypes.c_int), ("colormap", ctypes.c_ulong), ("map_installed", ctypes.c_int),
                    ("map_state", ctypes.c_int), ("all_event_masks", ctypes.c_long),
                    ("your_event_mask", ctypes.c_long), ("do_not_propagate_mask", ctypes.c_long),
                    ("override_redirect", ctypes.c_int), ("screen", ctypes.c_void_p)]

    CLIENT_MESSAGE = 33
    # Qt sends the reply to the root window for StructureNotify (Qt 6) or SubstructureNotify listeners.
    NOTIFY = (1 << 17) | (1 << 19)

    def __init__(self, display):
        self.x = ctypes.cdll.LoadLibrary("libX11.so.6")
        x = self.x
        x.XOpenDisplay.restype = ctypes.c_void_p
        x.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x.XInternAtom.restype = ctypes.c_ulong
        x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
        x.XDefaultRootWindow.restype = ctypes.c_ulong
        x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
        x.XSelectInput.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_long]
        x.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
        x.XPending.argtypes = [ctypes.c_void_p]
        x.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        x.XFlush.argtypes = [ctypes.c_void_p]
        x.XCloseDisplay.argtypes = [ctypes.c_void_p]
        x.XGetWindowAttributes.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p]
        self.dpy = x.XOpenDisplay(display.encode())
        if not self.dpy:
            raise RuntimeError(f"cannot open the display {display}")
        self.root = x.XDefaultRootWindow(self.dpy)
        self.protocols = x.XInternAtom(self.dpy, b"WM_PROTOCOLS", 0)
        self.ping_atom = x.XInternAtom(self.dpy, b"_NET_WM_PING", 0)
        x.XSelectInput(self.dpy, self.root, self.NOTIFY)
        self.stamp = 1

    def close(self):
        self.x.XCloseDisplay(self.dpy)

    def popup(self, window):
        """Whether `window` is a popup (a menu, a combo box's list, a tooltip): override-redirect,
        never given the focus by a window manager, driven by keys the application grabs."""
        a = XPing.Attributes()
        return bool(self.x.XGetWindowAttributes(self.dpy, window, ctypes.byref(a))) and bool(a.override_redirect)

    def __call__(self, window, timeout=PING_TIMEOUT):
        """Seconds the window took to answer, or None when it did not within `timeout`."""
        self.stamp += 1
        event = (ctypes.c_long * 24)()
        message = XPing.ClientMessage.from_buffer(event)
        message.type = self.CLIENT_MESSAGE
        message.window = window
        message.message_type = self.protocols
        message.format = 32
        message.data[0] = self.ping_atom
        message.data[1] = self.stamp
        message.data[2] = window
        start = time.monotonic()
        self.x.XSendEvent(self.dpy, window, 0, 0, ctypes.byref(event))
        self.x.XFlush(self.dpy)
        reply = (ctypes.c_long * 24)()
        answer = XPing.ClientMessage.from_buffer(reply)
        while time.monotonic() - start < timeout:
            while self.x.XPending(self.dpy):
                self.x.XNextEvent(self.dpy, ctypes.byref(reply))
                if (answer.type == self.CLIENT_MESSAGE and answer.data[0] == self.ping_atom
                        and answer.data[1] == self.stamp and answer.data[2] == window):
                    return time.monotonic() - start
            time.sleep(0.02)
        return None


class Monkey:
    def __init__(self, desktop, seed, log):
        self.d = desktop
        self.rng = random.Random(seed)
        self.log = log
        self.ping = XPing(desktop.env["DISPLAY"])
        self.process = None
        self.window = None
        self.starts = 0
        self.actions = 0
        self.dialogs = 0

    def start(self):
        self.process = self.d.start("--dims", "2,12,3,5,2")
        self.starts += 1
        self.window = self.d.window("rnnscope", self.process)
        time.sleep(0.5)

    def stderr(self):
        self.process.stderr.seek(0)
        return self.process.stderr.read().decode(errors="replace")

    def fail(self, what):
        raise AssertionError(f"monkey seed {SEED}: {what} after {self.actions} actions "
                             f"(last: {self.log[-8:]}); replay with RNNSCOPE_MONKEY_SEED={SEED} "
                             f"RNNSCOPE_MONKEY_SECONDS={SECONDS:g}\nstderr:\n{self.stderr()[-4000:]}")

    def geometry(self):
        out = self.d.xdotool("getwindowgeometry", "--shell", self.window)
        g = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
        return int(g.get("X", 0)), int(g.get("Y", 0)), max(1, int(g.get("WIDTH", 1))), max(1, int(g.get("HEIGHT", 1)))

    def point(self):
        x, y, w, h = self.geometry()
        return x + self.rng.randrange(w), y + self.rng.randrange(h)

    def act(self):
        r = self.rng.random()
        if r < 0.38:
            key = self.rng.choice(KEYS)
            self.log.append(f"key {key}")
            self.d.xdotool("key", "--clearmodifiers", key)
        elif r < 0.66:
            x, y = self.point()
            button, repeat = self.rng.choice([(1, 1), (1, 1), (1, 2), (3, 1)])
            self.log.append(f"click {button}×{repeat} at {x},{y}")
            self.d.xdotool("mousemove", str(x), str(y), "click", "--repeat", str(repeat), str(button))
        elif r < 0.86:
            text = self.rng.choice(TEXTS)
            end = self.rng.choice(["Return", "Tab", "", "Escape"])
            self.log.append(f"type {text!r} {end}")
            self.d.xdotool("key", "--clearmodifiers", "ctrl+a")
            if text:
                self.d.xdotool("type", "--delay", "20", text)
            if end:
                self.d.xdotool("key", end)
        elif r < 0.93:
            (x0, y0), (x1, y1) = self.point(), self.point()
            self.log.append(f"drag {x0},{y0} → {x1},{y1}")
            self.d.xdotool("mousemove", str(x0), str(y0), "mousedown", "1", "mousemove", str(x1), str(y1),
                           "mouseup", "1")
        else:
            x, y = self.point()
            button = self.rng.choice(["4", "5"])
            self.log.append(f"wheel {button} at {x},{y}")
            self.d.xdotool("mousemove", str(x), str(y), "click", "--repeat", "3", button)
        self.actions += 1

    def answer_dialogs(self):
        """Answers whatever else the process shows (dialogs, menus), one way or the other."""
        for _ in range(6):
            others = [w for w in self.d.xdotool("search", "--onlyvisible", "--pid", str(self.process.pid),
                                                 "--name", "").split()
                      if w != self.window and int(w) != self.ping.root]
            if not others or self.process.poll() is not None:
                return
            self.dialogs += 1
            window = others[-1]
            if self.ping.popup(int(window)):
                # A menu or a list: keys go where the application sends them, as a person's would.
                answer = self.rng.choice(POPUP_ANSWERS)
                self.log.append(f"popup: {answer}")
            else:
                answer = self.rng.choice(ANSWERS)
                self.log.append(f"answer {self.d.xdotool('getwindowname', window)!r} with {answer}")
                self.d.xdotool("windowfocus", window)
            for key in answer.split():
                self.d.xdotool("key", "--clearmodifiers", key)
            time.sleep(0.2)

    def check(self):
        status = self.process.poll()
        if status is not None:
            if status != 0:
                self.fail(f"rnnscope ended with status {status}")
            self.log.append("(quit: a new start)")
            self.check_stderr()
            self.process.stderr.close()
            self.start()
            return
        if self.ping(int(self.window)) is None:
            self.fail(f"the window did not answer an X round trip within {PING_TIMEOUT:g} s")
        self.check_stderr()

    def check_stderr(self):
        problems = [line for line in self.stderr().splitlines() if PROBLEMS.search(line)]
        if problems:
            self.fail("reported: " + " | ".join(problems[:5]))

    def run(self, seconds):
        self.start()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.act()
            time.sleep(self.rng.choice([0.02, 0.05, 0.1, 0.3]))
            self.answer_dialogs()
            if self.actions % 10 == 0 or self.process.poll() is not None:
                self.check()
        self.check()
        # The end: SIGTERM is a close (status 0), whatever state the monkey left.
        self.process.send_signal(signal.SIGTERM)
        try:
            status = self.process.wait(timeout=120)
        except Exception:
            self.fail("rnnscope did not end within 120 s of SIGTERM")
        if status != 0:
            self.fail(f"SIGTERM ended rnnscope with status {status}")
        self.check_stderr()
        self.process.stderr.close()
        self.ping.close()


class TestMonkey(unittest.TestCase):
    def setUp(self):
        self.desktop = desktop_for(self)
        self.log = []
        self.monkey = None

    def tearDown(self):
        if self.monkey and self.monkey.process and self.monkey.process.poll() is None:
            self.monkey.process.kill()
            self.monkey.process.wait()
        self.desktop.close()

    def test_monkey(self):
        print(f"monkey seed {SEED}, {SECONDS:g} s", file=sys.stderr, flush=True)
        self.monkey = Monkey(self.desktop, SEED, self.log)
        self.monkey.run(SECONDS)
        print(f"monkey seed {SEED}: {self.monkey.actions} actions, {self.monkey.dialogs} dialog answers, "
              f"{self.monkey.starts} starts", file=sys.stderr, flush=True)
        self.assertGreater(self.monkey.actions, 20)


if __name__ == "__main__":
    unittest.main(verbosity=2)
