"""Random sequences of lead actions (SPEC §2) against an independent reference model.

After every step three things must agree for every lead: the aggregate folded from its
stored events, the lead-search read model (row, `get_lead` view and `search`), and the
reference model below — plain records implementing SPEC §2 from its text, not the domain
code. And the stored row must be exactly `lead_search.row_for(fold(events))`.

SQLite in a temporary folder; a fixed set of examples (`derandomize`) so CI is
deterministic. `LEADSTATE_SM_EXAMPLES=500 LEADSTATE_SM_RANDOM=1` hunts further.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from leadstate.application.views import ActionResult
from leadstate.domain import Lead, Meta, NotFound
from leadstate.projections import lead_search
from leadstate.requests.criteria import parse_criteria
from leadstate.requests.edits import parse_edit
from leadstate.requests.loads import parse_load_request
from leadstate.settings import Settings
from tests.backends import open_service, wired

ACCOUNT = 1
OTHER_ACCOUNT = 2
CAMPAIGNS = (11, 12, 13)
START = datetime(2026, 3, 2, 9, 0, 0, 250_000, tzinfo=UTC)
# Three numbers, two of them spelled two ways (SPEC §1 phone rules), so duplicates happen.
PHONES = ("555-010-0001", "+1 (555) 010-0001", "5550100002", "1 555 010 0002", "2125550199")
NAMES = ("Ada", "Grace", "Linus")
DISPOSITIONS = ("SALE", "NO_SALE", "CALL_BACK")
DUP_REASON = "duplicate phone in target campaign"
MAX_LEADS = 24  # no new leads (loads, copies) beyond this: each step checks every lead

TRANSITION_SKIPPING = {
    "RESET_LEADS",
    "READY_LEADS",
    "CANCEL_LEADS",
    "PAUSE_LEADS",
    "MANUAL_LEADS",
    "CALLBACK_LEADS",
    "AGENT_RESERVATION",
}
DNC_SKIPPING = {"RESET_LEADS", "READY_LEADS", "CALLBACK_LEADS"}
FORGETTING_EVENT_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "at",
    "actor",
    "correlation_id",
}


def digits(phone: str | None) -> str:
    """SPEC §1: phones compare on their digits; an 11-digit number starting with 1 drops it."""
    only = re.sub(r"\D", "", phone or "")
    return only[1:] if len(only) == 11 and only.startswith("1") else only


def shown(moment: datetime | None) -> str | None:
    """How the API shows a time: ISO-8601 in UTC with its offset."""
    return moment.astimezone(UTC).isoformat() if moment else None


@dataclass
class Ref:
    """The reference model of one lead: the fields SPEC §1 lists."""

    lead_id: int
    account_id: int
    campaign_id: int
    list_id: int
    extern_id: str
    first_name: str
    phone: str
    state: str
    loaded: datetime
    passes: int = 0
    max_passes: int | None = None
    priority: int = 0
    next_dial: datetime | None = None
    last_pass: datetime | None = None
    last_dispo: str | None = None
    agent_dispo: str | None = None
    suppressed: bool = False
    pending_agent: int | None = None
    original: int | None = None
    state_dts: datetime | None = None
    deleted: bool = False


@dataclass
class Expected:
    """What an action should report."""

    updated: int = 0
    deleted: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class Skip(Exception):
    """A lead the action may not touch."""


class LeadActionsMachine(RuleBasedStateMachine):
    """Leads of two accounts and three campaigns, driven through `Leadstate.apply_action`."""

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="leadstate-sm-"))
        # Batches of two, so that copies, merges, new lists and duplicates span batches.
        self.app = open_service(Settings(db=str(self.dir / "leadstate.db"), batch_size=2))
        self.now = START
        self.leads: dict[int, Ref] = {}
        self.lists: dict[int, tuple[int, int, str]] = {}  # list_id -> account, campaign, name
        self.dnc: dict[int, set[str]] = {ACCOUNT: set(), OTHER_ACCOUNT: set()}  # digits
        self.loads = 0
        self.steps = 0

    def teardown(self) -> None:
        self.app.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------------

    def meta(self, minutes: int) -> Meta:
        self.now += timedelta(minutes=minutes, milliseconds=1)
        self.steps += 1
        return Meta(actor="key-sm", correlation_id=f"step-{self.steps}", at=self.now)

    def live(self, account: int = ACCOUNT) -> list[Ref]:
        return [
            r for _, r in sorted(self.leads.items()) if not r.deleted and r.account_id == account
        ]

    def lists_of(self, campaign: int) -> list[int]:
        return sorted(k for k, (a, c, _) in self.lists.items() if a == ACCOUNT and c == campaign)

    def load(
        self, account: int, campaign: int, phones: list[int], paused: bool, minutes: int
    ) -> None:
        meta = self.meta(minutes)
        self.loads += 1
        rows: list[dict[str, Any]] = []
        for n, phone in enumerate(phones):
            row: dict[str, Any] = {
                "externId": f"E{self.loads}-{n}",
                "leadPhone": PHONES[phone],
                "firstName": NAMES[(self.loads + n) % len(NAMES)],
            }
            if n % 2:
                row["leadPriority"] = n
                row["maxPasses"] = 2 + n
            rows.append(row)
        name = f"load {self.loads}"
        request = parse_load_request(
            rows, description=name, list_state="PAUSED" if paused else None
        )
        result = self.app.loading.load_leads(account, campaign, request, meta)
        # SPEC §4: a lead whose phone is on the account's DNC list is rejected.
        good = [r for r in rows if digits(r["leadPhone"]) not in self.dnc[account]]
        assert result.leads_inserted == len(good), result.rejected
        assert result.dnc_returned == len(rows) - len(good)
        assert result.lead_ids == sorted(result.lead_ids)
        if not good:
            return
        if len(good) < len(rows):
            event("load rejected a do-not-call phone")
        assert result.list_id is not None and result.list_id not in self.lists
        self.lists[result.list_id] = (account, campaign, name)
        for lead_id, row in zip(result.lead_ids, good, strict=True):
            assert lead_id not in self.leads
            self.leads[lead_id] = Ref(
                lead_id=lead_id,
                account_id=account,
                campaign_id=campaign,
                list_id=result.list_id,
                extern_id=row["externId"],
                first_name=row["firstName"],
                phone=row["leadPhone"],
                state="PAUSED" if paused else "READY",
                loaded=meta.at,
                max_passes=row.get("maxPasses"),
                priority=row.get("leadPriority", 0),
                next_dial=meta.at,
                state_dts=meta.at,
            )

    def criteria(self, how: tuple[Any, ...]) -> tuple[dict[str, Any], list[Ref]]:
        """Criteria JSON, and the leads they select according to the model (SPEC §3)."""
        kind = how[0]
        live = self.live()
        if kind == "ids":
            known = [*sorted(self.leads), 999_999]  # and one that does not exist
            ids = sorted({known[i % len(known)] for i in how[1]})
            return {"leadIds": ids}, [r for r in live if r.lead_id in ids]
        if kind == "newest":  # the latest leads: copies, most often
            newest = sorted(self.leads)[-how[1] :]
            return {"leadIds": newest}, [r for r in live if r.lead_id in newest]
        if kind == "copies":  # the first copies (not their originals, unless copies too)
            copies = [k for k, r in sorted(self.leads.items()) if r.original][: how[1]]
            copies = copies or [999_999]
            return {"leadIds": copies}, [r for r in live if r.lead_id in copies]
        if kind == "campaign":
            return {"campaignIds": [how[1]]}, [r for r in live if r.campaign_id == how[1]]
        if kind == "state":
            campaign, state, spelling = how[1], how[2], how[3]
            text = state.replace("-", "_").lower() if spelling else state
            by_state = {"campaignIds": [campaign], "leadStates": [text]}
            return by_state, [r for r in live if r.campaign_id == campaign and r.state == state]
        if kind == "suppressed":
            want = how[2]
            overlay: dict[str, Any] = {
                "campaignIds": list(CAMPAIGNS),
                "suppressed": "ONLY_SUPPRESSED" if want else "only_unsuppressed",
            }
            return overlay, [r for r in live if r.suppressed is want]
        if kind == "phone":
            phone = PHONES[how[1]]
            return {"leadPhoneNum": phone}, [r for r in live if digits(r.phone) == digits(phone)]
        assert kind == "pending"
        return {"pendingAgentId": how[1]}, [r for r in live if r.pending_agent == how[1]]

    def run(
        self,
        action: str,
        params: dict[str, Any] | None,
        how: tuple[Any, ...],
        meta: Meta,
    ) -> tuple[ActionResult, list[Ref]]:
        body, selected = self.criteria(how)
        result = self.app.actions.apply_action(ACCOUNT, *wired(action, params, body), meta)
        assert result.total == len(selected), (body, result.total, [r.lead_id for r in selected])
        return result, selected

    @staticmethod
    def check_result(result: ActionResult, expected: Expected) -> None:
        for _, reason in expected.errors:
            event(f"skipped: {reason}")
        if expected.updated or expected.deleted:
            event(f"changed {result.action.value}")
        got = sorted((e["leadId"], e["reason"]) for e in result.errors)
        assert got == sorted(expected.errors)
        assert result.update_count == expected.updated
        assert result.delete_count == expected.deleted

    @staticmethod
    def guard(ref: Ref, action: str) -> None:
        """SPEC §2 "Rules that hold for every action": transitioned and do-not-call skips."""
        if ref.state == "TRANSITIONED" and action in TRANSITION_SKIPPING:
            raise Skip("transitioned")
        if ref.state == "DO-NOT-CALL" and action in DNC_SKIPPING:
            raise Skip("do-not-call")

    def set_state(self, ref: Ref, state: str, at: datetime) -> None:
        """SPEC §1: `stateDts` is the last state change (setting the same state is none)."""
        if state != ref.state:
            ref.state_dts = at
        ref.state = state

    # -- the one-lead actions ----------------------------------------------------------

    def decide_simple(self, ref: Ref, action: str, at: datetime) -> bool:
        self.guard(ref, action)
        if action == "RESET_LEADS":
            due = ref.next_dial is not None and ref.next_dial <= at
            if ref.state == "READY" and ref.passes == 0 and due:
                return False
            self.set_state(ref, "READY", at)
            ref.passes = 0
            ref.next_dial = at
            return True
        if action in ("READY_LEADS", "CANCEL_LEADS", "PAUSE_LEADS"):
            target = {"READY_LEADS": "READY", "CANCEL_LEADS": "CANCELLED"}.get(action, "PAUSED")
            if ref.state == target:
                return False
            self.set_state(ref, target, at)  # nothing remembers the state before
            return True
        if action in ("SUPPRESS_LEADS", "UNSUPPRESS_LEADS"):
            wanted = action == "SUPPRESS_LEADS"
            if ref.suppressed is wanted:
                return False
            ref.suppressed = wanted
            return True
        assert action == "DELETE_LEADS"
        ref.deleted = True
        return True

    @initialize(
        first=st.lists(st.integers(0, len(PHONES) - 1), min_size=2, max_size=4),
        second=st.lists(st.integers(0, len(PHONES) - 1), min_size=1, max_size=2),
        other=st.integers(0, len(PHONES) - 1),
        paused=st.booleans(),
    )
    def start(self, first: list[int], second: list[int], other: int, paused: bool) -> None:
        self.load(ACCOUNT, 11, first, False, 0)
        self.load(ACCOUNT, 12, second, paused, 1)
        # Campaign 11 of another account: never selected, never touched.
        self.load(OTHER_ACCOUNT, 11, [other], False, 1)

    # -- rules -----------------------------------------------------------------------

    selection = st.one_of(
        st.tuples(st.just("ids"), st.lists(st.integers(0, 30), min_size=1, max_size=4)),
        st.tuples(st.just("newest"), st.integers(1, 2)),
        st.tuples(st.just("copies"), st.integers(1, 3)),
        st.tuples(st.just("campaign"), st.sampled_from(CAMPAIGNS)),
        st.tuples(
            st.just("state"),
            st.sampled_from(CAMPAIGNS),
            st.sampled_from(
                ["READY", "PAUSED", "CANCELLED", "AGENT-CALLBACK", "CALLBACK", "TRANSITIONED"]
            ),
            st.booleans(),
        ),
        st.tuples(st.just("suppressed"), st.just(0), st.booleans()),
        st.tuples(st.just("phone"), st.integers(0, len(PHONES) - 1)),
        st.tuples(st.just("pending"), st.integers(1, 3)),
    )
    minutes = st.integers(0, 90)

    @rule(
        how=selection,
        action=st.sampled_from(
            [
                "RESET_LEADS",
                "READY_LEADS",
                "CANCEL_LEADS",
                "PAUSE_LEADS",
                "SUPPRESS_LEADS",
                "UNSUPPRESS_LEADS",
                "DELETE_LEADS",
            ]
        ),
        minutes=minutes,
    )
    def simple_action(self, how: tuple[Any, ...], action: str, minutes: int) -> None:
        meta = self.meta(minutes)
        result, selected = self.run(action, None, how, meta)
        expected = Expected()
        for ref in selected:
            try:
                if self.decide_simple(ref, action, meta.at):
                    if action == "DELETE_LEADS":
                        expected.deleted += 1
                    else:
                        expected.updated += 1
            except Skip as skip:
                expected.errors.append((ref.lead_id, str(skip)))
        self.check_result(result, expected)

    @rule(
        how=selection,
        disposition=st.sampled_from(DISPOSITIONS),
        requeue=st.sampled_from([None, True, False, "true", "false"]),
        dnc=st.sampled_from([None, False, True, "false"]),
        merge=st.sampled_from([None, True, True, False]),
        delay=st.sampled_from([None, 0, 15, "60"]),
        minutes=minutes,
    )
    def manual(
        self,
        how: tuple[Any, ...],
        disposition: str,
        requeue: bool | str | None,
        dnc: bool | str | None,
        merge: bool | None,
        delay: int | str | None,
        minutes: int,
    ) -> None:
        params: dict[str, Any] = {"PASS_DISPOSITION": disposition}
        for key, value in (
            ("REQUEUE", requeue),
            ("DO_NOT_CALL", dnc),
            ("MERGE_ORIGINAL", merge),
            ("PASS_DELAY", delay),
        ):
            if value is not None:
                params[key] = value
        meta = self.meta(minutes)
        result, selected = self.run("MANUAL_LEADS", params, how, meta)

        def flag(value: bool | str | None) -> bool:
            return value in (True, "true")

        def one_pass(ref: Ref) -> None:
            self.guard(ref, "MANUAL_LEADS")
            ref.passes += 1
            ref.last_dispo = "MANUAL_PASS"
            ref.agent_dispo = disposition
            ref.last_pass = meta.at
            if flag(dnc):
                self.set_state(ref, "DO-NOT-CALL", meta.at)
                if digits(ref.phone):  # SPEC §2: the phone joins the DNC list
                    self.dnc[ref.account_id].add(digits(ref.phone))
            elif flag(requeue):
                self.set_state(ref, "READY", meta.at)
                ref.next_dial = meta.at + timedelta(minutes=int(delay or 0))
            else:
                self.set_state(ref, "COMPLETE", meta.at)

        expected = Expected()
        passed: set[int] = set()
        reported: set[int] = set()
        for ref in selected:
            if ref.lead_id in passed:  # already got this request's pass as an original
                continue
            try:
                one_pass(ref)
            except Skip as skip:
                expected.errors.append((ref.lead_id, str(skip)))
                reported.add(ref.lead_id)
                continue
            passed.add(ref.lead_id)
            expected.updated += 1
            original = self.leads.get(ref.original) if ref.original else None
            if (
                flag(merge)
                and original is not None
                and not original.deleted
                and original.lead_id not in passed
            ):
                try:
                    one_pass(original)
                    passed.add(original.lead_id)
                    event("merged into the original")
                except Skip as skip:
                    if original.lead_id not in reported:
                        expected.errors.append((original.lead_id, str(skip)))
                        reported.add(original.lead_id)
        self.check_result(result, expected)

    @rule(
        how=selection,
        campaign=st.sampled_from(CAMPAIGNS),
        disposition=st.sampled_from(DISPOSITIONS),
        requeue=st.sampled_from([None, True]),
        minutes=minutes,
    )
    def copy_then_pass_merged(
        self,
        how: tuple[Any, ...],
        campaign: int,
        disposition: str,
        requeue: bool | None,
        minutes: int,
    ) -> None:
        """Copies, then a MERGE_ORIGINAL pass on the newest copies: merges happen often."""
        before = set(self.leads)
        self.move(how, campaign, 0, True, None, minutes)
        fresh = len(set(self.leads) - before)
        if fresh:
            self.manual(("newest", fresh), disposition, requeue, None, True, None, minutes)

    @rule(
        how=selection,
        campaign=st.sampled_from(CAMPAIGNS),
        list_pick=st.integers(0, 5),
        copy=st.sampled_from([None, False, "false", True, "true", "TRANSITION", "transition"]),
        duplicates=st.sampled_from([None, "MOVE", "IGNORE"]),
        minutes=minutes,
    )
    def move(
        self,
        how: tuple[Any, ...],
        campaign: int,
        list_pick: int,
        copy: bool | str | None,
        duplicates: str | None,
        minutes: int,
    ) -> None:
        if len(self.leads) >= MAX_LEADS:
            copy = None  # copying whole campaigns again and again grows without bound
        lists = self.lists_of(campaign)
        list_id = lists[list_pick % len(lists)] if lists and list_pick else 0
        list_name = f"moved at step {self.steps + 1}"
        params: dict[str, Any] = {"CAMPAIGN_ID": campaign, "LIST_ID": list_id}
        if list_id == 0:
            params["LIST_NAME"] = list_name
        if copy is not None:
            params["CREATE_COPY_SETTING"] = copy
        if duplicates is not None:
            params["DUPLICATE_ACTION_SETTING"] = duplicates
        mode = {
            True: "COPY",
            "true": "COPY",
            "TRANSITION": "TRANSITION",
            "transition": "TRANSITION",
        }.get(copy, "MOVE")
        before = set(self.leads)
        meta = self.meta(minutes)
        result, selected = self.run("MOVE_TO_CAMPAIGN", params, how, meta)

        new_list = result.new_list_id
        target_list = list_id or new_list
        expected = Expected()
        copies: list[Ref] = []
        in_target = [r for r in self.live() if r.campaign_id == campaign]
        for ref in selected:
            if duplicates == "IGNORE" and digits(ref.phone):
                others = [
                    o
                    for o in in_target
                    if o.lead_id != ref.lead_id and digits(o.phone) == digits(ref.phone)
                ]
                if others:
                    expected.errors.append((ref.lead_id, DUP_REASON))
                    continue
            if mode == "MOVE":
                if ref.campaign_id == campaign and ref.list_id == target_list:
                    continue  # no-op
                assert target_list is not None, "a move to LIST_ID 0 makes a list"
                ref.campaign_id, ref.list_id = campaign, target_list
                if not any(o is ref for o in in_target):
                    in_target.append(ref)
            else:
                assert target_list is not None, "a copy to LIST_ID 0 makes a list"
                copy_ref = Ref(
                    lead_id=-1,
                    account_id=ref.account_id,
                    campaign_id=campaign,
                    list_id=target_list,
                    extern_id=ref.extern_id,
                    first_name=ref.first_name,
                    phone=ref.phone,
                    state="READY",
                    loaded=meta.at,
                    max_passes=ref.max_passes,
                    priority=ref.priority,
                    next_dial=meta.at,
                    original=ref.lead_id,
                    state_dts=meta.at,
                )
                copies.append(copy_ref)
                event(f"copied ({mode})")
                in_target.append(copy_ref)
                if mode == "TRANSITION" and ref.state != "TRANSITIONED":
                    self.set_state(ref, "TRANSITIONED", meta.at)
            expected.updated += 1
        self.check_result(result, expected)

        # Copies get new leadIds, in the order of their originals.
        new_ids = sorted(
            set(self.app.leads.matching_ids(ACCOUNT, parse_criteria({"campaignIds": [campaign]})))
            - before
        )
        assert len(new_ids) == len(copies)
        for lead_id, copy_ref in zip(new_ids, copies, strict=True):
            self.leads[lead_id] = replace(copy_ref, lead_id=lead_id)
        if list_id:
            assert new_list is None
        elif expected.updated:
            assert new_list is not None
        if new_list is not None:
            assert new_list not in self.lists
            self.lists[new_list] = (ACCOUNT, campaign, list_name)

    @rule(
        how=selection,
        kind=st.sampled_from(["AGENT", "agent", "SET", "CANCEL", "RESET"]),
        agent=st.integers(1, 3),
        offset=st.one_of(st.none(), st.integers(-600, 2000)),
        spelling=st.sampled_from(["Z", "+00:00", "+0000", "-0500"]),
        minutes=minutes,
    )
    def callback(
        self,
        how: tuple[Any, ...],
        kind: str,
        agent: int,
        offset: int | None,
        spelling: str,
        minutes: int,
    ) -> None:
        kind = kind.upper()
        meta = self.meta(minutes)
        params: dict[str, Any] = {"ACTION_TYPE": kind}
        when: datetime | None = None
        if kind == "SET" and offset is None:
            offset = 30
        if offset is not None and kind in ("AGENT", "SET"):
            when = (meta.at + timedelta(minutes=offset)).replace(microsecond=0)
            zone = timezone(timedelta(hours=-5)) if spelling == "-0500" else UTC
            text = when.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")
            params["CALLBACK_DATE"] = text + ("Z" if spelling == "Z" else spelling)
        if kind == "AGENT":
            params["RESERVATION_AGENT_ID"] = str(agent) if agent == 2 else agent
        result, selected = self.run("CALLBACK_LEADS", params, how, meta)

        expected = Expected()
        for ref in selected:
            try:
                self.guard(ref, "CALLBACK_LEADS")
            except Skip as skip:
                expected.errors.append((ref.lead_id, str(skip)))
                continue
            due = when or meta.at
            if kind == "AGENT":
                if (ref.state, ref.pending_agent, ref.next_dial) == ("AGENT-CALLBACK", agent, due):
                    continue
                self.set_state(ref, "AGENT-CALLBACK", meta.at)
                ref.pending_agent = agent
                ref.next_dial = due
            elif kind == "SET":
                if (ref.state, ref.next_dial) == ("CALLBACK", due):
                    continue
                self.set_state(ref, "CALLBACK", meta.at)
                ref.next_dial = due
            elif kind == "CANCEL":
                if ref.state not in ("CALLBACK", "AGENT-CALLBACK"):
                    continue
                self.set_state(ref, "CALLBACK-CANCELLED", meta.at)
                ref.pending_agent = None
            else:
                if ref.state not in ("CALLBACK", "AGENT-CALLBACK", "CALLBACK-CANCELLED"):
                    continue
                self.set_state(ref, "READY", meta.at)
                ref.pending_agent = None
            expected.updated += 1
        self.check_result(result, expected)

    @rule(how=selection, agent=st.sampled_from([0, 0, 1, 2, 3, "0", "2"]), minutes=minutes)
    def reserve(self, how: tuple[Any, ...], agent: int | str, minutes: int) -> None:
        meta = self.meta(minutes)
        result, selected = self.run("AGENT_RESERVATION", {"RESERVATION_AGENT_ID": agent}, how, meta)
        wanted = int(agent) or None
        expected = Expected()
        for ref in selected:
            try:
                self.guard(ref, "AGENT_RESERVATION")
            except Skip as skip:
                expected.errors.append((ref.lead_id, str(skip)))
                continue
            if ref.pending_agent != wanted:
                ref.pending_agent = wanted
                expected.updated += 1
        self.check_result(result, expected)

    @rule(
        pick=st.integers(0, 30),
        name=st.sampled_from(NAMES),
        phone=st.one_of(st.none(), st.integers(0, len(PHONES) - 1)),
        priority=st.one_of(st.none(), st.integers(0, 100)),
        max_passes=st.one_of(st.none(), st.integers(1, 5)),
        minutes=minutes,
    )
    def edit(
        self,
        pick: int,
        name: str,
        phone: int | None,
        priority: int | None,
        max_passes: int | None,
        minutes: int,
    ) -> None:
        ids = sorted(self.leads)
        ref = self.leads[ids[pick % len(ids)]]
        changes: dict[str, Any] = {"firstName": name}
        if phone is not None:
            changes["leadPhone"] = PHONES[phone]
        if priority is not None:
            changes["leadPriority"] = priority
        if max_passes is not None:
            changes["maxPasses"] = max_passes
        meta = self.meta(minutes)
        account = ref.account_id
        if ref.deleted:
            with pytest.raises(NotFound):
                self.app.leads.edit_lead(account, ref.lead_id, parse_edit(changes), meta)
            return
        view = self.app.leads.edit_lead(account, ref.lead_id, parse_edit(changes), meta)
        ref.first_name = name
        ref.phone = changes.get("leadPhone", ref.phone)
        ref.priority = changes.get("leadPriority", ref.priority)
        ref.max_passes = changes.get("maxPasses", ref.max_passes)
        assert view["firstName"] == name

    @rule(
        campaign=st.sampled_from(CAMPAIGNS),
        phones=st.lists(st.integers(0, len(PHONES) - 1), min_size=1, max_size=2),
        paused=st.booleans(),
        minutes=minutes,
    )
    def load_more(self, campaign: int, phones: list[int], paused: bool, minutes: int) -> None:
        if len(self.leads) < MAX_LEADS:
            self.load(ACCOUNT, campaign, phones, paused, minutes)

    # -- what must agree after every step ----------------------------------------------

    def fold(self, lead_id: int) -> Lead:
        aggregate: Any = None
        for stored in self.app.engine.recorder.select_events(Lead.create_id(lead_id)):
            domain_event: Any = self.app.engine.mapper.to_domain_event(stored)
            if type(domain_event).__name__ in ("Cancelled", "Paused"):
                # Forgetting: these events carry no prior state, only who, when and why.
                assert set(vars(domain_event)) == FORGETTING_EVENT_FIELDS
            aggregate = domain_event.mutate(aggregate)
        assert isinstance(aggregate, Lead)
        return aggregate

    def stored_row(self, lead_id: int) -> dict[str, Any] | None:
        table = self.app.store.qualify(self.app.tables["lead_search"])
        with self.app.store.read() as cur:
            cur.execute(f"SELECT * FROM {table} WHERE lead_id = {self.app.store.ph}", (lead_id,))
            row = cur.fetchone()
        if row is None or isinstance(row, dict):
            return row
        return {k: row[k] for k in row.keys()}  # noqa: SIM118

    @invariant()
    def fold_row_view_and_model_agree(self) -> None:
        for lead_id, ref in self.leads.items():
            lead = self.fold(lead_id)
            row = self.stored_row(lead_id)
            assert lead.deleted is ref.deleted, lead_id
            if ref.deleted:
                assert row is None
                assert lead.personal_data_erased
                with pytest.raises(NotFound):
                    self.app.leads.get_lead(ref.account_id, lead_id)
                continue
            # The projection is a fold of the events.
            assert row is not None
            assert tuple(row[c] for c in lead_search.COLUMNS) == lead_search.row_for(lead)
            # The folded aggregate is the reference model.
            assert {
                "campaign": lead.campaign_id,
                "list": lead.list_id,
                "extern": lead.extern_id,
                "first": lead.contact.get("firstName"),
                "phone": lead.contact.get("leadPhone"),
                "state": lead.lead_state,
                "passes": lead.lead_passes,
                "max": lead.max_passes,
                "priority": lead.lead_priority,
                "next": lead.next_dial_time,
                "last": lead.last_pass_dts,
                "dispo": lead.last_pass_disposition,
                "agent_dispo": lead.agent_disposition,
                "suppressed": lead.suppressed,
                "pending": lead.pending_agent_id,
                "original": lead.original_lead_id,
                "loaded": lead.loaded_dts,
                "state_dts": lead.state_dts,
            } == {
                "campaign": ref.campaign_id,
                "list": ref.list_id,
                "extern": ref.extern_id,
                "first": ref.first_name,
                "phone": ref.phone,
                "state": ref.state,
                "passes": ref.passes,
                "max": ref.max_passes,
                "priority": ref.priority,
                "next": ref.next_dial,
                "last": ref.last_pass,
                "dispo": ref.last_dispo,
                "agent_dispo": ref.agent_dispo,
                "suppressed": ref.suppressed,
                "pending": ref.pending_agent,
                "original": ref.original,
                "loaded": ref.loaded,
                "state_dts": ref.state_dts,
            }, lead_id
            # The API's view is the reference model.
            view = self.app.leads.get_lead(ref.account_id, lead_id)
            expected = self.expected_view(ref)
            assert {k: view[k] for k in expected} == expected, lead_id

    def expected_view(self, ref: Ref) -> dict[str, Any]:
        return {
            "leadId": ref.lead_id,
            "accountId": ref.account_id,
            "campaignId": ref.campaign_id,
            "listId": ref.list_id,
            "listDesc": self.lists[ref.list_id][2],
            "externId": ref.extern_id,
            "firstName": ref.first_name,
            "leadPhone": ref.phone,
            "leadState": ref.state,
            "leadPasses": ref.passes,
            "maxPasses": ref.max_passes,
            "nextDialTime": shown(ref.next_dial),
            "lastPassDts": shown(ref.last_pass),
            "lastPassDisposition": ref.last_dispo,
            "agentDisposition": ref.agent_dispo,
            "agentDispostion": ref.agent_dispo,
            "suppressed": ref.suppressed,
            "pendingAgentId": ref.pending_agent,
            "leadPriority": ref.priority,
            "originalLeadId": ref.original,
            "loadedDts": shown(ref.loaded),
            "stateDts": shown(ref.state_dts),
        }

    @invariant()
    def dnc_list_is_the_models(self) -> None:
        for account, phones in self.dnc.items():
            assert {e["phone"] for e in self.app.dialing.dnc_list(account)} == phones

    @invariant()
    def search_finds_exactly_the_live_leads(self) -> None:
        for account in (ACCOUNT, OTHER_ACCOUNT):
            found = self.app.leads.search(
                account, parse_criteria({"campaignIds": list(CAMPAIGNS)}), max_rows=1000
            )
            assert [v["leadId"] for v in found] == [r.lead_id for r in self.live(account)]
            for view in found:
                assert view == self.app.leads.get_lead(account, view["leadId"])


LeadActionsMachine.TestCase.settings = settings(
    max_examples=int(os.environ.get("LEADSTATE_SM_EXAMPLES", "40")),
    stateful_step_count=25,
    deadline=None,
    derandomize=os.environ.get("LEADSTATE_SM_RANDOM") != "1",
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLeadActions = LeadActionsMachine.TestCase
