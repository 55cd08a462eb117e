"""Whether the database is at the migrations' head, without importing Alembic.

Importing Alembic and loading its script directory costs about 0.3 s, on every start, to
learn that there is nothing to do. So the revision files are read for their head first (a
dozen lines of syntax, no imports) and compared with the database's `alembic_version`;
whenever either answer is not a plain single revision, Alembic decides.
"""

from __future__ import annotations

import ast
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from mediation.deadlines import DeadlinePolicy

MIGRATION_VERSIONS = Path(__file__).with_name("migrations") / "versions"
_BRANCHING_NAMES = ("branch_labels", "depends_on")
_REVISION_NAMES = frozenset({"revision", "down_revision", *_BRANCHING_NAMES})


async def ensure_schema_at_head(
    engine: AsyncEngine,
    *,
    deadline_policy: DeadlinePolicy | None = None,
    timezone: ZoneInfo | None = None,
) -> None:
    """Run the Alembic chain unless the database is already at its head (the deadline
    settings are for migrations that judge existing cases: `storage.migrate`)."""
    head = head_revision(MIGRATION_VERSIONS)
    if head is not None and await database_revisions(engine) == {head}:
        return
    from .migrate import upgrade_to_head  # imports Alembic

    await upgrade_to_head(engine, deadline_policy=deadline_policy, timezone=timezone)


def head_revision(versions: Path) -> str | None:
    """The one head of the revision files' chain; None when that is not certain."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in sorted(versions.glob("*.py")):
        values = _module_constants(path)
        if values is None or any(values.get(name) is not None for name in _BRANCHING_NAMES):
            return None  # branches and cross-dependencies: Alembic's own rules apply
        revision, down = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str) or revision in revisions:
            return None
        revisions.add(revision)
        if isinstance(down, str):
            parents.add(down)
        elif isinstance(down, tuple) and all(isinstance(item, str) for item in down):
            parents.update(down)
        elif down is not None:
            return None
    heads = revisions - parents
    if len(heads) != 1 or not parents <= revisions:
        return None
    return heads.pop()


def _module_constants(path: Path) -> dict[str, object] | None:
    """Top-level `name = literal` assignments of a revision file; None if it cannot be read."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return None
    values: dict[str, object] = {}
    for node in tree.body:
        target = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id in _REVISION_NAMES:
            try:
                values[target.id] = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                return None
    return values


async def database_revisions(engine: AsyncEngine) -> set[str] | None:
    """The revisions recorded in `alembic_version`; None without that table."""
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
            return {str(row[0]) for row in rows}
    except SQLAlchemyError:
        return None
