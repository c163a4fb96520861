"""The browser UI: a leads search page served at `/`, plain HTML + ES modules + CSS.

Everything the page needs ships in `static/` as package data; nothing is built and
nothing is fetched from the internet. The page talks to the same HTTP API as any
client, with an API key the user types in (kept in the tab's `sessionStorage` only).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).with_name("static")
STATIC_PATH = "/ui/static"

# The page loads only its own files; the API key never leaves for another origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

# Module scripts must be served as JavaScript whatever the host's mime table says.
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/css", ".css")


def mount_ui(app: FastAPI) -> None:
    """Serve the UI: the static files at `/ui/static` and the page at `GET /`."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="ui-static")

    @app.get("/", include_in_schema=False)
    def ui_index() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", media_type="text/html", headers=PAGE_HEADERS)


__all__ = ["STATIC_DIR", "STATIC_PATH", "mount_ui"]
