"""Concurrent requests share a batch; a lone request is scored at once; errors reach all."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from contracts import TransactionEvent
from pipeline.coalesce import Coalescer
from scoring import Encoded
from tests.factories import make_event

pytestmark = pytest.mark.asyncio


class Recorder:
    """A stand-in batch scorer (this is a unit test of the batching, not of scoring)."""

    def __init__(self, *, fail: Exception | None = None, pause_s: float = 0.01) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail
        self.pause_s = pause_s

    async def __call__(self, events: Sequence[TransactionEvent]) -> list[Encoded]:
        self.batches.append([e.transaction_id for e in events])
        await asyncio.sleep(self.pause_s)  # the Redis round trips
        if self.fail is not None:
            raise self.fail
        return [
            Encoded(
                e.transaction_id.encode(),
                transaction_id=e.transaction_id,
                action="approve",
                card_fingerprint=e.card.fingerprint,
            )
            for e in events
        ]


async def test_a_lone_request_is_scored_at_once() -> None:
    scorer = Recorder()
    coalescer = Coalescer(scorer)
    event = make_event()
    result = await asyncio.wait_for(coalescer.score(event), timeout=5)
    assert result.transaction_id == event.transaction_id
    assert scorer.batches == [[event.transaction_id]]


async def test_requests_arriving_during_a_batch_go_together_in_order() -> None:
    scorer = Recorder(pause_s=0.05)
    coalescer = Coalescer(scorer, max_batch=4)
    events = [make_event() for _ in range(7)]
    first = asyncio.create_task(coalescer.score(events[0]))
    await asyncio.sleep(0.01)  # the first batch is in flight
    rest = [asyncio.create_task(coalescer.score(e)) for e in events[1:]]
    results = await asyncio.gather(first, *rest)
    assert [r.transaction_id for r in results] == [e.transaction_id for e in events]
    ids = [e.transaction_id for e in events]
    assert scorer.batches == [ids[:1], ids[1:5], ids[5:]]  # at most max_batch each
    assert (coalescer.batches, coalescer.events) == (3, 7)


async def test_a_failed_batch_fails_every_waiting_request() -> None:
    scorer = Recorder(fail=RuntimeError("redis is down"))
    coalescer = Coalescer(scorer)
    tasks = [asyncio.create_task(coalescer.score(make_event())) for _ in range(3)]
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, RuntimeError) for o in outcomes)
    scorer.fail = None
    assert (await coalescer.score(make_event())).action == "approve"  # and it recovers


async def test_a_caller_that_went_away_does_not_break_the_batch() -> None:
    scorer = Recorder(pause_s=0.05)
    coalescer = Coalescer(scorer)
    busy = asyncio.create_task(coalescer.score(make_event()))
    await asyncio.sleep(0.01)
    gone = asyncio.create_task(coalescer.score(make_event()))
    kept = asyncio.create_task(coalescer.score(make_event()))
    await asyncio.sleep(0)
    gone.cancel()
    assert (await kept).action == "approve" and (await busy).action == "approve"
    assert len(scorer.batches[1]) == 1  # the cancelled request was never scored
