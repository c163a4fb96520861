"""Audit replays (SPEC §6, §7): a lead's history as it happened, and verify.

History shows the log as it happened (also for a deleted lead), with personal data
shown as erased once the lead's key is gone. Verify replays the whole log against every
read model (`projections.verify`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from leadstate.application.leads import event_time
from leadstate.application.views import ERASED_VALUE
from leadstate.domain import Lead, NotFound, is_erased
from leadstate.persistence.engine import Engine
from leadstate.projections.verify import Difference, Verifier, jsonable

_HIDDEN = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def history_entry(domain_event: Any) -> dict[str, Any]:
    """One event as the history endpoint shows it."""
    state = {k: v for k, v in vars(domain_event).items() if k not in _HIDDEN}
    actor = state.pop("actor", None)
    correlation_id = state.pop("correlation_id", None)
    state.pop("at", None)
    contact = state.get("contact")
    if isinstance(contact, Mapping):
        state["contact"] = ERASED_VALUE if is_erased(contact) else dict(contact)
    return {
        "type": type(domain_event).__name__,
        "version": domain_event.originator_version,
        "time": event_time(domain_event).isoformat(),
        "actor": actor,
        "correlationId": correlation_id,
        "data": jsonable(state),
    }


class Audit:
    """A lead's history; the log against the read models."""

    def __init__(self, engine: Engine, tables: Mapping[str, str]) -> None:
        self.engine = engine
        self.tables = tables

    def lead_history(self, account_id: int, lead_id: int) -> list[dict[str, Any]]:
        """Every event of a lead in order (SPEC §6 `GET .../campaignLeads/{leadId}/history`).

        Deleted leads keep their history; their personal data shows as "[erased]".
        """
        decoded = self.engine.history(Lead.create_id(lead_id))
        if not decoded or getattr(decoded[0], "account_id", None) != account_id:
            raise NotFound(f"lead {lead_id} not found in account {account_id}")
        return [history_entry(e) for e in decoded]

    def verify_read_models(
        self,
        *,
        page: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> list[Difference]:
        """Replay the whole log and report every difference with the read models."""
        return Verifier(self.engine, self.tables, page=page, on_progress=on_progress).run()
