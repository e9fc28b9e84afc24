"""Interrupts (SIGINT, Ctrl-C) that land before a step or after it, never inside.

The import commits its transaction, and the export renames its finished file, with SIGINT held back
(``HeldInterrupts``), and record that they did before it is let through: so a command that is
interrupted can say whether anything was written, and be right.
"""

from __future__ import annotations

import signal
import threading


class HeldInterrupts:
    """Within, once ``hold()`` is called: SIGINT is held back until the end of the block, then raised
    as ``KeyboardInterrupt`` (unless the block raised an exception of its own). Python delivers
    signals to the main thread only: elsewhere, or under a SIGINT handler of the caller's own, this
    holds nothing."""

    def __init__(self):
        self.previous = None
        self.received = False

    def __enter__(self):
        return self

    def hold(self) -> None:
        if self.previous is None and threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self._receive)

    def _receive(self, signum, frame) -> None:
        self.received = True

    def __exit__(self, exc_type, exc, traceback):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None
            if self.received and exc_type is None:
                raise KeyboardInterrupt
        return False
