"""GCP discovery: the Cloud Asset Inventory API (``assets.list``) per project, with google-auth.

One listing per project (or of the organization, when no project is named) returns every core
type (instances, networks, firewalls, buckets, service accounts, Cloud SQL, functions, GKE,
forwarding rules); ``pageToken`` pagination.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

from google.auth import exceptions as google_auth_exceptions
from google.auth.transport.requests import AuthorizedSession
from google.oauth2 import service_account
from requests import RequestException

from cspm.core.logging import scrub
from cspm.inventory.models import CollectorReport, DiscoveredResource

ASSET_API = "https://cloudasset.googleapis.com/v1"
SCOPES = ("https://www.googleapis.com/auth/cloud-platform",)
ASSET_TYPES = ("compute.googleapis.com/Instance", "compute.googleapis.com/Network", "compute.googleapis.com/Firewall",
               "compute.googleapis.com/ForwardingRule", "storage.googleapis.com/Bucket",
               "iam.googleapis.com/ServiceAccount", "sqladmin.googleapis.com/Instance",
               "cloudfunctions.googleapis.com/CloudFunction", "container.googleapis.com/Cluster")
MAX_PAGES = 10_000


def to_resource(asset: dict[str, Any], project: str) -> DiscoveredResource:
    resource = asset.get("resource", {})
    data = resource.get("data", {}) or {}
    kept = {key: data[key] for key in ("status", "machineType", "selfLink", "storageClass", "databaseVersion",
                                       "runtime", "currentMasterVersion", "direction", "sourceRanges", "allowed",
                                       "email", "disabled", "IPAddress", "loadBalancingScheme") if key in data}
    return DiscoveredResource(asset["name"], f"gcp:{asset['assetType']}", f"cloudasset:{project}",
                              data.get("name") or asset["name"].rsplit("/", 1)[-1], resource.get("location"), kept,
                              {str(key): str(value) for key, value in (data.get("labels") or {}).items()})


class GcpCollector:
    source = "gcp-cloud-asset"

    def __init__(self, key: dict[str, Any], projects: list[str], *, timeout: float, batch_size: int,
                 api_url: str = ASSET_API, organization_id: str | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.key = key
        # The named projects; an organization without them is listed whole (assets.list takes either parent).
        self.parents = [f"projects/{project}" for project in projects] or (
            [f"organizations/{organization_id}"] if organization_id else [])
        self.timeout = timeout
        self.batch_size = batch_size

    def _parent(self, session: AuthorizedSession, parent: str) -> Iterator[list[DiscoveredResource]]:
        name = parent.split("/", 1)[1]  # the project id or organisation number the assets are scoped to
        token: str | None = None
        for _ in range(MAX_PAGES):
            params: dict[str, Any] = {"contentType": "RESOURCE", "assetTypes": list(ASSET_TYPES),
                                      "pageSize": min(self.batch_size, 1000)}
            if token:
                params["pageToken"] = token
            response = session.get(f"{self.api_url}/{parent}/assets", params=params, timeout=self.timeout)
            if response.status_code != 200:
                raise RuntimeError(f"Cloud Asset API answered HTTP {response.status_code}: {response.text[:200]}")
            body = response.json()
            yield [to_resource(asset, name) for asset in body.get("assets", [])]
            token = body.get("nextPageToken")
            if not token:
                return

    def _listing(self, report: CollectorReport) -> Iterator[list[DiscoveredResource]]:
        credentials = service_account.Credentials.from_service_account_info(self.key, scopes=list(SCOPES))
        session = AuthorizedSession(credentials)
        for parent in self.parents:
            kind, name = parent.split("/", 1)
            scope = f"cloudasset:{name}"
            try:
                yield from self._parent(session, parent)
            except (google_auth_exceptions.GoogleAuthError, RequestException, RuntimeError, ValueError) as exc:
                report.fail(scope, scrub(f"GCP {kind[:-1]} {name}: {type(exc).__name__}: {exc}"))
            else:
                report.complete_scopes.add(scope)

    async def resources(self, report: CollectorReport) -> AsyncIterator[list[DiscoveredResource]]:
        listing = self._listing(report)
        while (batch := await asyncio.to_thread(next, listing, None)) is not None:
            if batch:
                yield batch
