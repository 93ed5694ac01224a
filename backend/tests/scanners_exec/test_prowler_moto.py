"""Prowler (its own virtualenv in .tools/prowler) against a moto server on 127.0.0.1.

The moto account holds a public S3 bucket and an IAM user with a console password and no
MFA; Prowler must report both, exit 3 ("checks failed") and write OCSF JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer

from cspm.core.tools import locate
from cspm.scanners.base import Target, TargetKind
from cspm.scanners.executors import ExecutionState

from .test_real_tools import parse_with_registered_parser

pytestmark = pytest.mark.slow

DUMMY = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
BUCKET = "cspm-public-bucket"
USER = "no-mfa-user"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    # moto keeps its accounts in process-wide state: start from an empty account whichever
    # module's server ran before.
    httpx.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
    s3 = boto3.client("s3", endpoint_url=endpoint, **DUMMY)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_acl(Bucket=BUCKET, ACL="public-read")
    iam = boto3.client("iam", endpoint_url=endpoint, **DUMMY)
    iam.create_user(UserName=USER)
    iam.create_login_profile(UserName=USER, Password="Fixture-Passw0rd!")
    yield endpoint
    server.stop()


def aws_environment(endpoint: str) -> dict[str, str]:
    return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": endpoint}


async def test_prowler_reports_public_bucket_and_user_without_mfa(runner, moto_endpoint):
    if locate("prowler") is None:
        pytest.fail("prowler is not installed: run scripts/install-prowler.sh (scripts/test.sh does)")
    target = Target(TargetKind.CLOUD_ACCOUNT, "123456789012",
                    {"provider": "aws", "regions": "us-east-1", "services": "s3,iam"})
    run = await runner.run("prowler", target, credentials=aws_environment(moto_endpoint))
    try:
        result = run.result
        assert result.state is ExecutionState.SUCCEEDED, f"{result.reason}\n{result.stderr_tail}"
        assert result.exit_code == 3  # checks failed: a result, not a crash
        assert result.report_path.name == "prowler.ocsf.json"
        results = json.loads(result.report_path.read_text())
        failed = {(item["metadata"]["event_code"], item["resources"][0]["uid"])
                  for item in results if item["status_code"] == "FAIL"}
        assert ("s3_bucket_public_access", f"arn:aws:s3:::{BUCKET}") in failed
        assert ("iam_user_mfa_enabled_console_access", f"arn:aws:iam::123456789012:user/{USER}") in failed
        assert all(item["cloud"]["account"]["uid"] == "123456789012" for item in results)
        findings = parse_with_registered_parser("prowler", result.report_path)
        if findings is not None:
            rules = {(finding.rule_id, finding.resource.id) for finding in findings if finding.result == "fail"}
            assert ("s3_bucket_public_access", f"arn:aws:s3:::{BUCKET}") in rules
    finally:
        run.cleanup()


async def test_prowler_with_wrong_endpoint_fails_with_reason(runner):
    """Credentials that reach nothing: Prowler cannot even identify the account."""
    if locate("prowler") is None:
        pytest.fail("prowler is not installed: run scripts/install-prowler.sh (scripts/test.sh does)")
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    target = Target(TargetKind.CLOUD_ACCOUNT, "123456789012", {"provider": "aws", "regions": "us-east-1",
                                                                "services": "s3"})
    environment = {**aws_environment(dead), "AWS_MAX_ATTEMPTS": "1"}
    run = await runner.run("prowler", target, credentials=environment, timeout=120)
    try:
        assert run.result.state is ExecutionState.FAILED, run.result.reason
        assert run.result.exit_code not in (0, 3)
        assert run.workspace.outputs() == ()
        assert "Could not connect to the endpoint URL" in run.result.stderr_tail + run.result.stdout_tail
    finally:
        run.cleanup()
