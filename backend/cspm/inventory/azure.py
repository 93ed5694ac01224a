"""Azure discovery: Azure Resource Manager's resource list per subscription, with azure-identity.

The core types (VMs, NSGs, virtual networks, storage accounts, SQL servers, web apps, AKS,
load balancers, key vaults) are kept; ``nextLink`` pagination.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from azure.core.exceptions import AzureError
from azure.identity.aio import ClientSecretCredential

from cspm.core.logging import scrub
from cspm.inventory.models import CollectorReport, DiscoveredResource

MANAGEMENT = "https://management.azure.com"
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


class AzureCollector:
    source = "azure-arm"

    def __init__(self, tenant_id: str, client_id: str, client_secret: str, subscriptions: list[str], *,
                 timeout: float) -> None:
        self.credential_parts = (tenant_id, client_id, client_secret)
        self.subscriptions = subscriptions
        self.timeout = timeout

    async def _subscription(self, client: httpx.AsyncClient, token: str,
                            subscription: str) -> AsyncIterator[list[DiscoveredResource]]:
        url: str | None = f"{MANAGEMENT}/subscriptions/{subscription}/resources?api-version=2021-04-01"
        for _ in range(MAX_PAGES):
            if not url:
                return
            response = await client.get(url, headers={"Authorization": f"Bearer {token}"})
            if response.status_code != 200:
                raise RuntimeError(f"Azure Resource Manager answered HTTP {response.status_code}")
            body = response.json()
            yield [to_resource(item, subscription) for item in body.get("value", [])
                   if str(item.get("type", "")).lower() in CORE_TYPES]
            url = body.get("nextLink")

    async def resources(self, report: CollectorReport) -> AsyncIterator[list[DiscoveredResource]]:
        credential = ClientSecretCredential(*self.credential_parts)
        try:
            try:
                token = (await credential.get_token(f"{MANAGEMENT}/.default")).token
            except AzureError as exc:
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
        finally:
            await credential.close()
