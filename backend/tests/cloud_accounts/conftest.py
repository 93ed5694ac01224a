from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.server import ThreadedMotoServer

from cspm.cloud_accounts.service import CloudAccountService
from cspm.cloud_accounts.settings import CloudAccountSettings

MOTO_ACCOUNT = "123456789012"  # moto's default account id
SECRET_KEY = "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEY1"


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def dead_endpoint() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def use_endpoint(container):
    """Point the cloud accounts module's AWS SDK calls at `endpoint` (moto or a dead port)."""

    def configure(endpoint: str | None) -> CloudAccountService:
        container.override(CloudAccountSettings,
                           CloudAccountSettings(aws_endpoint_url=endpoint, test_timeout_seconds=5))
        container.override(CloudAccountService, CloudAccountService.build(container))
        return container.resolve(CloudAccountService)

    return configure


@pytest.fixture(scope="session")
def gcp_key() -> str:
    """A well-formed service-account key with a fresh RSA key (Google has never seen it)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    return json.dumps({
        "type": "service_account", "project_id": "cspm-test-project", "private_key_id": "0" * 40,
        "private_key": pem, "client_email": "scanner@cspm-test-project.iam.gserviceaccount.com",
        "client_id": "104857600000000000000", "token_uri": "https://oauth2.googleapis.com/token",
    })


def aws_keys(name: str = "prod", account_id: str = MOTO_ACCOUNT) -> dict:
    return {"provider": "aws", "name": name, "account_id": account_id, "auth_method": "access_keys",
            "access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": SECRET_KEY, "regions": ["us-east-1"]}


def moto_iam_user(endpoint: str) -> tuple[str, str]:
    """A real access key pair for an IAM user created in moto."""
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    name = f"cspm-scanner-{uuid.uuid4().hex[:8]}"  # moto's state is per process, shared by every server
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]
