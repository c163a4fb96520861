"""The accounts a key may use (the vendor's `GET /voice/api/v1/admin/accounts`)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from leadstate.api.auth import ACCOUNTS_PATH, AnyKey
from leadstate.api.deps import LeadsDep
from leadstate.api.routers import API_ERRORS
from leadstate.persistence.apikeys import ALL_ACCOUNTS

router = APIRouter(tags=["Keys"], responses=API_ERRORS)


class Account(BaseModel):
    """One account, as the vendor's account objects show it."""

    accountId: str = Field(description="The account id, as a string (SDKs put it in paths).")
    accountName: str = Field(description="The account's name (its id: accounts are unnamed).")


@router.get(
    ACCOUNTS_PATH,
    operation_id="getAccounts",
    summary="The accounts this key may use",
    response_model=list[Account],
)
def get_accounts(key: AnyKey, leads: LeadsDep) -> list[Account]:
    """An account-bound key: its account (even before it holds data); a key for all
    accounts: every account the store knows, by id. Any valid key (the vendor's SDK
    wrapper reads `[0]["accountId"]` before anything else)."""
    if key.account == ALL_ACCOUNTS:
        ids = [str(account) for account in leads.accounts()]
    else:
        ids = [key.account]
    return [Account(accountId=account, accountName=account) for account in ids]
