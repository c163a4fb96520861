"""The API-key cache (SPEC §9): a process trusts a key it authenticated for a short
time; its own revocations take effect at once, another process's within that time."""

from __future__ import annotations

import time

from leadstate.application.bootstrap import Leadstate
from leadstate.persistence.apikeys import ApiKeys


def test_a_key_revoked_here_is_refused_at_once_and_elsewhere_after_the_cache_time(
    app: Leadstate,
) -> None:
    here = ApiKeys(app.store, cache_seconds=60)
    elsewhere = ApiKeys(app.store, cache_seconds=60)
    first, first_token = here.create(5, ["leads:read"])
    second, second_token = here.create(5, ["leads:read"])
    assert here.cached(first_token) is None  # never authenticated yet
    for keys in (here, elsewhere):
        for token in (first_token, second_token):
            assert keys.authenticate(token) is not None
    assert here.cached(first_token) == first

    here.revoke(first.key_id)
    assert here.cached(first_token) is None
    assert here.authenticate(first_token) is None
    assert elsewhere.cached(first_token) == first  # within its cache time
    assert here.cached(second_token) == second  # other keys stay cached

    uncached = ApiKeys(app.store, cache_seconds=0)
    assert uncached.authenticate(second_token) == second
    assert uncached.cached(second_token) is None
    assert uncached.authenticate(first_token) is None


def test_an_expired_cache_entry_is_checked_against_the_database_again(app: Leadstate) -> None:
    keys = ApiKeys(app.store, cache_seconds=0.05)
    other = ApiKeys(app.store)
    key, token = keys.create(5, ["leads:read"])
    assert keys.authenticate(token) == key
    other.revoke(key.key_id)
    time.sleep(0.1)
    assert keys.cached(token) is None
    assert keys.authenticate(token) is None
