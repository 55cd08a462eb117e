"""The service layer: one incoming message in, case changes and replies out."""

from .context import HandlerConfig, HandlerContext
from .pipeline import handle_message
from .router import Route, RouteKind, route_message

__all__ = [
    "HandlerConfig",
    "HandlerContext",
    "Route",
    "RouteKind",
    "handle_message",
    "route_message",
]
