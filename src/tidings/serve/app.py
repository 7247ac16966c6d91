"""Server wiring: the app, its error handlers, the page and its assets. Routes live in api.py."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response

from tidings import __version__
from tidings.serve.api import router
from tidings.serve.database import Ledger
from tidings.serve.filters import BadParameter
from tidings.serve.security import STATIC, SecurityMiddleware, error_response, static_file


def create_app(db: str) -> FastAPI:
    """The whole server over one database, opened read-only now (so a bad path fails before serving)."""
    ledger = Ledger(db)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        ledger.close()

    app = FastAPI(title="tidings", version=__version__, lifespan=lifespan,
                  description="Read-only API over a tidings event ledger: every value traced to its source "
                              "sentences.", docs_url=None, redoc_url=None)  # the docs pages load from a CDN
    app.state.ledger = ledger
    app.include_router(router)

    @app.exception_handler(BadParameter)
    async def bad_parameter(_request: Request, exc: BadParameter) -> Response:
        return error_response(400, str(exc), parameter=exc.parameter)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> Response:
        problems = [{"parameter": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg", "")}
                    for e in exc.errors()]
        message = "; ".join(f"{p['parameter']}: {p['message']}" for p in problems) or "invalid request"
        return error_response(422, message, problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = "no such page or API route"
        response = error_response(exc.status_code, message)
        response.headers.update(exc.headers or {})
        return response

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        page = STATIC / "index.html"
        if not page.is_file():
            return error_response(503, "the web page is not built: run `cd web && npm ci && npm run build`")
        return static_file("index.html")

    @app.get("/static/{path:path}", include_in_schema=False)
    def static(path: str, request: Request) -> Response:
        return static_file(path, gzip_ok="gzip" in request.headers.get("accept-encoding", ""))

    app.add_middleware(GZipMiddleware, minimum_size=1024)
    app.add_middleware(SecurityMiddleware)  # outermost: refuses methods before anything else runs
    return app


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(db: str, host: str = "127.0.0.1", port: int = 8000, **uvicorn_options: Any) -> None:
    """Serve the page and API until interrupted. Binding beyond this machine is allowed (the user asked for
    it with --host) but warned about: the ledger may hold material its owner has not chosen to publish."""
    import uvicorn

    app = create_app(db)
    if not _is_loopback(host):
        print(f"tidings: warning: serving on {host}:{port} makes this ledger readable by other machines on the "
              "network; it has no authentication", file=sys.stderr)
    print(f"tidings: serving {db} at http://{'127.0.0.1' if host == '0.0.0.0' else host}:{port}/", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning", server_header=False, **uvicorn_options)
