"""The UI's static files: served by `mount_ui`, complete, labelled (no browser needed)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from leadstate.api import create_app
from leadstate.settings import Settings
from leadstate.ui import STATIC_DIR, mount_ui

_IMPORT = re.compile(r"""^import .* from "(\./[^"]+)";$""", re.MULTILINE)


def _client() -> TestClient:
    app = FastAPI()
    mount_ui(app)
    return TestClient(app)


def test_the_page_is_served_at_the_root_with_a_strict_policy() -> None:
    response = _client().get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert '<script type="module" src="/ui/static/app.js"></script>' in response.text


def test_every_file_the_page_names_is_served_with_its_type() -> None:
    client = _client()
    page = client.get("/").text
    assets = re.findall(r'(?:src|href)="(/ui/static/[^"]+)"', page)
    assert set(assets) == {"/ui/static/app.js", "/ui/static/style.css"}
    for module in sorted(STATIC_DIR.glob("*.js")):
        response = client.get(f"/ui/static/{module.name}")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/javascript")
    assert client.get("/ui/static/style.css").headers["content-type"].startswith("text/css")


def test_module_imports_resolve_to_shipped_files() -> None:
    for module in STATIC_DIR.glob("*.js"):
        for target in _IMPORT.findall(module.read_text()):
            assert (STATIC_DIR / target).is_file(), f"{module.name} imports missing {target}"


def test_nothing_is_fetched_from_another_origin() -> None:
    for path in STATIC_DIR.iterdir():
        text = path.read_text()
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text), path.name


def test_the_page_is_outside_the_api_schema(tmp_path: Path) -> None:
    app = create_app(Settings(db=str(tmp_path / "ui.db")))
    assert any(getattr(route, "path", None) == "/" for route in app.routes)
    assert "/" not in app.openapi()["paths"]


class _Controls(HTMLParser):
    """Form controls of the static markup, and the ids labels point at."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_targets: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "label" and values.get("for"):
            self.label_targets.add(str(values["for"]))
        if tag in ("input", "select", "textarea"):
            self.controls.append(values)


def test_every_control_of_the_page_has_a_label() -> None:
    parser = _Controls()
    parser.feed((STATIC_DIR / "index.html").read_text())
    assert parser.controls
    unlabelled = [
        control
        for control in parser.controls
        if control.get("id") not in parser.label_targets and not control.get("aria-label")
    ]
    assert unlabelled == []
