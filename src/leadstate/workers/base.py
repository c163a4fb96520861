"""One loop for every background worker: wake on a signal or a poll interval, run a
pass, back off after a failure, stop cleanly."""

from __future__ import annotations

import logging
import random
import threading
from abc import ABC, abstractmethod
from typing import Self

log = logging.getLogger("leadstate.workers")

MAX_BACKOFF_SECONDS = 30.0


class Worker(ABC):
    """A daemon thread running `run_once` until stopped.

    `run_once` returns True when more work may be waiting (the next pass starts at
    once), False when idle (the next waits for `wake()` or `poll_seconds`). A pass that
    raises is logged and retried after an exponential, jittered backoff.
    """

    name = "worker"

    def __init__(self, *, poll_seconds: float = 1.0) -> None:
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0

    @abstractmethod
    def run_once(self) -> bool:
        """One pass; True when more work may be waiting."""

    def idle(self, seconds: float) -> None:
        """Wait up to `seconds` for `wake()` or `stop()` (workers with another source of
        wake-ups override it)."""
        self._wake.wait(seconds)
        self._wake.clear()

    def stopped(self) -> None:  # noqa: B027 - most workers hold nothing
        """After the loop ends: give up what the worker held (leases)."""

    @property
    def stopping(self) -> bool:
        """True once asked to stop."""
        return self._stop.is_set()

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        """Start the next pass now."""
        self._wake.set()

    def start(self) -> Self:
        """Run in a daemon thread."""
        self._thread = threading.Thread(target=self.run_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        """Finish the current pass, then stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is None:
            self.stopped()  # never started as a thread: what `run_once` took is given up
        else:
            self._thread.join(timeout)

    def run_forever(self) -> None:
        """Work until stopped."""
        try:
            while not self._stop.is_set():
                try:
                    busy = self.run_once()
                    self.failures = 0
                except Exception:
                    self.failures += 1
                    pause = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** min(self.failures, 10))
                    log.exception("%s pass failed; retrying in %.1f s", self.name, pause)
                    self._stop.wait(pause * random.uniform(0.8, 1.0))
                    continue
                if not busy and not self._stop.is_set():
                    self.idle(self.poll_seconds)
        finally:
            self.stopped()
