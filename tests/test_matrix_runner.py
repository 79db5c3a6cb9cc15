"""The matrix runner, on the fake template: steps, isolation, skips, results, exit status."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.matrix_fake import write_fake_template
from tools.matrix import cli, environment, report
from tools.matrix.enumeration import PROJECT_DIR_NAME, Variant, enumerate_variants
from tools.matrix.proofs import Ledger, render_digest
from tools.matrix.runner import (
    STEP_NAMES,
    MypySeed,
    RunOptions,
    StepResult,
    VariantResult,
    _run,
    find_uv,
    render,
    run_variant,
)
from tools.matrix.subsets import Selection, select

REPO = Path(__file__).resolve().parents[1]
CLOSING_LINE = re.compile(r"^matrix: \d+ passed, \d+ failed, \d+ skipped$")


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


# --- The whole CLI on three fake variants ------------------------------------------------------


def test_cli_runs_variants_in_parallel_and_reports(tmp_path: Path) -> None:
    template = write_fake_template(tmp_path / "template")
    run_ids = tmp_path / "run-ids"
    run_ids.mkdir()
    results = tmp_path / "results"
    env = {**os.environ, "MATRIX_FAKE_RUN_IDS": str(run_ids), "REQUIRE_SERVICES": ""}
    # auth=none, no queue, no cache: database sqlite, postgresql and none (which fails on purpose).
    process = subprocess.run(
        [
            sys.executable,
            "-m",
            "tools.matrix",
            "auth=none",
            "task_queue=none",
            "cache=none",
            "--template",
            str(template),
            "--workdir",
            str(tmp_path / "work"),
            "--results",
            str(results),
            "--cache-dir",
            str(tmp_path / "cache"),
            "--jobs",
            "2",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    output = process.stdout
    assert process.returncode == 1, output + process.stderr
    postgres_up = not environment.unreachable(["postgresql"])
    expected = (
        "matrix: 2 passed, 1 failed, 0 skipped"
        if postgres_up
        else "matrix: 1 passed, 1 failed, 1 skipped"
    )
    assert output.rstrip().splitlines()[-1] == expected
    assert CLOSING_LINE.match(expected)
    # Progress lines, then a table with every step, then the failing step's last lines.
    assert re.search(r"1/3 \S+: render", output) or re.search(r"\d/3 \S+: render", output)
    assert all(name in output for name in STEP_NAMES)
    assert "deliberate failure of the database=none variants" in output
    assert "mypy, pytest failed" in output

    data = json.loads((results / "matrix.json").read_text(encoding="utf-8"))
    statuses = {
        entry["variant"]["answers"]["database"]: entry["status"] for entry in data["variants"]
    }
    assert statuses == {
        "sqlite": "passed",
        "postgresql": "passed" if postgres_up else "skipped",
        "none": "failed",
    }
    assert data["summary"]["failed"] == 1
    assert set(data["summary"]["step_medians"]) >= set(STEP_NAMES)
    failed = next(entry for entry in data["variants"] if entry["status"] == "failed")
    # database=none ran third, after a variant had seeded the mypy cache with a clean `app`.
    assert [step["status"] for step in failed["steps"]] == [
        "passed",
        "passed",
        "passed",
        "passed",
        "failed",
        "failed",
    ]
    assert "app.py:3: error: Incompatible types in assignment" in output
    markdown = (results / "matrix.md").read_text(encoding="utf-8")
    assert "| variant |" in markdown and "## Failures" in markdown

    # Each variant had its own run id (the fake tests wrote one marker per run id).
    markers = {path.name: path.read_text(encoding="utf-8") for path in run_ids.iterdir()}
    assert len(markers) == (3 if postgres_up else 2)
    assert all(re.fullmatch(r"m[0-9a-f]{10}", name) for name in markers)


# --- One variant, in process --------------------------------------------------------------------


def test_unreachable_service_skips_or_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = dataclasses.replace(environment.SERVICES["postgresql"], port=1)
    monkeypatch.setitem(environment.SERVICES, "postgresql", closed)
    variant = Variant(answers=(("database", "postgresql"),), services=("postgresql",))
    options = RunOptions(
        template_root=tmp_path, workdir=tmp_path / "work", cache_dir=tmp_path / "cache", uv="uv"
    )

    skipped = run_variant(variant, options)
    assert skipped.status == "skipped"
    assert "postgresql (127.0.0.1:1)" in skipped.reason
    assert not (tmp_path / "work").exists()

    strict = dataclasses.replace(options, require_services=True)
    failed = run_variant(variant, strict)
    assert failed.status == "failed"
    assert "REQUIRE_SERVICES=1" in failed.reason
    assert environment.require_services({"REQUIRE_SERVICES": "1"})
    assert not environment.require_services({})


def test_render_takes_uncommitted_work_with_head(tmp_path: Path) -> None:
    template = write_fake_template(tmp_path / "template")
    git(template, "init", "-q")
    git(template, "add", "-A")
    git(template, "commit", "-qm", "fake")
    git(template, "tag", "1.0.0")
    app = template / "template" / "{% if database != 'none' %}app.py{% endif %}"
    app.write_text(app.read_text(encoding="utf-8").replace("42", "43"), encoding="utf-8")

    render(template, tmp_path / "head" / "svc", {"auth": "none"}, "HEAD")
    assert "return 43" in (tmp_path / "head" / "svc" / "app.py").read_text(encoding="utf-8")
    # Without a ref Copier takes the newest tag: why the matrix always passes HEAD.
    render(template, tmp_path / "tag" / "svc", {"auth": "none"}, None)
    assert "return 42" in (tmp_path / "tag" / "svc" / "app.py").read_text(encoding="utf-8")
    assert RunOptions(template_root=template).resolved_vcs_ref() == "HEAD"
    assert RunOptions(template_root=tmp_path).resolved_vcs_ref() is None
    # The enumeration reads the working tree the same way.
    (template / "copier.yml").write_text(
        (template / "copier.yml")
        .read_text(encoding="utf-8")
        .replace("choices: [memory, none]", "choices: [memory, none, disk]"),
        encoding="utf-8",
    )
    assert "disk" in enumerate_variants(template).axis("cache").values


def test_a_ledger_keeps_a_pass_while_the_render_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MATRIX_FAKE_RUN_IDS", str(tmp_path))
    template = write_fake_template(tmp_path / "template")
    git(template, "init", "-q")
    git(template, "add", "-A")
    git(template, "commit", "-qm", "fake")
    variant = Variant(answers=(("auth", "none"), ("database", "sqlite")))
    path = tmp_path / "ledger.json"

    def run() -> VariantResult:
        options = RunOptions(
            template_root=template,
            workdir=tmp_path / "work",
            cache_dir=tmp_path / "cache",
            ledger=Ledger(path),
        )
        result = run_variant(variant, options)
        cli.record_result(options.ledger or Ledger(path), result, "abc123")
        return result

    first = run()
    assert (first.status, first.proof) == ("passed", None), first.failure_report()
    assert [step.status for step in first.steps] == ["passed"] * len(STEP_NAMES)
    fresh = tmp_path / "fresh" / PROJECT_DIR_NAME  # where the matrix renders: its name is data
    render(template, fresh, variant.data, "HEAD")
    assert first.digest == render_digest(fresh)
    recorded = Ledger(path).proofs[variant.label]
    assert (recorded.digest, recorded.commit) == (first.digest, "abc123")

    # A new commit that leaves this variant's files alone: the pass is taken, nothing runs.
    (template / "README.md").write_text("a change outside the template\n", encoding="utf-8")
    git(template, "add", "-A")
    git(template, "commit", "-qm", "docs")
    again = run()
    assert again.status == "passed" and again.proof == recorded
    assert again.reason.startswith("proven ")
    assert [step.status for step in again.steps] == ["passed"] + ["not run"] * (len(STEP_NAMES) - 1)

    # One changed byte of the render: the checks run again (and fail: the pass is forgotten).
    app = template / "template" / "{% if database != 'none' %}app.py{% endif %}"
    app.write_text(app.read_text(encoding="utf-8").replace("42", "'42'"), encoding="utf-8")
    changed = run()
    assert changed.proof is None and changed.digest != first.digest
    assert changed.status == "failed" and "mypy" in changed.reason
    assert variant.label not in Ledger(path).proofs


# --- Pieces ---------------------------------------------------------------------------------------


def test_variant_variables_give_each_run_its_own_names() -> None:
    first = environment.variant_variables(["postgresql"], "mabc")
    second = environment.variant_variables(["mysql"], "mdef")
    assert first[environment.DATABASE_ADMIN_URL].startswith("postgresql+asyncpg://postgres@")
    assert second[environment.DATABASE_ADMIN_URL].startswith("mysql+asyncmy://root@")
    assert first[environment.DATABASE_NAME] == "test_mabc"
    assert first[environment.RUN_ID] == "mabc"
    with_redis = environment.variant_variables(["postgresql", "redis"], "mabc")
    assert with_redis[environment.REDIS_URL] == "redis://127.0.0.1:6379/0"
    assert environment.REDIS_URL not in first
    assert environment.variant_variables([], "m1") == {
        environment.RUN_ID: "m1",
        environment.DATABASE_NAME: "test_m1",
    }
    with pytest.raises(ValueError):
        environment.variant_variables([], "Bad-Id")
    ids = {environment.new_run_id() for _ in range(100)}
    assert len(ids) == 100


def test_a_server_the_matrix_does_not_know_is_reported() -> None:
    assert environment.unreachable(["postgresql-nowhere"]) == [
        f"postgresql-nowhere (unknown service: known are {', '.join(environment.SERVICES)})"
    ]


def test_step_environment_drops_the_callers_setup() -> None:
    base = {
        "PATH": "/usr/bin",
        "VIRTUAL_ENV": "/repo/.venv",
        "PYTEST_XDIST_WORKER": "gw1",
        "PYENV_VERSION": "3.11.7",
        "DATABASE_URL": "sqlite:///x",
        "UV_CACHE_DIR": "/cache/uv",
    }
    env = environment.step_environment({"TEST_RUN_ID": "m1"}, base)
    assert env["PATH"] == "/usr/bin"
    assert env["UV_CACHE_DIR"] == "/cache/uv"  # one shared uv cache
    assert env["UV_PYTHON_DOWNLOADS"] == "never"
    assert env["TEST_RUN_ID"] == "m1"
    for name in ("VIRTUAL_ENV", "PYTEST_XDIST_WORKER", "PYENV_VERSION", "DATABASE_URL"):
        assert name not in env


def test_find_uv_is_a_real_binary() -> None:
    uv = Path(find_uv())
    assert uv.is_file()
    assert "shims" not in uv.parts


def test_mypy_seed_copies_and_keeps_the_largest(tmp_path: Path) -> None:
    seed = MypySeed(tmp_path / "seed")
    small, big = tmp_path / "small", tmp_path / "big"
    small.mkdir()
    (small / "a").write_text("x", encoding="utf-8")
    big.mkdir()
    (big / "b").write_text("x" * 100, encoding="utf-8")

    seed.copy_to(tmp_path / "cold")  # no seed yet: nothing to copy
    assert not (tmp_path / "cold").exists()
    seed.offer(small)
    seed.offer(big)
    seed.offer(small)
    target = tmp_path / "variant" / ".mypy_cache"
    seed.copy_to(target)
    assert sorted(path.name for path in target.iterdir()) == ["b"]


def test_report_table_markdown_and_closing_line(tmp_path: Path) -> None:
    ok = Variant(answers=(("auth", "jwt"),))
    bad = Variant(answers=(("auth", "none"),))
    skipped = Variant(answers=(("auth", "x"),))
    results = [
        VariantResult(
            ok, "passed", steps=[StepResult(name, "passed", 1.0) for name in STEP_NAMES], seconds=6
        ),
        VariantResult(
            bad,
            "failed",
            reason="mypy failed",
            steps=[
                StepResult("render", "passed", 2.0),
                StepResult("mypy", "failed", 3.0, 1, tail="error: boom"),
            ],
            seconds=5,
        ),
        VariantResult(skipped, "skipped", reason="service unreachable: redis"),
    ]
    summary = report.summarize(results, wall_seconds=9.5)
    assert summary.line == "matrix: 1 passed, 1 failed, 1 skipped"
    assert summary.medians["render"] == 1.5
    text = report.table(results, summary)
    assert "FAIL 3.0s" in text and "skipped: service unreachable: redis" in text
    assert "wall 9.5s" in text
    json_path, md_path = report.write(results, summary, tmp_path, "matrix", {"selection": "x"})
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["summary"]["skipped"] == 1 and data["selection"] == "x"
    assert "error: boom" in md_path.read_text(encoding="utf-8")


def test_list_prints_the_selection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    template = write_fake_template(tmp_path / "template")
    assert cli.main(["--template", str(template), "--list", "ci"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    ci = select(enumerate_variants(template), Selection(subset="ci"))
    assert lines[-1] == f"{len(ci)} of 27 valid variants"
    assert lines[0].startswith("auth=jwt database=sqlite task_queue=none cache=memory")
    assert cli.main(["--template", str(template), "nonsense"]) == 2
    assert "expected a subset" in capsys.readouterr().err


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the processes in /proc")
def test_a_step_stopped_takes_its_workers_in_other_sessions_down(tmp_path: Path) -> None:
    # As a variant's tests do: a worker in a session of its own, out of reach of the step's group.
    pid_file = tmp_path / "worker.pid"
    step = (
        "import subprocess, sys, time\n"
        "worker = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],"
        " start_new_session=True)\n"
        f"open({str(pid_file)!r}, 'w').write(str(worker.pid))\n"
        "time.sleep(60)\n"
    )
    # The timeout leaves the step time to start its worker on a busy machine.
    returncode, _ = _run(
        [sys.executable, "-c", step], tmp_path, dict(os.environ), tmp_path / "log", 10
    )
    assert returncode == -9
    worker = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while Path(f"/proc/{worker}").exists() and _state(worker) != "Z":
        assert time.monotonic() < deadline, "the worker outlived its step"
        time.sleep(0.05)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_kill_stops_a_run_as_ctrl_c_does(tmp_path: Path) -> None:
    template = write_fake_template(tmp_path / "template")
    env = {**os.environ, "MATRIX_FAKE_RUN_IDS": str(tmp_path), "REQUIRE_SERVICES": ""}
    command = [sys.executable, "-m", "tools.matrix", "auth=none", "database=sqlite", "cache=none"]
    command += ["task_queue=none", "--template", str(template), "--workdir", str(tmp_path / "w")]
    command += ["--results", str(tmp_path / "r"), "--cache-dir", str(tmp_path / "c")]
    # Started as a script starts a background job: SIGINT ignored, as bash does for `cmd &`.
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    assert process.stdout is not None
    for line in process.stdout:
        if ": sync" in line:  # a step runs
            break
    process.terminate()
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "interrupted; running steps stopped" in stderr


def test_the_digest_leaves_out_the_random_secrets_of_each_copy(tmp_path: Path) -> None:
    def digest(env: str) -> str:
        project = tmp_path / str(len(list(tmp_path.iterdir())))
        project.mkdir()
        (project / "app.py").write_text("x = 1\n", encoding="utf-8")
        (project / ".env").write_text(env, encoding="utf-8")
        return render_digest(project)

    one = digest("# header\nSECRET_KEY=abc\nAPI_KEY_PEPPER=def\n")
    assert digest("# header\nSECRET_KEY=xyz\nAPI_KEY_PEPPER=uvw\n") == one
    assert digest("# header\nSECRET_KEY=abc\n") != one  # a secret fewer
    assert digest("# header changed\nSECRET_KEY=abc\nAPI_KEY_PEPPER=def\n") != one
    assert digest("# header\nSECRET_KEY=abc\nAPI_KEY_PEPPER=def\nDEBUG=1\n") != one
