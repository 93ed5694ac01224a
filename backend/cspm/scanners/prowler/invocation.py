"""Prowler: cloud posture of an AWS account, GCP projects or Azure subscriptions (OCSF JSON).

The target is a cloud account; its options (filled by the cloud accounts module) carry
the non-secret identifiers: ``provider`` (aws, gcp, azure), ``regions``/``services``
(comma lists), ``role_arn`` + ``external_id`` (AWS role), ``project_ids`` /
``organization_id`` (GCP), ``tenant_id`` + ``subscription_ids`` (Azure). Credentials
arrive as environment variables only (``BuildContext.credentials``: AWS keys,
``GOOGLE_APPLICATION_CREDENTIALS`` naming a key file in the job's secrets directory,
``AZURE_CLIENT_ID``/``AZURE_CLIENT_SECRET``/``AZURE_TENANT_ID``), never on the command line.
Prowler exits 3 when checks failed: a complete result, not a crash.
"""

from __future__ import annotations

import re

from cspm.scanners.base import DockerInvocation, LocalInvocation, Target, TargetKind
from cspm.scanners.invocations import (
    CONTAINER_OUTPUT,
    BuildContext,
    InvocationError,
    ToolInvocationSpec,
    container_credentials,
    safe_argument,
)

OUTPUT_NAME = "prowler"
REPORT_NAME = f"{OUTPUT_NAME}.ocsf.json"
OK_EXIT_CODES = frozenset({0, 3})
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_LIST_ITEM = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")


def _items(value: str | None, pattern: re.Pattern[str], what: str) -> list[str]:
    items = [item.strip() for item in (value or "").split(",") if item.strip()]
    for item in items:
        if not pattern.match(item):
            raise InvocationError(f"invalid {what}: {item[:80]!r}")
    return items


def provider_arguments(target: Target) -> list[str]:
    options = target.options
    provider = options.get("provider", "")
    if provider == "aws":
        arguments = ["aws"]
        if regions := _items(options.get("regions"), _LIST_ITEM, "AWS region"):
            arguments += ["-f", *regions]
        if role_arn := options.get("role_arn"):
            if not _ROLE_ARN.match(role_arn):
                raise InvocationError(f"invalid IAM role ARN {role_arn[:120]!r}")
            arguments += ["--role", role_arn]
            if external_id := options.get("external_id"):
                arguments += ["--external-id", safe_argument(external_id, "external id")]
    elif provider == "gcp":
        arguments = ["gcp"]
        if projects := _items(options.get("project_ids"), _GCP_PROJECT, "GCP project id"):
            arguments += ["--project-id", *projects]
        if organization := options.get("organization_id"):
            if not organization.isdigit():
                raise InvocationError(f"invalid GCP organization id {organization[:40]!r}")
            arguments += ["--organization-id", organization]
    elif provider == "azure":
        tenant = options.get("tenant_id", "")
        if not _GUID.match(tenant):
            raise InvocationError("an Azure scan needs the tenant id (a GUID)")
        arguments = ["azure", "--sp-env-auth", "--tenant-id", tenant]
        if subscriptions := _items(options.get("subscription_ids"), _GUID, "Azure subscription id"):
            arguments += ["--subscription-ids", *subscriptions]
    else:
        raise InvocationError(f"unknown cloud provider {provider!r} (aws, gcp, azure)")
    if services := _items(options.get("services"), _LIST_ITEM, "service name"):
        arguments += ["--services", *services]
    return arguments


def _output_arguments(output_dir: str) -> list[str]:
    return ["--output-formats", "json-ocsf", "--output-directory", output_dir, "--output-filename", OUTPUT_NAME,
            "--no-banner", "--no-color", "--log-level", "ERROR"]


def _gcp_credentials_flag(target: Target, env: dict[str, str]) -> list[str]:
    if target.options.get("provider") == "gcp" and (path := env.get("GOOGLE_APPLICATION_CREDENTIALS")):
        return ["--credentials-file", path]
    return []


def build_local(target: Target, context: BuildContext) -> LocalInvocation:
    output = context.workspace.output_dir
    env = dict(context.credentials)
    argv = ("prowler", *provider_arguments(target), *_gcp_credentials_flag(target, env),
            *_output_arguments(str(output)))
    return LocalInvocation(argv=argv, report_path=output / REPORT_NAME, env=env, ok_exit_codes=OK_EXIT_CODES)


def build_docker(target: Target, context: BuildContext) -> DockerInvocation:
    env, mounts = container_credentials(context)
    args = (*provider_arguments(target), *_gcp_credentials_flag(target, env),
            *_output_arguments(str(CONTAINER_OUTPUT)))
    return DockerInvocation(image=context.settings.image_for("prowler"), args=args,
                            report_path=CONTAINER_OUTPUT / REPORT_NAME, env=env, network="bridge",
                            ok_exit_codes=OK_EXIT_CODES, read_only_mounts=mounts)


SPEC = ToolInvocationSpec(
    tool="prowler", target_kinds=frozenset({TargetKind.CLOUD_ACCOUNT}), queue="cloud",
    build_local=build_local, build_docker=build_docker, description="AWS, GCP and Azure posture checks",
)
