"""Exact, case-insensitive criteria compare one Unicode key on both engines (SPEC §3).

The key is `NFC(casefold(NFD(s)))`: computed by the service for the stored value and
for the query value, never by the engine's `lower()` or `NOCASE` (ASCII-only on SQLite,
locale-dependent on PostgreSQL).
"""

from __future__ import annotations

import itertools
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from leadstate.application.bootstrap import Leadstate
from leadstate.domain.values import text_key
from leadstate.requests.criteria import TEXT_FIELDS
from tests.integration._support import CAMPAIGN, ids, load, row

# Criterion JSON name -> the lead field it matches.
FIELD_OF = {name: ("email" if name == "emailAddress" else name) for name in TEXT_FIELDS}
EMAIL_TAIL = "@mail.example"

_accounts = itertools.count(700_000)

# Letters of many scripts, combining marks and digits, plus the cases the key decides.
letters = st.characters(
    categories=("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Nd"),
    exclude_characters="\x00",
)
# Dotted capital I, dotless i, sharp s, titlecase digraphs, final sigma, ligatures...
tricky = st.sampled_from(
    [
        *"\u0130\u0131Ii\u00df\u1e9e\u01c5\u01c4\u01c6\u03a9\u03c9\u03a3\u03c3\u03c2",
        *"\u00c9\u00e9\u00c5\u00e5\u00d8\u00f8\u0132\u0133\ufb01",
        "e\u0301",
        "A\u030a",
    ]
)
texts = st.lists(st.one_of(letters, tricky), min_size=1, max_size=10).map("".join)


def spellings(s: str) -> list[str]:
    """Strings that share `s`'s key: its folded, lowered, NFD and NFC forms, and its
    upper-case form where the key of that is `s`'s (upper-casing is not always undone)."""
    out = [s, s.casefold(), s.lower(), unicodedata.normalize("NFD", s)]
    out.append(unicodedata.normalize("NFC", s))
    for other in (s.upper(), s.swapcase(), s.title()):
        if text_key(other) == text_key(s):
            out.append(other)
    return out


def stored(field: str, s: str) -> str:
    """The value loaded into `field` (an email must look like one)."""
    return s + EMAIL_TAIL if field == "email" else s


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(s=texts, other=texts)
def test_exact_match_finds_every_spelling_with_the_same_key_and_no_other(
    app: Leadstate, s: str, other: str
) -> None:
    assume(s.strip() == s and other.strip() == other)
    assume(text_key(other) != text_key(s))
    account = next(_accounts)
    fields = {field: stored(field, s) for field in FIELD_OF.values()}
    lead_id = load(app, [row(**fields)], account=account).lead_ids[0]
    decoy = {field: stored(field, other) for field in FIELD_OF.values()}
    load(app, [row(**decoy)], account=account)

    for criterion, field in FIELD_OF.items():
        for spelling in spellings(s):
            found = ids(
                app,
                {"campaignIds": [CAMPAIGN], criterion: stored(field, spelling)},
                account=account,
            )
            assert found == [lead_id], (criterion, spelling, text_key(spelling), text_key(s))
        missed = ids(
            app, {"campaignIds": [CAMPAIGN], criterion: stored(field, other)}, account=account
        )
        assert lead_id not in missed, (criterion, other)


@pytest.mark.parametrize(
    ("stored_value", "query", "found"),
    [
        ("Émile", "ÉMILE", True),
        ("Émile", "émile", True),
        ("Émile", "E\u0301MILE", True),
        ("Ødegård", "ødegård", True),
        ("ÅLESUND", "ålesund", True),
        ("Ωmega", "Ωmega", True),
        ("ǅungla", "ǅungla", True),
        ("ǅungla", "ǆungla", True),
        ("İstanbul", "İstanbul", True),
        ("İstanbul", "i\u0307stanbul", True),
        ("İstanbul", "Istanbul", False),
        ("Straße", "STRASSE", True),
        ("\u0131sparta", "isparta", False),
    ],
)
def test_unicode_names_are_found_by_their_caseless_spellings(
    app: Leadstate, stored_value: str, query: str, found: bool
) -> None:
    account = next(_accounts)
    lead_id = load(app, [row(firstName=stored_value, city=stored_value)], account=account).lead_ids[
        0
    ]

    for criterion in ("firstName", "city"):
        result = ids(app, {"campaignIds": [CAMPAIGN], criterion: query}, account=account)
        assert result == ([lead_id] if found else [])


def test_list_criteria_compare_keys_too(app: Leadstate) -> None:
    account = next(_accounts)
    lead_id = load(app, [row(state="Île-de-France")], account=account).lead_ids[0]

    assert ids(app, {"physicalStates": ["ÎLE-DE-FRANCE"]}, account=account) == [lead_id]
    assert ids(app, {"physicalStates": ["ile-de-france"]}, account=account) == []
