"""The web app's files: the customer page at `/`, the ops console at `/ops`, static assets.

Plain HTML and a small vanilla JS file per page, shipped in the package (no build step). A
strict Content-Security-Policy allows only our own scripts, so even a text that slipped
through as markup could not run code.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

WEB = Path(__file__).resolve().parent / "web"
ASSETS = {"app.js", "ops.js", "style.css"}
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
        "form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

router = APIRouter(include_in_schema=False)


@router.get("/")
async def customer_page() -> FileResponse:
    """The customer's page."""
    return FileResponse(WEB / "index.html", headers=SECURITY_HEADERS)


@router.get("/ops")
async def ops_page() -> FileResponse:
    """The ops console."""
    return FileResponse(WEB / "ops.html", headers=SECURITY_HEADERS)


@router.get("/static/{name}")
async def asset(name: str) -> FileResponse:
    """One of the pages' scripts or the style sheet."""
    if name not in ASSETS:
        raise HTTPException(404, "no such file")
    return FileResponse(WEB / name, headers=SECURITY_HEADERS)
