"""Group commit: writes that arrive together share one transaction.

Every incoming message must be committed before the platform is told it was received, and
every reply shown in the sandbox is a row too. One transaction per row makes the commit, not
the row, the cost under load. Here the first writer starts a flush; whoever submits while
it runs joins the next one. A lone writer waits for nothing but one turn of the event loop,
and each caller still returns only after its own row is committed.

If a shared transaction fails because of its data, its rows are written again one to a
transaction, so a row that cannot be written fails alone and the others are kept.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

WriteMany = Callable[[Sequence[Item]], Awaitable[Sequence[Result]]]

log = logging.getLogger(__name__)


class GroupCommit(Generic[Item, Result]):
    """`submit` returns what `write_many` returned for the item, once it is committed.

    `write_many(items)` must commit `items` in one transaction and return one result per
    item, in order. At most `max_items` share a transaction. `retry_singly(error)` says
    whether a failed shared write is worth trying again row by row: not when the database
    is locked or away, which would only make every row wait for it once more.
    """

    def __init__(
        self,
        write_many: WriteMany[Item, Result],
        *,
        max_items: int = 500,
        retry_singly: Callable[[Exception], bool] = lambda error: True,
    ) -> None:
        self._write_many = write_many
        self._retry_singly = retry_singly
        self._max_items = max(max_items, 1)
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        (result,) = await self.submit_many([item])
        return result  # a caller that gives up still has its item written

    async def submit_many(self, items: Sequence[Item]) -> list[Result]:
        """`submit` for several items at once: they share a flush (as far as `max_items`
        allows) and are written in this order."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[Result]] = []
        for item in items:
            futures.append(loop.create_future())
            self._waiting.append((item, futures[-1]))
        if futures and (self._flushing is None or self._flushing.done()):
            self._flushing = asyncio.create_task(self._flush_all(), name="group-commit")
        return list(await asyncio.gather(*futures))

    async def finish(self) -> None:
        """Wait until everything submitted so far is written (stopping cleanly)."""
        while self._flushing is not None and not self._flushing.done():
            await asyncio.wait([self._flushing])

    async def _flush_all(self) -> None:
        try:
            await asyncio.sleep(0)  # writers started in the same turn join this flush
            while self._waiting:
                group = self._waiting[: self._max_items]
                del self._waiting[: len(group)]
                await self._flush(group)
        except BaseException as error:  # cancelled (shutting down): nobody is left hanging
            for _, future in self._waiting:
                _settle(future, error=error)
            self._waiting.clear()
            raise

    async def _flush(self, group: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._write_many([item for item, _ in group])
        except Exception as error:
            if len(group) == 1 or not self._retry_singly(error):
                for _, future in group:
                    _settle(future, error=error)
                return
            log.warning("a shared write failed (%s); writing its rows one by one", error)
            for single in group:
                await self._flush([single])
            return
        except BaseException as error:  # cancelled while writing: nobody is left hanging
            for _, future in group:
                _settle(future, error=error)
            raise
        for (_, future), result in zip(group, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future[Result],
    *,
    result: Result | None = None,
    error: BaseException | None = None,
) -> None:
    if future.done():
        return
    if isinstance(error, asyncio.CancelledError):
        future.cancel()
    elif error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]
