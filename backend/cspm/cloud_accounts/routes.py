"""Cloud accounts API (/api/cloud-accounts): team-scoped; credentials go in, never out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from cspm.auth.dependencies import Principal, require_permission
from cspm.cloud_accounts.models import (
    CloudAccountCreate,
    CloudAccountOut,
    CloudAccountUpdate,
    CloudProvider,
    ConnectionTest,
)
from cspm.cloud_accounts.service import CloudAccountService
from cspm.core.dependencies import service

router = APIRouter(tags=["cloud-accounts"])

Accounts = Annotated[CloudAccountService, Depends(service(CloudAccountService))]
Reader = Annotated[Principal, Depends(require_permission("targets:read"))]
Writer = Annotated[Principal, Depends(require_permission("targets:write"))]
AccountId = Annotated[str, Path(min_length=24, max_length=24)]


@router.get("")
async def list_cloud_accounts(principal: Reader, accounts: Accounts,
                              provider: Annotated[CloudProvider | None, Query()] = None) -> list[CloudAccountOut]:
    """Lists the active team's cloud accounts."""
    return await accounts.list(team_id=principal.team, provider=provider)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_cloud_account(body: CloudAccountCreate, principal: Writer, accounts: Accounts) -> CloudAccountOut:
    """Creates a cloud account; its credentials are stored encrypted and never returned."""
    return await accounts.create(team_id=principal.team, user_id=principal.user_id, request=body)


@router.get("/{account_id}")
async def get_cloud_account(account_id: AccountId, principal: Reader, accounts: Accounts) -> CloudAccountOut:
    """Shows one cloud account (without credentials)."""
    return await accounts.get(team_id=principal.team, account_id=account_id)


@router.patch("/{account_id}")
async def update_cloud_account(account_id: AccountId, body: CloudAccountUpdate, principal: Writer,
                               accounts: Accounts) -> CloudAccountOut:
    """Renames, enables or disables a cloud account."""
    return await accounts.update(team_id=principal.team, account_id=account_id, changes=body)


@router.put("/{account_id}/credentials")
async def replace_cloud_account_credentials(account_id: AccountId, body: CloudAccountCreate, principal: Writer,
                                            accounts: Accounts) -> CloudAccountOut:
    """Replaces a cloud account's credentials (same provider); the last test result is cleared."""
    return await accounts.replace_credentials(team_id=principal.team, account_id=account_id, request=body)


@router.delete("/{account_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_cloud_account(account_id: AccountId, principal: Writer, accounts: Accounts) -> Response:
    """Deletes a cloud account and its stored credentials."""
    await accounts.delete(team_id=principal.team, account_id=account_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{account_id}/test")
async def test_cloud_account(account_id: AccountId, principal: Writer, accounts: Accounts) -> ConnectionTest:
    """Tests the connection with the provider's SDK and records the outcome."""
    return await accounts.test_connection(team_id=principal.team, account_id=account_id)
