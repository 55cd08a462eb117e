"""HTTP faces of the bot: health, the sandbox page, later the public board and admin API."""

from .app import create_app

__all__ = ["create_app"]
