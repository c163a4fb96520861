"""Follows the asynchronous read models (`projections.follower`) in one process at a time.

Leadership is a lease (`ls_leases`, renewed every pass; taken over when it lapses, at
once when its owner is a dead process of this host). On PostgreSQL the leader also
LISTENs on the library's channel, which every event insert NOTIFYs, so it wakes on
commits instead of polling; on SQLite it polls the log. A read model that cannot apply
an event stops, with the reason in `ls_projection_errors`, until a rebuild replaces it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from leadstate.persistence.base import CommitWaiter, Store
from leadstate.persistence.leases import LeaseLost, Leases
from leadstate.projections import registry
from leadstate.projections.follower import Follower
from leadstate.projections.models import ProjectionError
from leadstate.workers.base import Worker

log = logging.getLogger("leadstate.projections")

LEASE = "projection-follower"
LEASE_SECONDS = 5.0
POLL_SECONDS = 0.2
STANDBY_SECONDS = 1.0
WAKE_BACKSTOP_SECONDS = 1.5
MAINTENANCE_SECONDS = 10.0
# The leader renews its lease at most this often (a write each time: on SQLite it waits
# for the one writer like every command), well within the lease's seconds.
RENEW_SECONDS = LEASE_SECONDS / 4
# After a pass that applied events, the next waits this long, so that under a stream of
# commits one pass takes many of them rather than one read and write per commit.
DEBOUNCE_SECONDS = 0.05


class FollowerWorker(Worker):
    """Runs the asynchronous read models in this process, when it leads."""

    name = "projection-follower"

    def __init__(self, store: Store, leases: Leases, followers: Sequence[Follower]) -> None:
        super().__init__(poll_seconds=POLL_SECONDS)
        self.store = store
        self.lease = leases.lease(LEASE, LEASE_SECONDS)
        self.followers = list(followers)
        self.leading = threading.Event()
        self.failed: dict[str, str] = {}  # read models stopped here, and why
        self._maintained = time.monotonic()
        self._waiter: CommitWaiter | None = None
        self._renewed = -RENEW_SECONDS  # when the lease was last claimed (monotonic)

    def _lead(self, leading: bool) -> None:
        if leading != self.leading.is_set():
            log.info("projection follower: %s", "following the log" if leading else "standing by")
        if leading:
            self.leading.set()
        else:
            self.leading.clear()
            self._close_waiter()

    def run_once(self) -> bool:
        """Lead and catch every followed read model up; stand by when another leads."""
        if not self._claim():
            self._lead(False)
            self._stop.wait(STANDBY_SECONDS)
            return False
        self._lead(True)
        self._listen()
        total = 0
        for follower in self.followers:
            try:
                total += follower.catch_up(self._stop, self._renew)
            except ProjectionError as error:
                reason = str(error)
                self.failed[follower.name] = reason
                log.error("read model %s stopped: %s", follower.name, reason)
                registry.set_error(self.store, follower.name, reason)
            else:
                if follower.live:  # a rebuild replaced a stopped one: followed again
                    self.failed.pop(follower.name, None)
        if time.monotonic() - self._maintained > MAINTENANCE_SECONDS:
            self._maintained = time.monotonic()
            registry.drop_retired(self.store)
        if total > 0:
            self._stop.wait(DEBOUNCE_SECONDS)
        return total > 0

    def _claim(self) -> bool:
        """Hold the lease: claimed again once `RENEW_SECONDS` passed since the last claim."""
        now = time.monotonic()
        if self.leading.is_set() and now - self._renewed < RENEW_SECONDS:
            return True
        if not self.lease.claim():
            return False
        self._renewed = now
        return True

    def _renew(self) -> None:
        if not self._claim():
            self._lead(False)
            raise LeaseLost("another process took the follower lease over")

    # -- waking ------------------------------------------------------------------------

    def _listen(self) -> None:
        """Where the engine has one, a commit waiter wakes this worker on commits."""
        if self._waiter is None:
            self._waiter = self.store.commit_waiter()

    def _close_waiter(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            try:
                waiter.close()
            except Exception:
                log.debug("closing the commit waiter failed", exc_info=True)

    def idle(self, seconds: float) -> None:
        """Wait for a commit (where the engine signals them) or the poll interval."""
        if self._waiter is None:
            super().idle(seconds)
            return
        try:
            self._waiter.wait(WAKE_BACKSTOP_SECONDS)
        except Exception:
            self._close_waiter()
            raise

    def stop(self, timeout: float = 15.0) -> None:
        """Stop following (the lease is given up)."""
        self._stop.set()
        if self._waiter is not None:
            try:  # wake the wait now rather than at its backstop timeout
                self.store.wake_waiters()
            except Exception:
                log.debug("could not wake the follower", exc_info=True)
        super().stop(timeout)

    def stopped(self) -> None:
        """Give the lease and the commit waiter up."""
        self._close_waiter()
        if self.leading.is_set():
            self.lease.release()
        self.leading.clear()
