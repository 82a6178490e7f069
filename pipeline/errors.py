"""Errors of the stream worker and the HTTP API."""

from __future__ import annotations

__all__ = ["PipelineError", "TopicMismatch"]


class PipelineError(Exception):
    """Root of every error raised by :mod:`pipeline`."""


class TopicMismatch(PipelineError):
    """A topic exists with a partition count other than the one configured."""

    def __init__(self, topic: str, expected: int, actual: int) -> None:
        self.topic = topic
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"topic {topic!r} has {actual} partitions but {expected} are configured; "
            "partitions cannot be added on this broker: delete the topic or change "
            "the RISKSTREAM_*_PARTITIONS setting to match"
        )
