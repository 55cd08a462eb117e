"""The survey registry (摸排表) in and out of the database: import, export, entries.

`mediation.registry` decides what a sheet means and what importing it would change; this
module loads the registry it compares with and writes what the plan says, every merchant
through `handlers.merchants.save_merchant` (so the parser's reference version is raised in
the same transaction). An import is all or nothing: with any rejected row nothing is
written, unless the caller asks to skip the bad rows. A dry run writes nothing either.
The CLI (`tiaojie merchants import|export`) and `POST /api/merchants/import` share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from mediation import templates as say
from mediation.registry import (
    BusinessStatus,
    ImportPlan,
    RegistryEntry,
    UpsertReport,
    plan_upsert,
)
from storage import merchants
from storage.models import Merchant

from .merchants import save_merchant


@dataclass(frozen=True)
class ImportOutcome:
    report: UpsertReport
    written: bool  # False: a dry run, or rows were rejected and not skipped

    @property
    def exit_code(self) -> int:
        """0 all rows good, 1 rows rejected (the CLI's code 2 is a file it cannot read)."""
        return 0 if self.report.ok else 1

    def text(self, *, dry_run: bool) -> str:
        return import_report_text(self.report, dry_run=dry_run, written=self.written)


def entry_of(merchant: Merchant) -> RegistryEntry:
    """A stored merchant as a registry entry (an unknown stored status reads as unsurveyed)."""
    try:
        status = BusinessStatus(merchant.business_status) if merchant.business_status else None
    except ValueError:
        status = None
    return RegistryEntry(
        name=merchant.name,
        credit_code=merchant.licence_no,
        aliases=tuple(merchant.aliases or ()),
        address=merchant.address,
        street=merchant.street,
        community=merchant.community,
        grid=merchant.grid,
        status=status,
        licences=tuple(merchant.licences or ()),
        licence_valid_until=merchant.licence_valid_until,
        committed=bool(merchant.committed),
        committed_on=merchant.committed_on,
    )


def fields_of(entry: RegistryEntry) -> dict[str, object]:
    """A registry entry as `save_merchant` fields."""
    return {
        "name": entry.name,
        "licence_no": entry.credit_code,
        "aliases": list(entry.aliases),
        "address": entry.address,
        "street": entry.street,
        "community": entry.community,
        "grid": entry.grid,
        "business_status": entry.status.value if entry.status else None,
        "licences": list(entry.licences),
        "licence_valid_until": entry.licence_valid_until,
        "committed": entry.committed,
        "committed_on": entry.committed_on,
    }


async def registry_entries(session: AsyncSession) -> list[tuple[Merchant, RegistryEntry]]:
    return [(merchant, entry_of(merchant)) for merchant in await merchants.all_merchants(session)]


async def import_registry(
    session: AsyncSession,
    plan: ImportPlan,
    *,
    now: datetime,
    dry_run: bool = False,
    skip_bad: bool = False,
) -> ImportOutcome:
    """Compare the sheet with the registry and, unless told not to, write the changes."""
    stored = await registry_entries(session)
    report = plan_upsert(plan, (entry for _, entry in stored))
    if dry_run or (not report.ok and not skip_bad):
        return ImportOutcome(report, written=False)
    by_name = {entry.name: merchant for merchant, entry in stored}
    # renames first go to a name nobody holds; plan_upsert has refused names that are taken
    for update in report.updated:
        await save_merchant(
            session, fields_of(update.after), now=now, merchant=by_name[update.before.name]
        )
    for row in report.added:
        await save_merchant(session, fields_of(row.entry), now=now, existing_name="refuse")
    return ImportOutcome(report, written=True)


def import_report_text(report: UpsertReport, *, dry_run: bool, written: bool) -> str:
    """The Chinese import report: counts, then each rejected row with its reasons."""
    updated = [
        say.registry_row_updated(
            update.row_number, update.after.name, [c.value for c in update.changed]
        )
        for update in report.updated
    ]
    return say.registry_import_report(
        added=len(report.added),
        updated=len(report.updated),
        unchanged=len(report.unchanged),
        rejected=[rejection.message for rejection in report.rejected],
        updated_lines=updated,
        dry_run=dry_run,
        written=written,
    )
