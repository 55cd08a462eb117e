"""The chat commands: importing this module declares them all (`handlers/registry.py`).

The modules are imported in the order `/help` lists their commands.
"""

from . import (
    case_edit_commands,
    corrections,
    group_commands,
    offices,
    programme_commands,
    staff_commands,
)
from .registry import COMMANDS, handle_command

__all__ = [
    "COMMANDS",
    "case_edit_commands",
    "corrections",
    "group_commands",
    "handle_command",
    "offices",
    "programme_commands",
    "staff_commands",
]
