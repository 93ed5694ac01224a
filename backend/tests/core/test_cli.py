"""`cspm check`: build-time and runtime validation, one clear line per failure, non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from cspm.api import RouteModule
from cspm.cli import SCF_DATA_FILES, build_failures, runtime_failures
from cspm.core.settings import CoreSettings, DatabaseNameSettings
from tests.conftest import TEST_REDIS_URL, make_settings

BACKEND = Path(__file__).resolve().parents[2]
HEALTH = RouteModule("health", "", public=True)
BROKEN = RouteModule("broken", "/api/broken", public=True, module="tests.core.broken_routes")
MISSING = RouteModule("missing", "/api/missing", module="tests.core.no_such_routes")
CLOSED_REDIS = "redis://127.0.0.1:1/15"


@pytest.fixture
def scf_dir(tmp_path) -> Path:
    directory = tmp_path / "scf"
    directory.mkdir()
    for name in SCF_DATA_FILES:
        (directory / name).write_text("{}")
    return directory


def test_build_check_passes_when_everything_is_present(scf_dir):
    assert build_failures(packages=("fastapi", "pymongo"), route_modules=[HEALTH],
                          job_modules=["tests.core.worker_jobs"], cli_modules=[], scf_data_dir=scf_dir) == []


def test_build_check_reports_one_line_per_problem(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    failures = build_failures(packages=("fastapi", "no_such_package_zz"), route_modules=[HEALTH, BROKEN, MISSING],
                              job_modules=["tests.core.no_such_tasks"], cli_modules=["tests.core.broken_routes"],
                              scf_data_dir=empty)
    assert failures == [
        "package no_such_package_zz: ModuleNotFoundError: No module named 'no_such_package_zz'",
        "route module tests.core.broken_routes: RuntimeError: deliberately broken route module (tests)",
        "route module tests.core.no_such_routes: ModuleNotFoundError: No module named 'tests.core.no_such_routes'",
        "job module tests.core.no_such_tasks: ModuleNotFoundError: No module named 'tests.core.no_such_tasks'",
        "cli module tests.core.broken_routes: RuntimeError: deliberately broken route module (tests)",
        f"SCF data {empty / 'scf_baseline.json'}: missing",
        f"SCF data {empty / 'tool_mappings.json'}: missing",
    ]


def test_build_check_names_one_missing_data_file(scf_dir):
    (scf_dir / "tool_mappings.json").unlink()
    assert build_failures(packages=(), route_modules=[], job_modules=[], cli_modules=[], scf_data_dir=scf_dir) == [
        f"SCF data {scf_dir / 'tool_mappings.json'}: missing"]


def _cli_env(**values: str) -> dict[str, str]:
    names = {name.upper() for name in [*CoreSettings.model_fields, *DatabaseNameSettings.model_fields]}
    env = {key: value for key, value in os.environ.items() if key not in names}
    # MONGODB_TIMEOUT_MS: the suite's stand-in store may be starved on a loaded machine (see conftest)
    env.update({"PYTHONPATH": str(BACKEND), "ENVIRONMENT": "test", "MONGODB_TIMEOUT_MS": "120000"}, **values)
    return env


def _run_check(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cspm.cli", "check", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=180, check=False)


def test_cli_build_check_exit_code_and_lines_match_the_real_installation(tmp_path):
    """Whatever this tree holds right now (other modules may still be arriving), the command says it exactly."""
    expected = build_failures()
    result = _run_check(["--build"], _cli_env(DATA_DIR=str(tmp_path / "data")), tmp_path)
    reported = [line.removeprefix("FAIL ") for line in result.stderr.splitlines() if line.startswith("FAIL ")]
    assert reported == expected
    if expected:
        assert result.returncode == 1
        assert "check passed" not in result.stdout
    else:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "check passed (build)"
    assert "Traceback" not in result.stderr


async def test_runtime_check_passes_with_services_up(tmp_path, mongo_uri):
    assert await runtime_failures(make_settings(tmp_path, mongo_uri)) == []


async def test_runtime_check_reports_redis_down(tmp_path, mongo_uri):
    failures = await runtime_failures(make_settings(tmp_path, mongo_uri, redis_url=SecretStr(CLOSED_REDIS)))
    assert len(failures) == 1
    assert failures[0].startswith("redis: not reachable at REDIS_URL (ConnectionError: ")
    assert failures[0].endswith("the in-memory fallback would be used")


async def test_runtime_check_reports_mongodb_down_without_its_password(tmp_path):
    settings = make_settings(tmp_path, "mongodb://cspm:Sup3rSecret@127.0.0.1:1/?directConnection=true",
                             mongodb_timeout_ms=500)
    failures = await runtime_failures(settings)
    assert len(failures) == 1
    assert failures[0].startswith("mongodb: not reachable at MONGODB_URI (ServerSelectionTimeoutError: ")
    assert "Sup3rSecret" not in failures[0]
    assert "\n" not in failures[0]


async def test_runtime_check_in_embedded_mode_starts_and_pings_the_stand_in(tmp_path):
    from cspm.core.settings import EmbeddedEngine

    settings = make_settings(tmp_path, None, embedded_engine=EmbeddedEngine.MEMORY)
    assert await runtime_failures(settings) == []


def test_cli_runtime_check_with_redis_down_exits_non_zero(tmp_path, mongo_uri):
    env = _cli_env(MONGODB_URI=mongo_uri, REDIS_URL=CLOSED_REDIS, DATA_DIR=str(tmp_path / "data"))
    result = _run_check([], env, tmp_path)
    assert result.returncode == 1
    failures = [line for line in result.stderr.splitlines() if line.startswith("FAIL ")]
    redis_lines = [line for line in failures if line.startswith("FAIL redis: ")]
    assert len(redis_lines) == 1
    assert not [line for line in failures if line.startswith("FAIL mongodb")]


def test_cli_runtime_check_with_services_up_reports_only_build_problems(tmp_path, mongo_uri):
    env = _cli_env(MONGODB_URI=mongo_uri, REDIS_URL=TEST_REDIS_URL, DATA_DIR=str(tmp_path / "data"))
    result = _run_check([], env, tmp_path)
    failures = [line.removeprefix("FAIL ") for line in result.stderr.splitlines() if line.startswith("FAIL ")]
    assert failures == build_failures()
    assert result.returncode == (1 if failures else 0)
    if not failures:
        assert result.stdout.strip() == "check passed (runtime)"


def test_cli_check_with_invalid_settings_names_the_variable(tmp_path):
    result = _run_check([], _cli_env(REDIS_URL="localhost:6379", DATA_DIR=str(tmp_path / "data")), tmp_path)
    assert result.returncode != 0
    assert ("error: invalid setting REDIS_URL: must start with redis://, rediss:// or unix:// (1 error(s))"
            in result.stderr.splitlines())
