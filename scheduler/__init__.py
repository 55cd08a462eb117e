"""Timed work: what runs when (`scheduler/jobs.py`), in APScheduler 3."""

from .jobs import JobSettings, TimedWork, add_jobs, build_scheduler, catch_up, timed_jobs

__all__ = ["JobSettings", "TimedWork", "add_jobs", "build_scheduler", "catch_up", "timed_jobs"]
