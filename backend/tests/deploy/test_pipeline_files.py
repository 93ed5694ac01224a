"""GitHub workflows (actionlint) and Dockerfiles (hadolint, plus the promises the issue makes about them)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

from tests.deploy.tooling import REPO, run, tool

WORKFLOWS = REPO / ".github" / "workflows"
BACKEND_DOCKERFILE = REPO / "backend" / "Dockerfile"
FRONTEND_DOCKERFILE = REPO / "frontend" / "Dockerfile"


def test_actionlint_passes_on_every_workflow() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {path.name for path in files} >= {"ci.yml", "release.yml"}
    result = run([tool("actionlint"), "-no-color", *map(str, files)], cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_would_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / ".github" / "workflows" / "broken.yml"
    broken.parent.mkdir(parents=True)
    broken.write_text("on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    needs: missing\n"
                      "    steps:\n      - run: echo ${{ github.event.nope.title }}\n")
    result = run([tool("actionlint"), "-no-color", str(broken)], cwd=tmp_path)
    assert result.returncode == 1 and "missing" in result.stdout


def test_pull_request_pipeline_runs_lint_then_tests_on_mongo7_then_build() -> None:
    workflow = yaml.safe_load((WORKFLOWS / "ci.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "pull_request" in triggers
    jobs = workflow["jobs"]
    assert jobs["run-tests"]["needs"] == "lint-and-quality" and jobs["build"]["needs"] == "run-tests"
    lint = " ".join(step.get("run", "") for step in jobs["lint-and-quality"]["steps"])
    for command in ("ruff check", "mypy", "npm run lint", "npm run typecheck"):
        assert command in lint, command
    tests = jobs["run-tests"]
    assert tests["services"]["mongo"]["image"] == "mongo:7"
    assert tests["services"]["redis"]["image"] == "redis:7-alpine"
    assert tests["env"]["TESTING"] == "true" and tests["env"]["MONGODB_URI"].startswith("mongodb://127.0.0.1:27017")
    assert any("scripts/test.sh" in step.get("run", "") for step in tests["steps"])
    build = " ".join(str(step) for step in jobs["build"]["steps"])
    assert "cspm check --build" in build and "frontend/Dockerfile" in build and "'context': 'backend'" in build


def test_release_workflow_pushes_both_images_on_tags() -> None:
    workflow = yaml.safe_load((WORKFLOWS / "release.yml").read_text())
    assert workflow[True]["push"]["tags"] == ["v*.*.*"]
    matrix = workflow["jobs"]["images"]["strategy"]["matrix"]["include"]
    assert {entry["file"] for entry in matrix} == {"backend/Dockerfile", "frontend/Dockerfile"}
    push = next(step for step in workflow["jobs"]["images"]["steps"] if step.get("id") == "push")
    assert push["with"]["push"] is True


def test_hadolint_passes_on_both_dockerfiles() -> None:
    result = run([tool("hadolint"), "--no-color", str(BACKEND_DOCKERFILE), str(FRONTEND_DOCKERFILE)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_bad_dockerfile(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN apt-get install nmap\nADD . /app\n")
    result = run([tool("hadolint"), "--no-color", str(bad)])
    assert result.returncode == 1 and "DL3007" in result.stdout


def test_backend_image_pins_scanners_by_version_and_checksum_and_fails_when_broken() -> None:
    text = BACKEND_DOCKERFILE.read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", text, re.M)
    assert stages == ["wheels", "scanners", "runtime"]
    for tool_name in ("TRIVY", "SYFT", "GRYPE"):
        assert re.search(rf"^ARG {tool_name}_VERSION=\d+\.\d+\.\d+$", text, re.M), tool_name
        for arch in ("AMD64", "ARM64"):
            assert re.search(rf"^ARG {tool_name}_SHA256_{arch}=[0-9a-f]{{64}}$", text, re.M), (tool_name, arch)
    assert "sha256sum --check --strict" in text
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"apt-get install [^\n]*\bnmap\b", runtime)
    user = runtime.index("\nUSER 10001:10001")
    check = runtime.index("\nRUN cspm check --build")
    assert runtime.index("pip install --no-index") < user < check  # installed, then checked as the app user
    assert "useradd --system --uid 10001" in runtime
    tools_extra = tomllib.loads((REPO / "backend" / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    sslyze_pin = next(requirement for requirement in tools_extra["tools"] if requirement.startswith("sslyze=="))
    assert f'"{sslyze_pin}"' in text  # the image's sslyze is the version the tests ran


def test_frontend_image_builds_the_spa_and_serves_it_with_the_repo_nginx_config() -> None:
    text = FRONTEND_DOCKERFILE.read_text()
    assert re.search(r"^FROM \$\{NODE_IMAGE\} AS build", text, re.M) and "npm run build" in text
    assert "COPY nginx/templates/ /etc/nginx/cspm-templates/" in text
    assert "COPY --from=build /src/dist/ /usr/share/nginx/html/" in text
    assert 'ENTRYPOINT ["/usr/local/bin/cspm-nginx-entrypoint"]' in text
    ignore = (REPO / "frontend" / "Dockerfile.dockerignore").read_text().split()
    assert ignore[ignore.index("*") + 1:ignore.index("*") + 3] == ["!frontend/", "!nginx/"]
