"""Settings: typed, frozen, masked, and guarded against live secrets outside production."""

from __future__ import annotations

import pytest

from contracts import SettingsError, load_settings


def test_environment_variables_are_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISKSTREAM_KAFKA_BOOTSTRAP", "broker-a:9092, broker-b:9093")
    monkeypatch.setenv("RISKSTREAM_ALLOWED_CURRENCIES", "usd,eur")
    settings = load_settings()
    assert [str(e) for e in settings.kafka_bootstrap or ()] == ["broker-a:9092", "broker-b:9093"]
    assert settings.allowed_currencies == frozenset({"USD", "EUR"})


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(Exception, match="frozen"):
        settings.environment = "production"  # type: ignore[misc]


def test_live_secret_outside_production_aborts(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "sk_live_" + "Q" * 24
    monkeypatch.setenv("RISKSTREAM_PROCESSOR_SECRET_KEY", secret)
    with pytest.raises(SettingsError) as info:
        load_settings(environment="staging")
    assert "RISKSTREAM_PROCESSOR_SECRET_KEY" in str(info.value)
    assert secret not in str(info.value)
    assert load_settings(environment="production").processor_secret_key is not None


def test_secrets_print_masked() -> None:
    settings = load_settings(webhook_secret="whsec_" + "z" * 30)
    assert "z" * 30 not in repr(settings)


def test_bad_values_name_the_variable() -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(kafka_bootstrap="no-port-here")
    assert "RISKSTREAM_KAFKA_BOOTSTRAP" in str(info.value)


def test_a_blank_secret_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RISKSTREAM_WEBHOOK_SECRET", "")
    monkeypatch.setenv("RISKSTREAM_SESSION_SECRET", "   ")
    settings = load_settings()
    assert settings.webhook_secret is None  # never an empty signing key
    assert settings.session_secret is None
    monkeypatch.setenv("RISKSTREAM_WEBHOOK_SECRET", "whsec_test_abc")
    secret = load_settings().webhook_secret
    assert secret is not None and secret.get_secret_value() == "whsec_test_abc"


def test_producer_compression_is_given_to_kafka_clients_as_they_take_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().producer_compression == "zstd"  # the measured default
    monkeypatch.setenv("RISKSTREAM_BROKER_COMPRESSION", "none")
    assert load_settings().producer_compression is None  # a client's "no compression"
    monkeypatch.setenv("RISKSTREAM_BROKER_COMPRESSION", "snappy")  # not offered
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "RISKSTREAM_BROKER_COMPRESSION" in str(info.value)
    for size in (512, 2 * 1024 * 1024):  # below a record; above what a broker takes
        with pytest.raises(SettingsError) as info:
            load_settings(broker_compression="lz4", broker_max_batch_bytes=size)
        assert "RISKSTREAM_BROKER_MAX_BATCH_BYTES" in str(info.value)
