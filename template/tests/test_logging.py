"""One access line per request, with the request id bound into every line; JSON in production."""

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI

from .conftest import serve

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


async def test_one_json_access_line_per_request_in_production(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    async with serve(make_app(environment="production", log_probes=True)) as client:
        capsys.readouterr()  # start from a clean slate
        await client.get("/health/live", headers={"X-Request-ID": "first"})
        await client.get("/no/such/route", headers={"X-Request-ID": "second"})

    access = [line for line in json_lines(capsys.readouterr().out) if line["event"] == "request"]
    assert [(line["request_id"], line["status"]) for line in access] == [
        ("first", 200),
        ("second", 404),
    ]
    first = access[0]
    assert (first["method"], first["path"], first["level"]) == ("GET", "/health/live", "info")
    assert isinstance(first["duration_ms"], float)
    assert first["duration_ms"] >= 0
    assert "timestamp" in first


async def test_probes_are_logged_only_when_they_fail_unless_asked(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    async with serve(make_app(environment="production")) as client:
        capsys.readouterr()
        await client.get("/health/live", headers={"X-Request-ID": "probe"})
        await client.get("/health/no-such-probe", headers={"X-Request-ID": "failed-probe"})
        await client.get("/no/such/route", headers={"X-Request-ID": "other"})

    access = [line for line in json_lines(capsys.readouterr().out) if line["event"] == "request"]
    assert [line["request_id"] for line in access] == ["failed-probe", "other"]


async def test_console_lines_in_development(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    async with serve(make_app(environment="development", log_probes=True)) as client:
        capsys.readouterr()
        await client.get("/health/live", headers={"X-Request-ID": "dev-request"})

    output = capsys.readouterr().out
    assert not ANSI.search(output)  # colours are for terminals, not for a pipe or a file
    lines = output.splitlines()
    access = [line for line in lines if "request_id=dev-request" in line]
    assert len(access) == 1
    assert "status=200" in access[0]
    assert "duration_ms=" in access[0]
    with pytest.raises(json.JSONDecodeError):
        json.loads(access[0])


async def test_unhandled_error_is_logged_with_its_traceback_and_request_id(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    application = make_app(environment="production")

    async def crash() -> None:
        raise RuntimeError("kaboom")

    application.add_api_route("/test/crash", crash)
    async with serve(application) as client:
        capsys.readouterr()
        response = await client.get("/test/crash", headers={"X-Request-ID": "crash-1"})

    assert response.status_code == 500
    lines = {line["event"]: line for line in json_lines(capsys.readouterr().out)}
    error = lines["unhandled_error"]
    assert (error["request_id"], error["level"]) == ("crash-1", "error")
    assert "RuntimeError: kaboom" in error["exception"]
    assert (lines["request"]["request_id"], lines["request"]["status"]) == ("crash-1", 500)


async def test_a_development_traceback_shows_no_local_variables(
    make_app: Callable[..., FastAPI], capsys: pytest.CaptureFixture[str]
) -> None:
    application = make_app(environment="development")

    async def crash() -> None:
        password = "local-secret-value"
        raise RuntimeError(f"kaboom after {len(password)} characters")

    application.add_api_route("/test/crash", crash)
    async with serve(application) as client:
        capsys.readouterr()
        response = await client.get("/test/crash")

    output = capsys.readouterr().out
    assert response.status_code == 500
    assert "Traceback (most recent call last)" in output
    assert "RuntimeError: kaboom after 18 characters" in output
    assert "local-secret-value" not in output  # a frame's locals are not logged
