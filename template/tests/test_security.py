"""Security headers, HSTS in production, trusted hosts and CORS, all from settings."""

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI, Response

from .conftest import serve

ORIGIN = "https://app.example.com"


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for response in (await client.get("/health/live"), await client.get("/no/such/route")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


async def test_a_header_the_route_sets_is_kept_and_not_doubled(
    make_app: Callable[..., FastAPI],
) -> None:
    application = make_app()

    @application.get("/framed")
    async def framed() -> Response:
        return Response(headers={"X-Frame-Options": "SAMEORIGIN"})

    async with serve(application) as client:
        response = await client.get("/framed")

    assert response.headers.get_list("X-Frame-Options") == ["SAMEORIGIN"]
    assert response.headers.get_list("X-Content-Type-Options") == ["nosniff"]


async def test_no_hsts_outside_production(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")

    assert "Strict-Transport-Security" not in response.headers


async def test_hsts_in_production(make_app: Callable[..., FastAPI]) -> None:
    async with serve(make_app(environment="production")) as client:
        response = await client.get("/health/live")

    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("host", ["api.example.com", "api.example.com:8443", "eu.example.org"])
async def test_allowed_hosts_are_served(make_app: Callable[..., FastAPI], host: str) -> None:
    application = make_app(allowed_hosts=["api.example.com", "*.example.org"])
    async with serve(application) as client:
        response = await client.get("/health/live", headers={"Host": host})

    assert response.status_code == 200


@pytest.mark.parametrize("host", ["evil.example.net", "example.org", "api.example.com.evil.net"])
async def test_other_hosts_are_refused_in_the_envelope(
    make_app: Callable[..., FastAPI], host: str
) -> None:
    application = make_app(allowed_hosts=["api.example.com", "*.example.org"])
    async with serve(application) as client:
        response = await client.get("/health/live", headers={"Host": host})

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_host"
    assert error["request_id"] == response.headers["X-Request-ID"]


async def test_cors_preflight_from_an_allowed_origin(make_app: Callable[..., FastAPI]) -> None:
    async with serve(make_app(cors_origins=[ORIGIN])) as client:
        response = await client.options(
            "/health/live",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
        )

    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


async def test_cors_preflight_from_another_origin_is_refused(
    make_app: Callable[..., FastAPI],
) -> None:
    async with serve(make_app(cors_origins=[ORIGIN])) as client:
        response = await client.options(
            "/health/live",
            headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "GET"},
        )

    assert response.status_code == 400
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Origin" in response.headers["Vary"]
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("cors_refused", "Disallowed CORS origin")
    assert error["request_id"] == response.headers["X-Request-ID"]


async def test_cors_response_exposes_the_request_id(make_app: Callable[..., FastAPI]) -> None:
    async with serve(make_app(cors_origins=[ORIGIN])) as client:
        response = await client.get("/health/live", headers={"Origin": ORIGIN})

    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "X-Request-ID" in response.headers["Access-Control-Expose-Headers"]
