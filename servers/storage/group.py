"""Group execution: at most one operation in flight, and everything that arrives meanwhile joins the next.

A LanceDB `add` or query costs about the same for 1 row as for 1,000 (DESIGN.md), so callers from many
concurrent RPCs submit their items here and one background task runs them together: the batch grows with
the load instead of the number of operations.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger("glm3.storage")

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupRunner(Generic[Item, Result]):
    """Runs `operation(items) -> results` (one result per item, same order) over whatever was submitted
    since the previous run. A failed run fails every caller of that run with the exception."""

    def __init__(
        self,
        name: str,
        operation: Callable[[list[Item]], Awaitable[Sequence[Result]]],
        *,
        max_items: int = 10_000,
        after_run: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.name = name
        self._operation = operation
        self._max_items = max_items
        self._after_run = after_run
        self._pending: list[tuple[list[Item], asyncio.Future[list[Result]]]] = []
        self._wakeup = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None
        self._running = False
        self.runs = 0
        self.items = 0
        self.last_batch_size = 0

    @property
    def idle(self) -> bool:
        """Nothing submitted is waiting or running."""
        return not self._pending and not self._running

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=f"glm3-group-{self.name}")

    async def submit(self, items: Sequence[Item]) -> list[Result]:
        """Waits until `items` went through a run; returns their results in order."""
        if not items:
            return []
        # Shielded: a caller that is cancelled does not cancel a run other callers share.
        return await asyncio.shield(self.submit_nowait(items))

    def submit_nowait(self, items: Sequence[Item]) -> asyncio.Future[list[Result]]:
        """Queues `items` for the next run now; the future gets their results (or the run's exception)."""
        if self._closed:
            raise RuntimeError(f"{self.name} is closed")
        future: asyncio.Future[list[Result]] = asyncio.get_running_loop().create_future()
        # A caller cancelled meanwhile never reads a failure; mark it read (the run logged it).
        future.add_done_callback(lambda done: done.cancelled() or done.exception())
        if not items:
            future.set_result([])
            return future
        self._pending.append((list(items), future))
        self._wakeup.set()
        return future

    def _take(self) -> list[tuple[list[Item], asyncio.Future[list[Result]]]]:
        taken: list[tuple[list[Item], asyncio.Future[list[Result]]]] = []
        count = 0
        while self._pending and (not taken or count + len(self._pending[0][0]) <= self._max_items):
            entry = self._pending.pop(0)
            taken.append(entry)
            count += len(entry[0])
        return taken

    async def _loop(self) -> None:
        while True:
            if not self._pending:
                if self._closed:
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            taken = self._take()
            items = [item for entry, _ in taken for item in entry]
            self._running = True
            try:
                results = list(await self._operation(items))
            except Exception as exc:
                log.exception("%s failed for %d items", self.name, len(items))
                for _, future in taken:
                    if not future.done():
                        future.set_exception(exc)
            else:
                self.runs += 1
                self.items += len(items)
                self.last_batch_size = len(items)
                start = 0
                for entry, future in taken:
                    if not future.done():
                        future.set_result(results[start : start + len(entry)])
                    start += len(entry)
            try:
                if self._after_run is not None:
                    await self._after_run()
            except Exception:
                log.exception("%s: maintenance after a run failed", self.name)
            finally:
                self._running = False

    async def close(self) -> None:
        """Runs everything already submitted, then stops. Submitting after close raises."""
        self._closed = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
            self._task = None
