"""Ctrl-C and SIGTERM (a CI job cancelled) end a command cleanly: the program under mocks and the
policy packs are stopped by the code that started them, and the user gets one line, not a
traceback."""

from __future__ import annotations

import argparse
import functools
import signal
import sys
from collections.abc import Callable
from types import FrameType

EXIT_INTERRUPTED = 130   # as a shell reports a command ended by SIGINT


class Terminated(BaseException):
    """SIGTERM, raised where the command is so that every ``with`` block cleans up."""


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def interruptible(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    @functools.wraps(run)
    def wrapper(args: argparse.Namespace) -> int:
        try:
            previous = signal.signal(signal.SIGTERM, _terminate)
        except ValueError:  # not the main thread: leave signals alone
            previous = None
        try:
            return run(args)
        except KeyboardInterrupt:
            print("finops: interrupted; the program and the policy packs were stopped", file=sys.stderr)
            return EXIT_INTERRUPTED
        except Terminated:
            print("finops: terminated; the program and the policy packs were stopped", file=sys.stderr)
            return 128 + signal.SIGTERM
        finally:
            if previous is not None:
                signal.signal(signal.SIGTERM, previous)

    return wrapper
