"""Process-wide settings of a leadstate process (the CLI and every `serve` worker)."""

from __future__ import annotations

import gc

# Young-generation collections every 50,000 allocations instead of 700: a bulk batch or
# a load allocates hundreds of thousands of short-lived objects (statuses, rows,
# tuples), and with the default the collector ran ~1,700 times per 60,000 leads,
# rescanning the same survivors (a tenth of a bulk job's time). Garbage cycles wait a
# little longer; nothing else changes.
YOUNG_THRESHOLD = 50_000


def tune_collector() -> None:
    """Collect garbage cycles less often (see `YOUNG_THRESHOLD`)."""
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
