"""Lead commands: load, search, action."""

from __future__ import annotations
