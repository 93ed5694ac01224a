"""Team data for the cross-team probe: a cloud account with imported resources, two runs and their changes."""

from __future__ import annotations

from tests.cloud_accounts.conftest import aws_keys
from tests.inventory.steampipe_rows import bucket_rows


async def seed(client, session) -> None:
    account = await client.post("/api/cloud-accounts", headers=session.headers, json=aws_keys("inventory seed"))
    assert account.status_code == 201, account.text
    path = f"/api/inventory/accounts/{account.json()['id']}/import"
    for rows in (bucket_rows("seed-logs", "seed-data"), bucket_rows("seed-logs", versioning=True)):
        imported = await client.post(path, headers=session.headers, data={"resource_type": "aws:s3:bucket"},
                                     files={"file": ("buckets.json", rows, "application/json")})
        assert imported.status_code == 200, imported.text
    assets = (await client.get("/api/inventory/assets", headers=session.headers,
                               params={"include_removed": "true"})).json()
    assert assets["total"] == 2, assets
