"""Azure discovery: Azure Resource Manager's resource list per subscription, with azure-identity.

The core types (VMs, NSGs, virtual networks, storage accounts, SQL servers, web apps, AKS,
load balancers, key vaults) are kept; ``nextLink`` pagination.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from azure.core.exceptions import AzureError
from azure.identity import ClientSecretCredential

from cspm.core.logging import scrub
from cspm.inventory.models import CollectorReport, DiscoveredResource

MANAGEMENT = "https://management.azure.com"
AUTHORITY = "https://login.microsoftonline.com"
CORE_TYPES = frozenset({
    "microsoft.compute/virtualmachines", "microsoft.network/networksecuritygroups",
    "microsoft.network/virtualnetworks", "microsoft.storage/storageaccounts", "microsoft.sql/servers",
    "microsoft.web/sites", "microsoft.containerservice/managedclusters", "microsoft.network/loadbalancers",
    "microsoft.keyvault/vaults"})
MAX_PAGES = 10_000


def to_resource(item: dict[str, Any], subscription: str) -> DiscoveredResource:
    return DiscoveredResource(
        item["id"], f"azure:{item['type'].lower()}", f"arm:{subscription}", item.get("name"), item.get("location"),
        {key: item[key] for key in ("kind", "sku", "provisioningState", "managedBy") if key in item},
        {str(key): str(value) for key, value in (item.get("tags") or {}).items()})


@dataclass(frozen=True)
class AzureCloud:
    """Which Azure: the public cloud by default; a sovereign cloud or an Azure Stack Hub otherwise."""

    authority_host: str = AUTHORITY
    management_url: str = MANAGEMENT
    instance_discovery: bool = True


class AzureCollector:
    source = "azure-arm"

    def __init__(self, tenant_id: str, client_id: str, client_secret: str, subscriptions: list[str], *,
                 timeout: float, cloud: AzureCloud | None = None) -> None:
        self.credential_parts = (tenant_id, client_id, client_secret)
        self.subscriptions = subscriptions
        self.timeout = timeout
        self.cloud = cloud or AzureCloud()

    def _token(self) -> str:
        # The synchronous credential (requests): azure-identity's aio one needs aiohttp, which the platform
        # does not ship. Its one blocking call runs in a thread.
        credential = ClientSecretCredential(*self.credential_parts, authority=self.cloud.authority_host,
                                            disable_instance_discovery=not self.cloud.instance_discovery)
        try:
            return credential.get_token(f"{self.cloud.management_url.rstrip('/')}/.default").token
        finally:
            credential.close()

    async def _subscription(self, client: httpx.AsyncClient, token: str,
                            subscription: str) -> AsyncIterator[list[DiscoveredResource]]:
        base = self.cloud.management_url.rstrip("/")
        url: str | None = f"{base}/subscriptions/{subscription}/resources?api-version=2021-04-01"
        for _ in range(MAX_PAGES):
            if not url:
                return
            if not url.startswith(f"{base}/"):
                # The bearer token goes to Resource Manager only, whatever a page names as the next one.
                raise RuntimeError(f"nextLink leaves {base}: {url[:100]}")
            response = await client.get(url, headers={"Authorization": f"Bearer {token}"})
            if response.status_code != 200:
                raise RuntimeError(f"Azure Resource Manager answered HTTP {response.status_code}")
            body = response.json()
            yield [to_resource(item, subscription) for item in body.get("value", [])
                   if str(item.get("type", "")).lower() in CORE_TYPES]
            url = body.get("nextLink")

    async def resources(self, report: CollectorReport) -> AsyncIterator[list[DiscoveredResource]]:
        try:
            token = await asyncio.to_thread(self._token)
        except (AzureError, ValueError) as exc:  # ValueError: an authority azure-identity refuses
            for subscription in self.subscriptions:
                report.fail(f"arm:{subscription}", scrub(f"Microsoft Entra ID: {exc}")[:300])
            return
        async with httpx.AsyncClient(timeout=self.timeout) as client:
            for subscription in self.subscriptions:
                scope = f"arm:{subscription}"
                try:
                    async for batch in self._subscription(client, token, subscription):
                        if batch:
                            yield batch
                except (httpx.HTTPError, RuntimeError, ValueError) as exc:
                    report.fail(scope, scrub(f"subscription {subscription}: {type(exc).__name__}: {exc}"))
                else:
                    report.complete_scopes.add(scope)
