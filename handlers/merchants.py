"""Writing the merchant registry: the one way chat commands (`/merchant add`, `/bind`) and
the admin API and the registry import (`handlers.registry_import`) create, change or delete
a merchant.

The registry is also the parser's dictionary, loaded by every process; each write raises
the `merchants` reference version in the caller's transaction, so the change and the
signal to reload it commit together (`storage.reference`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from storage import merchants, reference
from storage.models import Merchant

EDITABLE_FIELDS = (
    "name",
    "aliases",
    "licence_no",
    "address",
    "grid",
    # the street survey's columns (`handlers.registry_import`)
    "street",
    "community",
    "business_status",
    "licences",
    "licence_valid_until",
    "committed",
    "committed_on",
)


class MerchantNameTaken(Exception):
    def __init__(self, name: str, merchant_id: int) -> None:
        super().__init__(f"a merchant named {name!r} exists (id {merchant_id})")
        self.name = name
        self.merchant_id = merchant_id


class MerchantInUse(Exception):
    def __init__(self, cases: int, members: int) -> None:
        super().__init__(f"{cases} cases and {members} members refer to the merchant")
        self.cases = cases
        self.members = members


async def save_merchant(
    session: AsyncSession,
    changes: Mapping[str, object],
    *,
    now: datetime,
    merchant: Merchant | None = None,
    existing_name: Literal["update", "refuse"] = "update",
) -> tuple[Merchant, bool]:
    """Create or change a merchant and raise the reference version; (merchant, created).

    Without `merchant`, the one named `changes["name"]` is changed, or created if there is
    none (`existing_name="refuse"`: MerchantNameTaken instead of changing it). Only the
    fields in `changes` are written; a rename to a taken name raises MerchantNameTaken.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not merchant fields: {sorted(unknown)}")
    values = dict(changes)
    if "name" in values:
        values["name"] = str(values["name"]).strip()
        if not values["name"]:
            raise ValueError("a merchant needs a name")
    if "aliases" in values:
        values["aliases"] = clean_aliases(values["aliases"])  # type: ignore[arg-type]
    if "licences" in values:
        values["licences"] = clean_aliases(values["licences"])  # the same cleaning
    created = False
    if merchant is None:
        name = str(values.get("name", ""))
        if not name:
            raise ValueError("a merchant needs a name")
        merchant = await merchants.by_name(session, name)
        if merchant is not None and existing_name == "refuse":
            raise MerchantNameTaken(name, merchant.id)
        if merchant is None:
            merchant = Merchant(name=name, aliases=[], created_at=now)
            session.add(merchant)
            created = True
    elif "name" in values and values["name"] != merchant.name:
        taken = await merchants.by_name(session, str(values["name"]))
        if taken is not None:
            raise MerchantNameTaken(taken.name, taken.id)
    for field, value in values.items():
        setattr(merchant, field, value)
    await session.flush()
    await reference.bump(session, {"merchants"})
    return merchant, created


async def delete_merchant(session: AsyncSession, merchant: Merchant) -> None:
    """Delete a merchant no case and no member refers to (else MerchantInUse)."""
    cases = await merchants.case_count(session, merchant.id)
    members = await merchants.bound_member_count(session, merchant.id)
    if cases or members:
        raise MerchantInUse(cases, members)
    await session.delete(merchant)
    await session.flush()
    await reference.bump(session, {"merchants"})


def clean_aliases(aliases: object) -> list[str]:
    """Stripped, at most 200 characters each, no blanks, no repeats, in the given order."""
    seen: list[str] = []
    for alias in aliases if isinstance(aliases, list | tuple) else []:
        alias = str(alias).strip()[:200]
        if alias and alias not in seen:
            seen.append(alias)
    return seen
