"""Reports from the database, as one face over its three parts: the month's figures
(`report_queries`), the calendar facts kept on cases (`calendar_facts`) and the export's
rows (`export_rows`)."""

from .calendar_facts import (
    facts_unknown,
    forget_calendar_facts,
    refresh_calendar_facts,
    refresh_calendar_facts_around,
    store_calendar_facts,
)
from .export_rows import EXPORT_ROWS_AT_ONCE, export_rows
from .report_queries import (
    ReportScope,
    active_in,
    case_facts,
    facts_of,
    in_grid,
    monthly_report,
    received_facts,
    received_in,
)

__all__ = [
    "EXPORT_ROWS_AT_ONCE",
    "ReportScope",
    "active_in",
    "case_facts",
    "export_rows",
    "facts_of",
    "facts_unknown",
    "forget_calendar_facts",
    "in_grid",
    "monthly_report",
    "received_facts",
    "received_in",
    "refresh_calendar_facts",
    "refresh_calendar_facts_around",
    "store_calendar_facts",
]
