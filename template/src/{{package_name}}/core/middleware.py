"""Pure ASGI middleware: it runs on every request, so no BaseHTTPMiddleware and no extra tasks."""

import re
import secrets
import time
from collections.abc import Iterable

import structlog
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware, cors
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .api import HEALTH_PREFIX
from .errors import error_response
from .settings import CoreSettings

# Accept a caller's X-Request-ID only if it is short and harmless to log and echo back.
REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# On every response, unless the route set its own value.
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
)
HSTS = (b"strict-transport-security", b"max-age=63072000; includeSubDomains")


class RequestContextMiddleware:
    """Request id (accepted or generated), security headers, one access line per request, and
    the 500 boundary.

    Every response gets X-Request-ID and the security headers (HSTS when asked: in production; a
    header the route set itself is kept), from the one send wrapper every request has anyway. An
    unhandled exception is logged here, with the request id still bound, and answered with the
    error envelope; the client never sees a traceback. Requests under `quiet_prefixes` (the
    probes) are logged only when they fail.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool, quiet_prefixes: tuple[str, ...] = ()) -> None:
        self.app = app
        self.security_headers = (*SECURITY_HEADERS, HSTS) if hsts else SECURITY_HEADERS
        self.quiet_prefixes = quiet_prefixes
        # Built here, after the app configured logging: the module's lazy logger would build a
        # new one for every line.
        self.logger = structlog.get_logger().bind()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if REQUEST_ID_RE.match(candidate):
                    request_id = candidate
                break
        request_id = request_id or secrets.token_hex(16)
        scope.setdefault("state", {})["request_id"] = request_id

        status = 500
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers += [pair for pair in self.security_headers if pair[0] not in present]
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        start = time.perf_counter()
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            self.logger.exception("unhandled_error", method=scope["method"], path=scope["path"])
            if started:
                raise
            response = error_response(scope, 500, "internal_error", "Internal server error")
            await response(scope, receive, send_with_headers)
        finally:
            if status >= 400 or not scope["path"].startswith(self.quiet_prefixes):
                self.logger.info(
                    "request",
                    method=scope["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - start) * 1000, 2),
                )
            structlog.contextvars.clear_contextvars()


class TrustedHostMiddleware:
    """Refuses requests whose Host header is not allowed, with the error envelope.

    Added only when ALLOWED_HOSTS names hosts: with `*` it would have nothing to refuse.
    """

    def __init__(self, app: ASGIApp, *, allowed_hosts: Iterable[str]) -> None:
        self.app = app
        hosts = list(allowed_hosts)
        self.exact = {host for host in hosts if not host.startswith("*.")}
        self.suffixes = tuple(host[1:] for host in hosts if host.startswith("*."))

    def _allowed(self, host: str) -> bool:
        return host in self.exact or (bool(self.suffixes) and host.endswith(self.suffixes))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = ""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value.decode("latin-1").split(":")[0]
                break
        if self._allowed(host):
            await self.app(scope, receive, send)
            return
        response = error_response(scope, 400, "invalid_host", "Invalid host header")
        await response(scope, receive, send)


class BodySizeLimitMiddleware:
    """Answers 413 for bodies over the limit, by Content-Length or by counting streamed bytes."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length":
                if not value.isdigit():
                    response = error_response(scope, 400, "bad_request", "Invalid Content-Length")
                    await response(scope, receive, send)
                    return
                if int(value) > self.max_bytes:
                    response = error_response(scope, 413, "payload_too_large", self._message())
                    await response(scope, receive, send)
                    return
                break

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # FastAPI passes HTTPException through body parsing; the handler renders it.
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"Request body exceeds {self.max_bytes} bytes"


class CORSMiddleware(cors.CORSMiddleware):
    """Starlette's CORS handling, but a refused preflight gets the error envelope.

    Starlette answers it in plain text ("Disallowed CORS origin"); its message and CORS headers
    (Vary, Access-Control-Allow-Methods…) are kept.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            headers = Headers(scope=scope)
            if "origin" in headers and "access-control-request-method" in headers:
                preflight = self.preflight_response(request_headers=headers)
                if preflight.status_code == 400:
                    cors_headers = {
                        name: value
                        for name, value in preflight.headers.items()
                        if name.startswith("access-control-") or name == "vary"
                    }
                    message = bytes(preflight.body).decode()
                    preflight = error_response(
                        scope, 400, "cors_refused", message, headers=cors_headers
                    )
                await preflight(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def middleware_stack(settings: CoreSettings) -> list[Middleware]:
    """The middleware, outermost first: headers and the request id wrap every response, errors
    included. Each layer runs on every request, so none is added that has nothing to do."""
    stack: list[Middleware] = []
    if settings.trusted_proxies:
        # The client's address and scheme as those proxies forwarded them, for everything after
        # (the rate limits count per client address): from the right of X-Forwarded-For, the
        # first address that is not a trusted proxy. Anyone else's X-Forwarded-* is ignored.
        stack.append(Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies))
    stack.append(
        Middleware(
            RequestContextMiddleware,
            hsts=settings.is_production,
            quiet_prefixes=() if settings.log_probes else (f"{HEALTH_PREFIX}/",),
        )
    )
    if "*" not in settings.allowed_hosts:
        stack.append(Middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts))
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_credentials=settings.cors_allow_credentials,
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=["X-Request-ID"],
            )
        )
    stack.append(Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes))
    return stack
