"""The service layer: one incoming message in, case changes and replies out."""

from .batch import BatchMemory
from .context import HandlerConfig, HandlerContext, Services
from .pipeline import Handled, handle_message, prepare_batch, room_needs_recording
from .router import Route, RouteKind, first_cut

__all__ = [
    "BatchMemory",
    "Handled",
    "HandlerConfig",
    "HandlerContext",
    "Route",
    "RouteKind",
    "Services",
    "first_cut",
    "handle_message",
    "prepare_batch",
    "room_needs_recording",
]
