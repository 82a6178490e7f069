"""The worker's Faust app takes its producer's batching from the settings."""

from __future__ import annotations

from pathlib import Path

from contracts import load_settings
from pipeline.worker import faust_app


def test_the_worker_producer_batches_and_compresses_as_configured(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, kafka_bootstrap="127.0.0.1:9092", broker_max_batch_bytes=65_536
    )
    conf = faust_app(settings).conf
    assert conf.producer_compression_type == "zstd"
    assert conf.producer_max_batch_size == 65_536
    plain = faust_app(settings.replace(broker_compression="none")).conf
    assert plain.producer_compression_type is None
