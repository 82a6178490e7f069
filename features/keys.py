"""The one key builder for feature state in Redis.

Every key of an entity shares one hash tag (``{card:fp_x}``), so all of an entity's
state lives in one Redis Cluster slot and a script may touch it atomically.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KeyBuilder"]


@dataclass(frozen=True, slots=True)
class KeyBuilder:
    namespace: str = "rs"

    def tag(self, entity: str, value: str) -> str:
        return f"{{{entity}:{value}}}"

    def events(self, entity: str, value: str) -> str:
        """Exact entities: every event of the longest window (ZSET)."""
        return f"{self.namespace}:{self.tag(entity, value)}:ev"

    def buckets(self, entity: str, value: str) -> str:
        """Bucketed entities: per-bucket counters (HASH)."""
        return f"{self.namespace}:{self.tag(entity, value)}:b"

    def dedupe(self, entity: str, value: str) -> str:
        """Bucketed entities: recent transaction ids (ZSET), so redelivery never counts twice."""
        return f"{self.namespace}:{self.tag(entity, value)}:dd"

    def distinct_cards(self, entity: str, value: str) -> str:
        return f"{self.namespace}:{self.tag(entity, value)}:dc"

    def fraud(self, entity: str, value: str) -> str:
        """Bucketed entities: ids of transactions already counted as fraud (ZSET)."""
        return f"{self.namespace}:{self.tag(entity, value)}:fr"

    def first_seen(self, entity: str, value: str) -> str:
        return f"{self.namespace}:{self.tag(entity, value)}:fs"
