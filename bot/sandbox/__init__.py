"""The browser sandbox gateway: a group chat with no WeChat."""

from .gateway import SandboxFaults, SandboxGateway
from .http import sandbox_router

__all__ = ["SandboxFaults", "SandboxGateway", "sandbox_router"]
