"""Which database a test runs on: a fresh SQLite file, and PostgreSQL too when one is set up.

`TIAOJIE_TEST_DATABASE_URL` names a PostgreSQL server the tests may create databases on
(`.ci/postgres.sh` starts one and prints its URL). In the modules listed in `BOTH_DATABASES`
every test that starts a bot runs twice, as `[sqlite]` and `[postgresql]`; without the
variable the `[postgresql]` variant is skipped with the reason shown. Every PostgreSQL test
gets a database of its own, copied from a migrated template (much faster than running the
migrations each time) and dropped afterwards. `TIAOJIE_TEST_BOTH_DATABASES` adds modules
(comma-separated short names) or `all`, to try the rest of the suite on PostgreSQL too.

The bot reads its database from `TIAOJIE_DATABASE_URL`, so the PostgreSQL variant sets that
variable for the test: it reaches every `Settings()` the test builds, including the
`settings` fixtures some modules define for themselves and `tiaojie` subprocesses that
inherit the environment. The SQLite variant leaves it unset: the bot then uses a fresh file
in the test's own data directory, exactly as before.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import URL, make_url

TEST_DATABASE_URL_VARIABLE = "TIAOJIE_TEST_DATABASE_URL"
# Comma-separated extra modules to run on both databases, or `all`.
EXTRA_MODULES_VARIABLE = "TIAOJIE_TEST_BOTH_DATABASES"
SKIP_REASON = (
    f"no PostgreSQL server configured: set {TEST_DATABASE_URL_VARIABLE} "
    "(`.ci/postgres.sh` starts one on loopback and prints the URL)"
)
SQLITE = "sqlite"
POSTGRESQL = "postgresql"

# Modules whose bot-driven tests run on both databases.
BOTH_DATABASES = frozenset(
    {
        "test_message_path",
        "test_mediation_conversations",
        "test_intake",
        "test_commands",
        "test_flood_control",
        "test_outbox_delivery",
        "test_erasure",
        "test_unsure_and_corrections",
    }
)
# Tests in those modules that look inside the SQLite file itself.
SQLITE_ONLY = frozenset({"test_erase_command_erases_one_case_on_a_consumers_request"})

T = TypeVar("T")


def postgres_server_url() -> str | None:
    """The configured PostgreSQL server (`postgresql+asyncpg://…`), or None."""
    url = os.environ.get(TEST_DATABASE_URL_VARIABLE, "").strip()
    return url or None


def modules_on_both() -> frozenset[str] | None:
    """The modules whose bot tests run on both databases; None means every module."""
    extra = {name.strip() for name in os.environ.get(EXTRA_MODULES_VARIABLE, "").split(",")}
    if "all" in extra:
        return None
    return BOTH_DATABASES | {name for name in extra if name}


def runs_on_both(module_name: str, function_name: str, fixture_names: list[str]) -> bool:
    modules = modules_on_both()
    short_name = module_name.rsplit(".", 1)[-1]
    return (
        (modules is None or short_name in modules)
        and function_name not in SQLITE_ONLY
        and "settings" in fixture_names
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "database_backend" not in metafunc.fixturenames:
        return
    if not runs_on_both(
        metafunc.module.__name__, metafunc.function.__name__, list(metafunc.fixturenames)
    ):
        return
    skip = pytest.mark.skipif(postgres_server_url() is None, reason=SKIP_REASON)
    metafunc.parametrize(
        "database_backend", [SQLITE, pytest.param(POSTGRESQL, marks=skip)], indirect=True
    )


def _blocking(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a private loop in a worker thread.

    Fixtures call this while pytest-asyncio owns the main thread's loop, so the admin
    connection never touches the test's own event loop.
    """
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = asyncio.run(coroutine)
        except BaseException as error:  # handed to the caller below
            outcome["error"] = error

    worker = threading.Thread(target=run, name="postgres-admin")
    worker.start()
    worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


class PostgresDatabases:
    """Creates and drops throwaway databases on the test server.

    The first database of a session builds a template by running the Alembic chain once;
    every database after that is `CREATE DATABASE … TEMPLATE` of it.
    """

    def __init__(self, server_url: str) -> None:
        self.server_url: URL = make_url(server_url)
        prefix = f"tiaojie_t{os.getpid()}"
        self.template = f"{prefix}_template"
        self._prefix = prefix
        self._numbers = itertools.count(1)
        self._template_ready = False

    def url_of(self, database: str) -> str:
        return self.server_url.set(database=database).render_as_string(hide_password=False)

    def create(self) -> str:
        """A fresh, migrated database; returns its `postgresql+asyncpg://` URL."""
        if not self._template_ready:
            _blocking(self._build_template())
            self._template_ready = True
        name = f"{self._prefix}_{next(self._numbers)}"
        _blocking(self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"'))
        return self.url_of(name)

    def drop(self, url: str) -> None:
        _blocking(self._drop(make_url(url).database))

    def close(self) -> None:
        if self._template_ready:
            _blocking(self._drop(self.template))
            self._template_ready = False

    async def _drop(self, name: str | None) -> None:
        """FORCE ends the test's leftover sessions, but not an autovacuum worker that has just
        started on the database (a server process the test role may not end): wait for it."""
        from asyncpg.exceptions import InsufficientPrivilegeError
        from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_fixed

        async for attempt in AsyncRetrying(
            retry=retry_if_exception_type(InsufficientPrivilegeError),
            wait=wait_fixed(0.2),
            stop=stop_after_delay(30),
            reraise=True,
        ):
            with attempt:
                await self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    async def _build_template(self) -> None:
        # imported here: only PostgreSQL runs need the application's storage layer at all
        from storage.db import create_engine
        from storage.migrate import upgrade_to_head

        await self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        await self._execute(f'CREATE DATABASE "{self.template}"')
        engine = create_engine(self.url_of(self.template))
        try:
            await upgrade_to_head(engine)
        finally:
            await engine.dispose()

    async def _execute(self, statement: str) -> None:
        import asyncpg

        dsn = self.server_url.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(dsn)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    """The session's database maker; skips the test when no server is configured."""
    server = postgres_server_url()
    if server is None:
        pytest.skip(SKIP_REASON)
    databases = PostgresDatabases(server)
    yield databases
    databases.close()


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test (dropped afterwards)."""
    url = postgres_databases.create()
    try:
        yield url
    finally:
        postgres_databases.drop(url)


on_postgresql = pytest.mark.skipif(postgres_server_url() is None, reason=SKIP_REASON)


@pytest.fixture(params=[SQLITE, pytest.param(POSTGRESQL, marks=on_postgresql)])
def each_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """For a test that opens its own engines: on SQLite the URL of a new file (no schema
    yet), on PostgreSQL that of a fresh database migrated to head."""
    if request.param == SQLITE:
        return f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def database_backend(request: pytest.FixtureRequest) -> str:
    """`sqlite` unless `pytest_generate_tests` made this test run on PostgreSQL too."""
    return str(getattr(request, "param", SQLITE))


@pytest.fixture(autouse=True)
def database_url(
    database_backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str | None]:
    """The URL the test's bot uses: None means the default SQLite file in its data directory."""
    if database_backend != POSTGRESQL:
        yield None
        return
    url = request.getfixturevalue("postgres_url")
    monkeypatch.setenv("TIAOJIE_DATABASE_URL", url)
    yield url
