"""Compose files: valid against the official Compose Specification schema, and hardened as promised.

The schema is compose-spec/compose-spec's schema/compose-spec.json, as vendored (with its Apache-2.0
licence) by the pinned check-jsonschema wheel: pip verifies the file, and upgrading it is a version bump.
"""

from __future__ import annotations

import copy
import json
import re
from importlib import resources
from typing import Any

import jsonschema
import pytest
import yaml

from tests.deploy.tooling import REPO

DEV, PROD, MONITORING = "docker-compose.yml", "docker-compose.prod.yml", "docker-compose.monitoring.yml"
PLATFORM_SERVICES = {"cspm-mongo", "cspm-redis", "cspm-backend", "cspm-worker", "cspm-beat", "cspm-frontend",
                     "cspm-certbot"}


def compose_schema() -> dict[str, Any]:
    vendored = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    schema = json.loads(vendored.read_text())
    assert schema["$id"] == "compose_spec.json" and schema["title"] == "Compose Specification"
    return schema


def load(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / name).read_text())


def validator() -> jsonschema.protocols.Validator:
    schema = compose_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


@pytest.mark.parametrize("name", [DEV, PROD, MONITORING])
def test_compose_file_is_valid_against_the_compose_specification(name: str) -> None:
    errors = sorted(validator().iter_errors(load(name)), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_the_schema_catches_a_mistake() -> None:
    document = copy.deepcopy(load(PROD))
    document["services"]["cspm-backend"]["healthcheck"]["tset"] = ["CMD", "true"]
    document["services"]["cspm-redis"]["restart"] = ["always"]
    messages = [error.message for error in validator().iter_errors(document)]
    assert any("tset" in message for message in messages)
    assert len(messages) >= 2


@pytest.mark.parametrize("name", [DEV, PROD])
def test_platform_services_are_all_there(name: str) -> None:
    assert set(load(name)["services"]) == PLATFORM_SERVICES


@pytest.mark.parametrize("name", [DEV, PROD, MONITORING])
def test_every_service_has_a_healthcheck_restart_policy_and_memory_limit(name: str) -> None:
    for service_name, service in load(name)["services"].items():
        check = service.get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), f"{name}: {service_name} has no healthcheck"
        assert service.get("restart") in ("unless-stopped", "always"), f"{name}: {service_name} restart policy"
        assert service.get("deploy", {}).get("resources", {}).get("limits", {}).get("memory"), \
            f"{name}: {service_name} has no memory limit"


def test_prod_keeps_mongo_and_redis_unreachable_from_outside() -> None:
    document = load(PROD)
    services, networks = document["services"], document["networks"]
    for name in ("cspm-mongo", "cspm-redis"):
        assert "ports" not in services[name], f"{name} publishes a port"
        assert all(networks[network].get("internal") is True for network in services[name]["networks"]), name
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"cspm-frontend"}
    assert sorted(services["cspm-frontend"]["ports"]) == ["443:443", "80:80"]


def test_prod_services_are_hardened() -> None:
    for name, service in load(PROD)["services"].items():
        assert service.get("read_only") is True, f"{name}: root filesystem is writable"
        assert "ALL" in service.get("cap_drop", []), f"{name}: capabilities not dropped"
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        limits = service["deploy"]["resources"]["limits"]
        assert limits.get("cpus") and limits.get("pids"), f"{name}: cpu/pids limits"
        assert service.get("logging", {}).get("options", {}).get("max-size"), f"{name}: unbounded logs"
    services = load(PROD)["services"]
    for name in ("cspm-mongo", "cspm-redis", "cspm-backend", "cspm-worker", "cspm-frontend"):
        assert services[name]["ulimits"]["nofile"]["soft"] >= 64000, name


def test_prod_secrets_come_from_env_and_are_required() -> None:
    text = (REPO / PROD).read_text()
    for name, service in load(PROD)["services"].items():
        for key, value in (service.get("environment") or {}).items():
            if re.search(r"PASSWORD|SECRET|_KEYS?$|URI$|URL$", key):
                assert str(value).startswith("${"), f"{name}: {key} is a literal, not taken from .env"
    for variable in ("MONGO_ROOT_PASSWORD", "MONGO_APP_PASSWORD", "REDIS_PASSWORD", "DOMAIN"):
        assert re.search(r"\$\{" + variable + r":\?", text), f"{variable} is not required"
    backend = load(PROD)["services"]["cspm-backend"]
    assert backend["env_file"][0]["path"] == ".env" and backend["env_file"][0]["required"] is True


def test_backend_healthcheck_and_worker_docker_access() -> None:
    for name in (DEV, PROD):
        services = load(name)["services"]
        assert "/api/health" in " ".join(services["cspm-backend"]["healthcheck"]["test"])
        assert "/var/run/docker.sock:/var/run/docker.sock" in services["cspm-worker"]["volumes"]
        for other in ("cspm-backend", "cspm-beat", "cspm-frontend"):
            assert not any("docker.sock" in str(v) for v in services[other].get("volumes", [])), other
        assert services["cspm-worker"]["environment"]["WORKER_METRICS_PORT"] == "9101"


@pytest.mark.parametrize("name", [DEV, PROD, MONITORING])
def test_images_are_pinned_and_referenced_files_exist(name: str) -> None:
    for service_name, service in load(name)["services"].items():
        image = service["image"]
        if "build" in service:
            build = service["build"]
            context = REPO / (build["context"] if isinstance(build, dict) else build)
            dockerfile = context / (build.get("dockerfile", "Dockerfile") if isinstance(build, dict) else "Dockerfile")
            assert dockerfile.is_file(), f"{service_name}: {dockerfile} missing"
        else:
            assert re.search(r":[\w.-]+$", image) and not image.endswith(":latest"), f"{service_name}: {image}"
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("./"):
                assert (REPO / source).exists(), f"{service_name}: {source} missing"


def test_monitoring_joins_the_platform_data_network() -> None:
    prod, monitoring = load(PROD), load(MONITORING)
    assert monitoring["networks"]["cspm_data"]["external"] is True
    assert prod["networks"]["data"]["name"] == "cspm_data"
    assert "cspm_data" in monitoring["services"]["cspm-prometheus"]["networks"]
