"""Concurrent HTTP scoring requests share one engine batch.

The scoring core costs about the same for one event as for a few dozen (one Redis
script call, one model call, one columnar rules pass), so scoring each request alone
caps the endpoint far below the stream's rate. :class:`Coalescer` scores whatever
arrived while the previous batch was being scored as the next batch: an idle server
adds no wait (a lone request is scored at once), a busy one amortises the per-batch
cost over every waiting request. Order is arrival order, as on a partition; the same
transaction id twice in one batch gets one decision (the engine's rule).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from contracts import TransactionEvent
from scoring import Encoded

__all__ = ["Coalescer"]

log = logging.getLogger(__name__)

ScoreBatch = Callable[[Sequence[TransactionEvent]], Awaitable[list[Encoded]]]


class Coalescer:
    """Scores single events in batches of whatever is waiting (at most ``max_batch``)."""

    def __init__(
        self,
        score_batch: ScoreBatch,
        *,
        max_batch: int = 256,
        before_batch: Callable[[], None] = lambda: None,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._score_batch = score_batch
        self._max_batch = max_batch
        self._before_batch = before_batch
        self._waiting: list[tuple[TransactionEvent, asyncio.Future[Encoded]]] = []
        self._runner: asyncio.Task[None] | None = None
        self.batches = 0  # scored so far (the benchmark reports the mean batch size)
        self.events = 0

    async def score(self, event: TransactionEvent) -> Encoded:
        """The event's decision; raises what the batch raised (e.g. ScoringUnavailable)."""
        future: asyncio.Future[Encoded] = asyncio.get_running_loop().create_future()
        self._waiting.append((event, future))
        if self._runner is None:
            self._runner = asyncio.create_task(self._run(), name="score-coalescer")
        return await future

    async def _run(self) -> None:
        try:
            while self._waiting:
                batch = self._waiting[: self._max_batch]
                del self._waiting[: self._max_batch]
                live = [(event, future) for event, future in batch if not future.done()]
                if live:
                    await self._score(live)
                await asyncio.sleep(0)  # let the requests that just arrived join the next
        finally:
            self._runner = None

    async def _score(self, batch: list[tuple[TransactionEvent, asyncio.Future[Encoded]]]) -> None:
        try:
            self._before_batch()
            scored = await self._score_batch([event for event, _ in batch])
        except Exception as exc:  # noqa: BLE001 - every waiting caller gets it
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.events += len(batch)
        for (_, future), item in zip(batch, scored, strict=True):
            if not future.done():  # a caller that went away is skipped
                future.set_result(item)
