"""The shape of the code, checked from its own source (read as text, never imported):
no import circle, no reach into another object's private members, no file too long.
The layers themselves are import-linter contracts (`make lint`, pyproject.toml)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "leadstate"
MAX_LINES = 600


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every module of the package `path` imports, anywhere in it: at the top, inside
    functions, under `TYPE_CHECKING` alike."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                if name in known:
                    out.add(name)
                elif node.module in known:
                    out.add(node.module)
    return out


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph[node]:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_circle_counting_every_import() -> None:
    known = modules()
    graph = {name: imports_of(path, set(known)) - {name} for name, path in known.items()}

    assert sum(len(targets) for targets in graph.values()) > 200, "the graph was read"
    assert circles(graph) == []


def test_a_circle_is_found_even_under_type_checking(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(graph) == [["a", "b", "c"]]
    source = tmp_path / "m.py"
    source.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from leadstate.x import y\n"
        "def f():\n    import leadstate.z\n"
    )
    assert imports_of(source, {"leadstate.x.y", "leadstate.z"}) == {"leadstate.x.y", "leadstate.z"}


def private_reaches(path: Path) -> Iterator[str]:
    """`obj._member` where `obj` is not `self`, `cls`, the class itself, `super()` (a base
    class's hook being extended) or a module (`os._exit`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
    imported = {
        (alias.asname or alias.name).split(".")[0]
        for n in ast.walk(tree)
        if isinstance(n, ast.Import)
        for alias in n.names
    }
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        name = node.attr
        if not name.startswith("_") or (name.startswith("__") and name.endswith("__")):
            continue
        owner = node.value
        if isinstance(owner, ast.Name) and owner.id in {"self", "cls", *classes, *imported}:
            continue
        if isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "super":
            continue
        yield f"{path.relative_to(PACKAGE.parent)}:{node.lineno} .{name}"


def test_nobody_touches_another_objects_private_members() -> None:
    reaches = [r for path in modules().values() for r in private_reaches(path)]

    assert reaches == []


def test_no_source_file_is_over_600_lines() -> None:
    long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in [*PACKAGE.rglob("*.py"), *PACKAGE.rglob("*.js")]
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }

    assert long == {}


def _calls(path: Path, name: str) -> Iterator[ast.Call]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == name:
            yield node


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(PACKAGE.parent)}:{getattr(node, 'lineno', 0)}"


def test_sql_runs_only_in_persistence_and_the_read_side() -> None:
    inside = [c for p in (PACKAGE / "persistence").glob("*.py") for c in _calls(p, "execute")]
    assert len(inside) > 20, "the scan finds statements where they are"
    outside = [
        _where(path, call)
        for name, path in modules().items()
        if not name.startswith(("leadstate.persistence", "leadstate.projections"))
        for method in ("execute", "executemany")
        for call in _calls(path, method)
    ]

    assert outside == []


def test_tables_are_created_only_by_the_schema_module_and_the_read_model_sql() -> None:
    ddl = ("CREATE TABLE", "ALTER TABLE", "DROP TABLE")
    found = [
        f"{path.relative_to(PACKAGE.parent)}: {word}"
        for name, path in modules().items()
        if name not in ("leadstate.persistence.schema", "leadstate.projections.registry")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        for word in ddl
        if word in node.value.upper()
    ]

    assert found == []


def test_the_engine_is_told_apart_only_in_persistence() -> None:
    engine = PACKAGE / "persistence" / "engine.py"
    assert "is_postgres" in engine.read_text(encoding="utf-8"), "the one place, still there"
    found = [
        _where(path, node)
        for name, path in modules().items()
        if not name.startswith("leadstate.persistence") and name != "leadstate.settings"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Attribute) and node.attr == "is_postgres"
    ]

    assert found == []


def test_nobody_reads_a_private_member_by_name_either() -> None:
    found = [
        _where(path, call)
        for path in modules().values()
        for builtin in ("getattr", "setattr")
        for call in (
            n
            for n in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == builtin
        )
        if len(call.args) > 1
        and not (isinstance(call.args[0], ast.Name) and call.args[0].id == "self")
        and isinstance(call.args[1], ast.Constant)
        and str(call.args[1].value).startswith("_")
        and not str(call.args[1].value).startswith("__")
    ]

    assert found == []
