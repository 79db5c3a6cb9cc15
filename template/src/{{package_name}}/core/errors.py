"""One error envelope for every failure: an "error" object (code, message, details, request_id)."""

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")

# Codes for errors Starlette/FastAPI raise themselves (unknown route, wrong method, …).
HTTP_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "service_unavailable",
}


class AppError(Exception):
    """An expected failure, rendered as the envelope with its own status and code."""

    status_code = 400
    code = "bad_request"
    message = "Bad request"

    def __init__(
        self,
        message: str | None = None,
        *,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or self.message
        self.details = details
        self.headers = dict(headers or {})
        super().__init__(self.message)


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"
    message = "Not found"


class ConflictError(AppError):
    status_code = 409
    code = "conflict"
    message = "Conflict"


class UnauthorizedError(AppError):
    status_code = 401
    code = "unauthorized"
    message = "Not authenticated"
    # How to authenticate (RFC 9110, 11.6.1): each credential's error class names its own.
    challenge = "Bearer"

    def __init__(self, message: str | None = None, *, details: Any = None) -> None:
        super().__init__(message, details=details, headers={"WWW-Authenticate": self.challenge})


class ForbiddenError(AppError):
    status_code = 403
    code = "forbidden"
    message = "Forbidden"


class ServiceUnavailableError(AppError):
    status_code = 503
    code = "service_unavailable"
    message = "Service temporarily unavailable"


class ErrorBody(BaseModel):
    code: str
    message: str
    details: Any
    request_id: str


# The OpenAPI document's view of `error_response` below: one `error` object in every answer.
class ErrorResponse(BaseModel):
    error: ErrorBody


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(ErrorBody):
    details: list[FieldError]


class ValidationErrorResponse(ErrorResponse):
    error: ValidationErrorBody


def error_responses(*status_codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the error statuses an operation can answer, with the envelope.

    A declared 422 also replaces FastAPI's own ({"detail": [...]}), which is not what clients get.
    """
    return {
        status: {
            "model": ValidationErrorResponse if status == 422 else ErrorResponse,
            "description": HTTPStatus(status).phrase,
        }
        for status in status_codes
    }


def request_id_of(scope: Mapping[str, Any]) -> str:
    """The id RequestContextMiddleware stored in the ASGI scope ("" outside a request)."""
    return str(scope.get("state", {}).get("request_id", ""))


def error_response(
    scope: Mapping[str, Any],
    status_code: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {
        "error": {
            "code": code,
            "message": message,
            "details": details,
            "request_id": request_id_of(scope),
        }
    }
    return JSONResponse(body, status_code=status_code, headers=headers)


async def _app_error(request: Request, exc: AppError) -> JSONResponse:
    return error_response(
        request.scope, exc.status_code, exc.code, exc.message, exc.details, exc.headers
    )


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    status = exc.status_code
    code = HTTP_STATUS_CODES.get(status, "http_error")
    message = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    headers = exc.headers
    if status == 405:
        # Starlette's Allow names the methods of the first route that matched the path only;
        # FastAPI makes one route per method, so the others are collected here.
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return error_response(request.scope, status, code, message, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """The methods some route answers at this request's path (only a 405 pays for the search).

    Asked of each route of the app through `matches`, Starlette's public interface: it also holds
    for routers FastAPI includes without copying their routes into the app's list.
    """
    routes = request.app.router.routes
    return [
        method
        for method in HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    details = [
        {"loc": list(error["loc"]), "msg": error["msg"], "type": error["type"]}
        for error in exc.errors()
    ]
    return error_response(
        request.scope, 422, "validation_error", "Request validation failed", details
    )


def install_error_handlers(app: FastAPI) -> None:
    app.exception_handler(AppError)(_app_error)
    app.exception_handler(StarletteHTTPException)(_http_error)
    app.exception_handler(RequestValidationError)(_validation_error)
