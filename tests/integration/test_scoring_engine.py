"""The scoring core on real Redis: decisions, idempotency by transaction id, key hygiene."""

from __future__ import annotations

import shutil
import zlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from redis.asyncio import Redis

from contracts import Decision, FrozenClock, Settings, TransactionEvent
from sca import FraudRates, rates_path
from scoring import ScoringEngine
from scoring.build import build_engine
from tests.factories import BASE_TIME, make_event

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]


@pytest.fixture
def settings(stack_settings: Settings, model_home: Path, tmp_path: Path) -> Settings:
    home = tmp_path / "home"
    shutil.copytree(model_home, home)
    return stack_settings.replace(data_dir=home)


@pytest_asyncio.fixture
async def engine(settings: Settings) -> AsyncIterator[ScoringEngine]:
    built = build_engine(settings, FrozenClock(BASE_TIME))
    try:
        yield built
    finally:
        await built.aclose()


def _card_events(fingerprint: str, n: int) -> list[TransactionEvent]:
    return [
        make_event(
            card={"fingerprint": fingerprint},
            event_time=(BASE_TIME + timedelta(minutes=i)).isoformat(),
        )
        for i in range(n)
    ]


async def test_decisions_follow_the_contract(engine: ScoringEngine) -> None:
    events = _card_events("fpContract01", 5)
    scored = await engine.score_encoded(events)
    for event, item in zip(events, scored, strict=True):
        decision = Decision.model_validate_json(item.payload)  # the JSON is the contract
        assert decision.transaction_id == event.transaction_id == item.transaction_id
        assert decision.action == item.action
        assert decision.mode == "full" and decision.model_version
        assert decision.rule_set_version.startswith("starter-")
        assert decision.features["card_count_1h"] == events.index(event)
        assert "card_number" not in item.payload.decode()
        assert decision.sca is None  # no RISKSTREAM_SCA_ACQUIRER_COUNTRY: no SCA advice


async def test_eea_payments_carry_sca_advice_with_its_reason(settings: Settings) -> None:
    FraudRates(acquirer_bps=2.0, merchant_bps={}).write(rates_path(settings.data_dir))
    engine = build_engine(settings.replace(sca_acquirer_country="DE"), FrozenClock(BASE_TIME))
    eea = make_event(
        card={"fingerprint": "fpScaEea0001", "country": "FR"},
        amount=5000, currency="EUR", billing_country="FR", shipping_country="FR",
        ip_country="FR",
    )  # fmt: skip
    foreign = make_event(card={"fingerprint": "fpScaUs00001", "country": "US"})
    try:
        low_risk, outside = await engine.score([eea, foreign])
    finally:
        await engine.aclose()
    assert low_risk.action == "approve", low_risk.reasons
    assert low_risk.sca is not None and low_risk.sca.outcome == "tra_exemption"
    assert low_risk.sca.exemption == "tra"
    assert low_risk.sca.reference_bps == 13 and low_risk.sca.measured_bps == 2.0  # 100 EUR band
    assert "sca_tra_exemption" in {r.code for r in low_risk.reasons}
    assert outside.sca is not None and outside.sca.outcome == "out_of_scope"
    assert not {r.code for r in outside.reasons} & {"sca_out_of_scope", "sca_tra_exemption"}


async def test_replays_at_any_distance_return_the_first_decision(engine: ScoringEngine) -> None:
    first = _card_events("fpReplay0001", 4)
    original = [e.payload for e in await engine.score_encoded(first)]
    later = _card_events("fpReplay0001", 1)[0].model_copy(
        update={"transaction_id": "pi_LaterEvent01", "event_time": BASE_TIME + timedelta(days=3)}
    )
    await engine.score_encoded([later])
    replayed = [e.payload for e in await engine.score_encoded(first[::-1])]
    assert replayed == original[::-1]
    probe = first[0].model_copy(
        update={
            "transaction_id": "pi_ProbeEvent01",
            "event_time": BASE_TIME + timedelta(minutes=10),
        }
    )
    decision = (await engine.score([probe]))[0]
    assert decision.features["card_count_1h"] == 4  # nothing counted twice


async def test_every_key_is_hash_tagged_and_expires(
    engine: ScoringEngine, settings: Settings
) -> None:
    await engine.score(_card_events("fpKeys000001", 3))
    client = Redis.from_url(str(settings.redis_url))
    try:
        keys = [k async for k in client.scan_iter(match=f"{settings.redis_namespace}:*")]
        assert keys
        for key in keys:
            assert b"{" in key and b"}" in key, key
            assert await client.pttl(key) > 0, key
    finally:
        await client.aclose()


async def test_cached_decisions_are_stored_deflated_and_plain_json_still_reads(
    engine: ScoringEngine, settings: Settings
) -> None:
    events = _card_events("fpDeflate001", 3)
    published = [e.payload for e in await engine.score_encoded(events)]
    namespace = settings.redis_namespace
    client = Redis.from_url(str(settings.redis_url))
    try:
        for event, payload in zip(events, published, strict=True):
            stored = await client.get(f"{namespace}:{{dec:{event.transaction_id}}}")
            assert stored is not None and stored[:1] != b"{"
            assert zlib.decompress(stored) == payload
            assert len(stored) * 2 < len(payload), (len(stored), len(payload))
        # A decision stored as plain JSON (before deflating) is returned as it is.
        legacy = _card_events("fpDeflate002", 1)[0]
        earlier = Decision.model_validate_json(published[0]).model_copy(
            update={"transaction_id": legacy.transaction_id, "action": "review"}
        )
        plain = earlier.model_dump_json().encode()
        await client.set(f"{namespace}:{{dec:{legacy.transaction_id}}}", plain, ex=600)
    finally:
        await client.aclose()
    (replayed,) = await engine.score_encoded([legacy])
    assert replayed.payload == plain and replayed.action == "review"
