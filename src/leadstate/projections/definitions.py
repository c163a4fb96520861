"""Read-model definitions: each read model's SQL file in `projections/`, with its version.

In a wheel the files travel inside the package (`leadstate/_projections`); in a source
checkout they are read from the repository's top-level `projections/` folder.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class ReadModelDef:
    """A read model: its name, version, mode and DDL template."""

    name: str
    version: int
    mode: str
    ddl: str

    @property
    def table(self) -> str:
        """The table of this version (bare name)."""
        return f"rm_{self.name}_v{self.version}"

    def render(self, qualified: str, bare: str) -> str:
        """The DDL for a concrete table name."""
        return self.ddl.replace("{table}", qualified).replace("{name}", bare)


def _sql_dir() -> Path:
    override = os.environ.get("LEADSTATE_PROJECTIONS_DIR")
    if override:  # another set of definitions (tests of version upgrades)
        return Path(override)
    packaged = resources.files("leadstate").joinpath("_projections")
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[3] / "projections"


_HEADER = re.compile(r"^--\s*(read model|version|mode):\s*(\S+)", re.MULTILINE)


@cache
def load(name: str) -> ReadModelDef:
    """The definition of read model `name`, from `projections/<name>.sql`."""
    path = _sql_dir() / f"{name}.sql"
    text = path.read_text(encoding="utf-8")
    header = {key: value for key, value in _HEADER.findall(text)}
    if header.get("read model") != name or "version" not in header:
        raise ValueError(f"{path}: needs '-- read model: {name}' and '-- version: N' headers")
    return ReadModelDef(
        name=name, version=int(header["version"]), mode=header.get("mode", "synchronous"), ddl=text
    )
