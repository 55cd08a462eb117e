"""The browser sandbox gateway: a group chat with no WeChat."""

from .gateway import SANDBOX_STAFF_ID, SandboxFaults, SandboxGateway
from .http import sandbox_router

__all__ = ["SANDBOX_STAFF_ID", "SandboxFaults", "SandboxGateway", "sandbox_router"]
