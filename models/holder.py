"""Serve the current champion (and challenger) and follow alias moves without a restart."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from models.errors import IncompatibleModel, ModelError
from models.lightgbm_scorer import LightGBMScorer
from models.store import Alias, LocalModelStore

__all__ = ["ModelHolder", "ServingModels"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ServingModels:
    """An immutable snapshot: a batch is scored by one snapshot from start to end."""

    champion: LightGBMScorer | None
    challenger: LightGBMScorer | None


class ModelHolder:
    """Loads the models the store's aliases name; :meth:`refresh` follows alias moves."""

    def __init__(
        self,
        store: LocalModelStore,
        available_features: tuple[str, ...],
        *,
        poll_interval_s: float = 2.0,
    ) -> None:
        self._store = store
        self._available = frozenset(available_features)
        self._poll_interval_s = poll_interval_s
        self._last_poll = float("-inf")
        self._loaded: dict[Alias, str | None] = {"champion": None, "challenger": None}
        self.current = ServingModels(None, None)
        self.refresh(force=True)

    def refresh(self, *, force: bool = False) -> bool:
        """Reload when an alias moved. Cheap to call often; returns True on a swap."""
        now = time.monotonic()
        if not force and now - self._last_poll < self._poll_interval_s:
            return False
        self._last_poll = now
        changed = False
        models = {"champion": self.current.champion, "challenger": self.current.challenger}
        for alias in ("champion", "challenger"):
            wanted = self._store.alias(alias)
            if wanted == self._loaded[alias]:
                continue
            models[alias] = self._load(alias, wanted)
            self._loaded[alias] = wanted
            changed = True
        if changed:
            self.current = ServingModels(models["champion"], models["challenger"])
        return changed

    def _load(self, alias: Alias, version: str | None) -> LightGBMScorer | None:
        if version is None:
            log.info("no %s model: deciding without it", alias)
            return None
        try:
            scorer = LightGBMScorer.load(self._store.path(version))
            missing = [f for f in scorer.feature_names if f not in self._available]
            if missing:
                raise IncompatibleModel(version, missing)
        except ModelError as exc:
            log.error("cannot serve %s %s: %s", alias, version, exc)
            return None
        log.info("serving %s model %s", alias, version)
        return scorer
