"""Local stand-ins for Google Cloud and Azure, which cannot be reached from this machine.

Each is a real HTTP(S) server on 127.0.0.1 implementing the documented request and response shapes
the discovery uses, and checking what a real service checks:

- ``GcpStandIn``: Google's OAuth 2.0 token endpoint for service accounts (RFC 7523 JWT bearer grant:
  the assertion's RS256 signature is verified with the key's public half, and its ``iss``, ``aud``,
  ``scope`` and ``exp``), and Cloud Asset Inventory ``GET /v1/{parent}/assets`` (``contentType``,
  repeated ``assetTypes``, ``pageSize``/``pageToken``; 401 without the issued bearer token, 403 for a
  parent the key may not read), https://cloud.google.com/asset-inventory/docs/reference/rest/v1/assets/list.
- ``AzureStandIn`` (HTTPS: azure-identity accepts no other authority): Microsoft Entra ID's OpenID
  configuration and client-credentials token endpoint (401 ``invalid_client``/AADSTS7000215 for a
  wrong secret), and Resource Manager ``GET /subscriptions/{id}/resources`` with ``nextLink`` paging,
  https://learn.microsoft.com/rest/api/resources/resources/list.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import ssl
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.tls_helpers import self_signed

Answer = tuple[int, dict[str, Any]]
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class _JsonServer:
    """A threaded server answering JSON from ``route(method, path, query, form, headers)``."""

    def __init__(self, route: Callable[[str, str, dict[str, list[str]], dict[str, list[str]], dict[str, str]], Answer],
                 context: ssl.SSLContext | None = None) -> None:
        self.requests: list[tuple[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                parts = urlsplit(self.path)
                owner.requests.append((self.command, parts.path))
                status, payload = route(self.command, parts.path, parse_qs(parts.query), parse_qs(body),
                                        {key.lower(): value for key, value in self.headers.items()})
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:  # quiet test output
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class GcpStandIn:
    def __init__(self, key: dict[str, Any]) -> None:
        self.client_email = key["client_email"]
        private = serialization.load_pem_private_key(key["private_key"].encode(), password=None)
        assert isinstance(private, rsa.RSAPrivateKey)
        self.public_key = private.public_key()
        self.tokens: set[str] = set()
        self.assets: dict[str, list[dict[str, Any]]] = {}
        """Parent ("projects/p") → its assets, in the API's shape."""
        self.http = _JsonServer(self._route)
        self.url = self.http.url
        self.token_uri = f"{self.url}/token"

    def key_for(self, key: dict[str, Any]) -> dict[str, Any]:
        """The service-account key, with its token endpoint here."""
        return {**key, "token_uri": self.token_uri}

    def _grant(self, form: dict[str, list[str]]) -> Answer:
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return 400, {"error": "unsupported_grant_type"}
        try:
            header, claims, signature = form["assertion"][0].split(".")
            self.public_key.verify(_b64decode(signature), f"{header}.{claims}".encode(), padding.PKCS1v15(),
                                   hashes.SHA256())
            payload = json.loads(_b64decode(claims))
        except Exception:  # any malformed or forged assertion is Google's invalid_grant
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
        # Google expects its own token endpoint as the audience, whichever URL the assertion is posted to.
        if payload.get("iss") != self.client_email or payload.get("aud") != GOOGLE_TOKEN_AUDIENCE \
                or "https://www.googleapis.com/auth/cloud-platform" not in str(payload.get("scope")) \
                or payload.get("exp", 0) < time.time():
            return 400, {"error": "invalid_grant", "error_description": "Invalid JWT claims."}
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}

    def _list(self, parent: str, query: dict[str, list[str]], headers: dict[str, str]) -> Answer:
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return 401, {"error": {"code": 401, "status": "UNAUTHENTICATED",
                                   "message": "Request had invalid authentication credentials."}}
        if parent not in self.assets:
            return 403, {"error": {"code": 403, "status": "PERMISSION_DENIED",
                                   "message": f"The caller does not have permission on {parent}"}}
        if query.get("contentType") != ["RESOURCE"]:
            return 400, {"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": "contentType"}}
        wanted = set(query.get("assetTypes", []))
        listed = [asset for asset in self.assets[parent] if not wanted or asset["assetType"] in wanted]
        start = int(query.get("pageToken", ["0"])[0])
        size = int(query.get("pageSize", ["100"])[0])
        page: dict[str, Any] = {"assets": listed[start:start + size], "readTime": dt.datetime.now(dt.UTC).isoformat()}
        if start + size < len(listed):
            page["nextPageToken"] = str(start + size)
        return 200, page

    def _route(self, method: str, path: str, query: dict[str, list[str]], form: dict[str, list[str]],
               headers: dict[str, str]) -> Answer:
        if method == "POST" and path == "/token":
            return self._grant(form)
        if method == "GET" and path.startswith("/v1/") and path.endswith("/assets"):
            return self._list(path.removeprefix("/v1/").removesuffix("/assets"), query, headers)
        return 404, {"error": {"code": 404, "status": "NOT_FOUND"}}

    def stop(self) -> None:
        self.http.stop()


def gcp_asset(project: str, asset_type: str, name: str, data: dict[str, Any], location: str) -> dict[str, Any]:
    service, kind = asset_type.split("/")
    collection = {"Instance": "instances", "Firewall": "firewalls", "Bucket": "buckets"}.get(kind, kind.lower())
    full_name = f"//{service}/projects/{project}/{collection}/{name}" if kind != "Bucket" \
        else f"//{service}/{name}"
    return {"name": full_name, "assetType": asset_type,
            "resource": {"version": "v1", "discoveryName": kind, "location": location,
                         "parent": f"//cloudresourcemanager.googleapis.com/projects/{project}",
                         "data": {"name": name, **data}}}


def self_signed_tls(directory: Path) -> tuple[Path, ssl.SSLContext]:
    """The server context with a certificate for 127.0.0.1, and the file a client is told to trust
    (SSL_CERT_FILE, REQUESTS_CA_BUNDLE)."""
    certificate_file, key_file, _ = self_signed(directory, "cspm test stand-in")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate_file, key_file)
    return certificate_file, context


class AzureStandIn:
    def __init__(self, tls: ssl.SSLContext, tenant_id: str, client_id: str, client_secret: str) -> None:
        self.tenant_id, self.client_id, self.client_secret = tenant_id, client_id, client_secret
        self.tokens: set[str] = set()
        self.resources: dict[str, list[dict[str, Any]]] = {}
        """Subscription id → its resources, in Resource Manager's shape."""
        self.page_size = 2
        self.http = _JsonServer(self._route, tls)
        self.url = self.http.url

    def _openid_configuration(self) -> dict[str, Any]:
        base = f"{self.url}/{self.tenant_id}"
        return {"token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize", "issuer": f"{base}/v2.0",
                "token_endpoint_auth_methods_supported": ["client_secret_post"]}

    def _token(self, form: dict[str, list[str]]) -> Answer:
        if form.get("grant_type") != ["client_credentials"] or form.get("client_id") != [self.client_id]:
            return 400, {"error": "unauthorized_client", "error_description": "AADSTS700016: Application not found."}
        if form.get("client_secret") != [self.client_secret]:
            return 401, {"error": "invalid_client",
                         "error_description": "AADSTS7000215: Invalid client secret provided."}
        if not form.get("scope", [""])[0].endswith("/.default"):
            return 400, {"error": "invalid_scope", "error_description": "AADSTS70011: The provided scope is invalid."}
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        return 200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}

    def _list(self, subscription: str, query: dict[str, list[str]], headers: dict[str, str]) -> Answer:
        if headers.get("authorization", "").removeprefix("Bearer ") not in self.tokens:
            return 401, {"error": {"code": "InvalidAuthenticationToken", "message": "The access token is invalid."}}
        if subscription not in self.resources:
            return 404, {"error": {"code": "SubscriptionNotFound",
                                   "message": f"The subscription '{subscription}' could not be found."}}
        start = int(query.get("$skiptoken", ["0"])[0])
        items = self.resources[subscription]
        page: dict[str, Any] = {"value": items[start:start + self.page_size]}
        if start + self.page_size < len(items):
            page["nextLink"] = (f"{self.url}/subscriptions/{subscription}/resources?api-version=2021-04-01"
                                f"&$skiptoken={start + self.page_size}")
        return 200, page

    def _route(self, method: str, path: str, query: dict[str, list[str]], form: dict[str, list[str]],
               headers: dict[str, str]) -> Answer:
        if method == "GET" and path == f"/{self.tenant_id}/v2.0/.well-known/openid-configuration":
            return 200, self._openid_configuration()
        if method == "POST" and path == f"/{self.tenant_id}/oauth2/v2.0/token":
            return self._token(form)
        parts = path.strip("/").split("/")
        if method == "GET" and len(parts) == 3 and parts[0] == "subscriptions" and parts[2] == "resources":
            return self._list(parts[1], query, headers)
        return 404, {"error": {"code": "NotFound", "message": path}}

    def stop(self) -> None:
        self.http.stop()


def azure_resource(subscription: str, group: str, provider_type: str, name: str, location: str,
                   **extra: Any) -> dict[str, Any]:
    return {"id": f"/subscriptions/{subscription}/resourceGroups/{group}/providers/{provider_type}/{name}",
            "name": name, "type": provider_type, "location": location, **extra}
