"""Import, off the event loop, the heavy modules a first export or chart would import on it.

Start-up imports them lazily so that the bot is healthy and handling messages sooner. Left
alone, the first `/export` (openpyxl) or the first chart (matplotlib) would then import them
on the event loop and hold every message up for about a second; once messages are being
handled, a thread imports them instead.
"""

from __future__ import annotations

import importlib
import logging

log = logging.getLogger(__name__)

HEAVY_MODULES = (
    "openpyxl",
    "openpyxl.styles",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.font_manager",
)


def import_heavy_modules() -> None:
    for name in HEAVY_MODULES:
        try:
            importlib.import_module(name)
        except Exception as error:  # the first real use reports it properly
            log.warning("warming up %s failed: %s", name, error)
