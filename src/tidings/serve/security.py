"""What keeps hostile article text inert and the server read-only: response headers, the method gate,
and a static-file route that cannot leave the package's static folder."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote

from starlette.responses import FileResponse, JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STATIC = Path(__file__).resolve().parent / "static" / "dist"
ALLOWED_METHODS = ("GET", "HEAD")

# No inline script or style, no plugins, no framing, no third-party anything: the page and its data come
# from this server only. Leaflet positions its panes through element.style (CSSOM), which CSP permits.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",
    b"x-frame-options": b"DENY",
    b"cross-origin-opener-policy": b"same-origin",
    b"cross-origin-resource-policy": b"same-origin",
    b"permissions-policy": b"geolocation=(), camera=(), microphone=()",
}


def error_response(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message, **extra}}, status_code=status)


class SecurityMiddleware:
    """Refuses every method but GET/HEAD with a JSON 405 and adds the security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ALLOWED_METHODS:
            response = error_response(405, f"{scope['method']} is not allowed: this server is read-only "
                                           "(GET and HEAD only)")
            response.headers["Allow"] = ", ".join(ALLOWED_METHODS)
            await response(scope, receive, self._with_headers(send))
            return
        send = self._with_headers(send)
        if scope["method"] == "HEAD":
            # FastAPI routes answer GET only: run HEAD as GET and drop the body (headers, length stay).
            scope = {**scope, "method": "GET"}
            send = self._without_body(send)
        await self.app(scope, receive, send)

    @staticmethod
    def _without_body(send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)
        return wrapped

    @staticmethod
    def _with_headers(send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _v in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in HEADERS.items() if k not in present)]
            await send(message)
        return wrapped


def static_file(relative: str, root: Path = STATIC, gzip_ok: bool = False) -> Response:
    """A built asset under `root` (its prebuilt .gz when `gzip_ok`), or a JSON 404. The path is decoded once more than the router did, so
    `%2e%2e%2f` spelled twice is caught too; anything resolving outside the root, hidden, or not a regular
    file is refused the same way, so the answer does not reveal what exists elsewhere."""
    decoded = unquote(relative)
    parts = Path(decoded).parts
    if (not decoded or decoded.startswith(("/", "\\")) or "\\" in decoded or "\x00" in decoded
            or any(p in ("..", ".") or p.startswith(".") for p in parts)):
        return error_response(404, "no such file")
    base = root.resolve()
    target = (base / decoded).resolve()
    if not target.is_relative_to(base) or not target.is_file():
        return error_response(404, "no such file")
    media_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if target.suffix == ".json":
        media_type = "application/json"
    headers = {"Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    # The build writes a gzip copy of each large asset: serve it as is rather than compress per request.
    packed = target.with_name(target.name + ".gz")
    if gzip_ok and packed.is_file() and packed.resolve().is_relative_to(base):
        return FileResponse(packed, media_type=media_type, headers={**headers, "Content-Encoding": "gzip"})
    return FileResponse(target, media_type=media_type, headers=headers)
