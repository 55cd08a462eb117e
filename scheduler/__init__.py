"""Timed work: deadline sweeps and the monthly summary (APScheduler 3)."""

from .jobs import build_scheduler

__all__ = ["build_scheduler"]
