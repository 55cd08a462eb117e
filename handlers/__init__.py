"""The service layer: one incoming message in, case changes and replies out."""

from .context import HandlerConfig, HandlerContext, SharedState
from .pipeline import Handled, handle_message, room_needs_recording
from .router import Route, RouteKind, first_cut

__all__ = [
    "Handled",
    "HandlerConfig",
    "HandlerContext",
    "Route",
    "RouteKind",
    "SharedState",
    "first_cut",
    "handle_message",
    "room_needs_recording",
]
