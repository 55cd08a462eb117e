"""Import python-wechaty 0.10.7 through here: it does not import cleanly as released.

Everything this module does happens once, at import, and must happen before the first
`import wechaty` anywhere in the process — so other modules take wechaty's names from here.

- Python 3.11 refuses a dataclass field whose default is an unhashable instance.
  `WechatyOptions.puppet_options` defaults to a `PuppetOptions()` instance, and
  `PuppetOptions` is an eq-dataclass, so its `__hash__` is None and `import wechaty` raises
  ValueError. Giving it identity hashing is what Python < 3.11 effectively allowed.
  (Also needed, and pinned in pyproject.toml: pyee<12 and urllib3<2.)
- wechaty evaluates `CACHE_DIR` at import time (default: `./.wechaty` in the working
  directory, created on import) for a plugin job store. The gateway never starts wechaty's
  plugin manager and hands it a memory-only scheduler, so nothing is ever written there;
  only the empty directory is created. It goes to a temporary directory instead of the
  current one unless the operator set CACHE_DIR.
- wechaty's loggers do not propagate: each prints to stderr itself, at INFO by default,
  including message texts and, on every connect, the service token. They print errors
  only unless the operator sets WECHATY_LOG (e.g. WECHATY_LOG=info while debugging).
- Importing wechaty warns about `telnetlib` and pyee's moved `AsyncIOEventEmitter`; those
  two warnings are silenced for the import alone (wechaty's own code, nothing to act on).
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

os.environ.setdefault("CACHE_DIR", str(Path(tempfile.gettempdir()) / "tiaojie-wechaty-cache"))
os.environ.setdefault("WECHATY_LOG", "error")

from wechaty_puppet.schemas.puppet import PuppetOptions

PuppetOptions.__hash__ = object.__hash__  # type: ignore[assignment,method-assign]

with warnings.catch_warnings():
    for moved in ("'telnetlib' is deprecated", "pyee.AsyncIOEventEmitter has been moved"):
        warnings.filterwarnings("ignore", message=moved, category=DeprecationWarning)
    from wechaty import Wechaty, WechatyOptions
    from wechaty_grpc.wechaty import PuppetStub
    from wechaty_puppet import (
        EventLoginPayload,
        EventLogoutPayload,
        EventMessagePayload,
        EventRoomJoinPayload,
        EventScanPayload,
        FileBox,
        MessageType,
        WechatyPuppetError,
    )
    from wechaty_puppet_service import PuppetService

__all__ = [
    "EventLoginPayload",
    "EventLogoutPayload",
    "EventMessagePayload",
    "EventRoomJoinPayload",
    "EventScanPayload",
    "FileBox",
    "MessageType",
    "PuppetOptions",
    "PuppetService",
    "PuppetStub",
    "Wechaty",
    "WechatyOptions",
    "WechatyPuppetError",
]
