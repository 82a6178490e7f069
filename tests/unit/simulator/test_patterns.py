"""Fraud is present at the configured rate, each pattern with its signature, and
learnable but not trivial: legitimate noise overlaps every signal."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from simulator import PATTERN_NAMES, PatternMix, SimulatedTransaction, Simulator, to_frame
from tests.unit.simulator.conftest import SMALL


def _episodes(frame: pd.DataFrame, pattern: str) -> list[pd.DataFrame]:
    fraud = frame[frame["pattern"] == pattern]
    episodes = [group for _, group in fraud.groupby("episode_id")]
    assert episodes, f"no {pattern} episode"
    return episodes


def _minutes(episode: pd.DataFrame) -> float:
    span = episode["event_time"].max() - episode["event_time"].min()
    return float(span.total_seconds()) / 60


def test_default_fraud_rate_is_about_one_percent(month_frame: pd.DataFrame) -> None:
    rate = month_frame["is_fraud"].mean()
    assert 0.005 <= rate <= 0.015


def test_every_pattern_is_present_and_tagged(month_frame: pd.DataFrame) -> None:
    fraud = month_frame[month_frame["is_fraud"]]
    assert set(fraud["pattern"].unique()) == set(PATTERN_NAMES)
    assert fraud["episode_id"].notna().all()
    legit = month_frame[~month_frame["is_fraud"]]
    assert legit["pattern"].isna().all() and legit["episode_id"].isna().all()


def test_fraud_rate_follows_the_knob() -> None:
    base = replace(SMALL, days=10)
    low = to_frame(Simulator(replace(base, fraud_rate=0.005)).run())["is_fraud"].mean()
    high = to_frame(Simulator(replace(base, fraud_rate=0.05)).run())["is_fraud"].mean()
    assert high > 4 * low
    assert 0.025 < high < 0.08


def test_a_pattern_can_be_switched_off() -> None:
    mix = PatternMix(card_testing=0, bin_attack=0)
    frame = to_frame(Simulator(replace(SMALL, days=10, patterns=mix, fraud_rate=0.05)).run())
    assert not frame["pattern"].isin(["card_testing", "bin_attack"]).any()
    assert frame["is_fraud"].any()


def test_card_testing_is_many_cards_from_one_ip_within_minutes(
    month_frame: pd.DataFrame,
) -> None:
    for episode in _episodes(month_frame, "card_testing"):
        assert episode["card_fingerprint"].nunique() >= 10
        assert episode["ip"].nunique() <= 3
        assert episode["merchant_id"].nunique() == 1
        assert _minutes(episode) <= 30
        assert (episode["cvv_result"] == "N").mean() > 0.2
        checks = episode["kind"] == "card_check"
        assert (episode.loc[checks, "amount"] == 0).all()
    # Seen from the IP: far more distinct cards than any legitimate IP in a day.
    by_ip = (
        month_frame.dropna(subset=["ip"])
        .groupby(["ip", month_frame["event_time"].dt.floor("D")])["card_fingerprint"]
        .nunique()
    )
    tester_ips = set(month_frame.loc[month_frame["pattern"] == "card_testing", "ip"])
    legit_ips = set(month_frame.loc[~month_frame["is_fraud"], "ip"].dropna())
    worst_legit = by_ip[by_ip.index.get_level_values(0).isin(legit_ips - tester_ips)].max()
    best_tester = by_ip[by_ip.index.get_level_values(0).isin(tester_ips)].max()
    assert best_tester > 3 * worst_legit


def test_bin_attack_hits_many_cards_of_one_bin_in_a_burst(month_frame: pd.DataFrame) -> None:
    for episode in _episodes(month_frame, "bin_attack"):
        assert episode["card_bin"].nunique() == 1
        assert episode["card_fingerprint"].nunique() >= 20
        assert episode["merchant_id"].nunique() == 1
        assert episode["ip"].nunique() >= 3  # a botnet
        assert _minutes(episode) <= 60


def test_stolen_cards_spend_more_at_new_merchants_from_new_devices(
    month_frame: pd.DataFrame,
) -> None:
    legit = month_frame[~month_frame["is_fraud"]]
    known_devices = legit.groupby("card_fingerprint")["device_id"].agg(set)
    known_merchants = legit.groupby("card_fingerprint")["merchant_id"].agg(set)
    new_device = new_merchant = total = 0
    ratios = []
    for episode in _episodes(month_frame, "stolen_card"):
        assert episode["card_fingerprint"].nunique() == 1
        fingerprint = episode["card_fingerprint"].iloc[0]
        devices = known_devices.get(fingerprint, set())
        merchants = known_merchants.get(fingerprint, set())
        for row in episode.itertuples():
            total += 1
            new_device += row.device_id not in devices
            new_merchant += row.merchant_id not in merchants
        usual = legit.loc[legit["card_fingerprint"] == fingerprint, "amount"]
        purchases = episode.loc[episode["kind"] == "purchase", "amount"]
        if len(usual) >= 3 and len(purchases):
            ratios.append(purchases.median() / usual.median())
    assert new_device / total > 0.95
    assert new_merchant / total > 0.8
    assert pd.Series(ratios).median() > 1.3


def test_account_takeover_uses_the_account_from_a_new_device_and_ships_elsewhere(
    month_frame: pd.DataFrame,
) -> None:
    legit = month_frame[~month_frame["is_fraud"]]
    known_devices = legit.groupby("customer_id")["device_id"].agg(set)
    episodes = _episodes(month_frame, "account_takeover")
    rows = pd.concat(episodes)
    assert rows["customer_id"].notna().all()
    assert rows["customer_id"].isin(legit["customer_id"]).mean() > 0.9
    new = [
        row.device_id not in known_devices.get(row.customer_id, set()) for row in rows.itertuples()
    ]
    assert all(new)
    shipped = rows.dropna(subset=["shipping_country"])
    assert (shipped["shipping_country"] != shipped["billing_country"]).mean() > 0.5
    assert (rows["label_reason"].dropna() == "account_takeover").all()


def test_avs_cvv_mismatch_fails_both_checks(month_frame: pd.DataFrame) -> None:
    rows = pd.concat(_episodes(month_frame, "avs_cvv_mismatch"))
    assert rows["avs_result"].isin(["no_match", "street_only", "postal_only", "unavailable"]).all()
    assert rows["cvv_result"].isin(["N", "X", "U"]).all()


def test_point_of_compromise_cards_share_an_earlier_merchant(
    month_frame: pd.DataFrame,
) -> None:
    fraud = month_frame[month_frame["pattern"] == "point_of_compromise"]
    first_fraud = fraud.groupby("card_fingerprint")["event_time"].min()
    legit = month_frame[~month_frame["is_fraud"]]
    visits = legit[legit["card_fingerprint"].isin(first_fraud.index)]
    visits = visits[visits["event_time"] < visits["card_fingerprint"].map(first_fraud)]
    shared = visits.groupby("merchant_id")["card_fingerprint"].nunique()
    # The compromised merchant links several later-defrauded cards; random overlap does not.
    assert shared.max() >= 3
    assert (fraud["channel"] == "in_store").any()  # some cloned cards are used in person


def test_merchant_fraud_is_a_wave_at_one_merchant(month_frame: pd.DataFrame) -> None:
    for episode in _episodes(month_frame, "merchant_fraud"):
        assert episode["merchant_id"].nunique() == 1
        assert episode["card_fingerprint"].nunique() >= 10
        assert episode["ip"].nunique() <= 5
        start, end = episode["event_time"].min(), episode["event_time"].max()
        merchant = episode["merchant_id"].iloc[0]
        window = month_frame[
            (month_frame["merchant_id"] == merchant) & month_frame["event_time"].between(start, end)
        ]
        assert window["is_fraud"].mean() > 0.3


def test_signals_overlap_so_fraud_is_not_trivial(month_frame: pd.DataFrame) -> None:
    legit = month_frame[~month_frame["is_fraud"]]
    fraud = month_frame[month_frame["is_fraud"]]
    online = legit.dropna(subset=["ip_country"])
    # Legitimate noise: travel and VPNs, failed CVVs, AVS mismatches, card checks.
    assert (online["ip_country"] != online["billing_country"]).mean() > 0.005
    assert (legit["cvv_result"] == "N").sum() > 50
    assert (legit["avs_result"] == "no_match").sum() > 100
    assert (legit["kind"] == "card_check").sum() > 20
    # Fraud that looks clean: AVS and CVV match, IP in the card's own country.
    assert (fraud["avs_result"] == "match").mean() > 0.1
    assert (fraud["cvv_result"] == "M").mean() > 0.2
    assert (fraud["ip_country"] == fraud["card_country"]).mean() > 0.1


@pytest.mark.parametrize("pattern", ["card_testing", "bin_attack"])
def test_enumeration_fraud_is_cheap(month_frame: pd.DataFrame, pattern: str) -> None:
    rows = month_frame[month_frame["pattern"] == pattern]
    usd = rows[rows["currency"] == "USD"]
    assert (usd["amount"] <= 300).all()  # at most 3 dollars


def test_compromised_population_cards_are_cashed_out_later(
    month: list[SimulatedTransaction],
) -> None:
    """Cards of ours that a tester found valid come back as stolen-card fraud."""
    tested = {
        t.event.card.fingerprint: t.event_time
        for t in month
        if t.pattern in ("card_testing", "bin_attack") and t.event.cvv_result.value == "M"
    }
    later = [
        t
        for t in month
        if t.pattern == "stolen_card"
        and t.event.card.fingerprint in tested
        and t.event_time > tested[t.event.card.fingerprint]
    ]
    assert later
