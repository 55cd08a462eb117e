"""Reports from the database, one face over three modules: the month's figures
(`report_queries`), the calendar facts kept on cases (`calendar_facts`) and the export's
rows (`export_rows`)."""

from .calendar_facts import facts_unknown, refresh_calendar_facts, refresh_calendar_facts_around
from .export_rows import export_rows
from .report_queries import case_facts, monthly_report, received_facts

__all__ = [
    "case_facts",
    "export_rows",
    "facts_unknown",
    "monthly_report",
    "received_facts",
    "refresh_calendar_facts",
    "refresh_calendar_facts_around",
]
