"""Interrupts (SIGINT, Ctrl-C) that land before a step or after it, never inside.

The import commits its transaction, and the export renames its finished file, with SIGINT held back
(``HeldInterrupts``), and record that they did before it is let through: so a command that is
interrupted can say whether anything was written, and be right.
"""

from __future__ import annotations

import signal
import threading

from django.core.management.base import BaseCommand

#: the exit status of a command stopped by SIGINT (128 + 2), as shells give it
INTERRUPTED = 130


class InterruptibleCommand(BaseCommand):
    """A management command that answers an interrupt at any moment (reading its arguments, running, or
    after it) with the one line ``interrupted_message()`` gives and exit status 130, never a traceback.
    ``begin()`` resets what the message is made from, before each run."""

    def begin(self) -> None:
        """Called before each run: set the state that ``interrupted_message()`` reads."""

    def interrupted_message(self) -> str:
        raise NotImplementedError

    def run_from_argv(self, argv):
        try:
            super().run_from_argv(argv)
        except KeyboardInterrupt:  # before execute() (reading the arguments) or after it
            self._interrupted()

    def execute(self, *args, **options):
        self.begin()
        try:
            return super().execute(*args, **options)
        except KeyboardInterrupt:
            self._interrupted()

    def _interrupted(self):
        self.stderr.write(self.interrupted_message())
        raise SystemExit(INTERRUPTED)


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
