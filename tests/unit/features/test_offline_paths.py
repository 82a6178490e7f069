"""The vectorised offline path equals the sequential reference on time-ordered tables."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings

from features import OfflineFeatures, RatesTable
from features.columns import columns_to_table
from tests.feature_streams import Stream, same, streams, wide_registry

REGISTRY = wide_registry()
OFFLINE = OfflineFeatures(REGISTRY, RatesTable.from_mapping())


def _labels(stream: Stream) -> pd.DataFrame:
    rows = [item for kind, item in stream.items if kind == "label"]
    return pd.DataFrame(
        {
            "transaction_id": [r.transaction_id for r in rows],
            "is_fraud": [r.is_fraud for r in rows],
            "merchant_id": [r.merchant_id for r in rows],
            "card_bin": [r.card_bin for r in rows],
            "event_time": pd.to_datetime([r.event_ms for r in rows], unit="ms", utc=True),
            # known from one hour after the transaction
            "reported_at": pd.to_datetime(
                [r.event_ms + 3_600_000 for r in rows], unit="ms", utc=True
            ),
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stream=streams(out_of_order=False, redeliveries=False))
def test_vectorised_equals_reference(stream: Stream) -> None:
    table = columns_to_table(stream.columns)
    labels = _labels(stream)
    fast = OFFLINE.compute(table, labels)
    # The reference sees the same arrival order the vectorised path assumes: time order,
    # labels at their reported time, before transactions of the same instant.
    merged = OFFLINE._merged_stream(stream.columns, labels)  # noqa: SLF001
    reference = OFFLINE.compute_stream(stream.columns, merged)
    for name in REGISTRY.names:
        for row in range(len(table)):
            assert same(fast[name].iloc[row], reference[name][row]), (name, row)
