"""Where models live: versioned directories plus movable aliases (champion, challenger).

Promotion and rollback only move an alias; workers notice the move on their next
poll and swap models without a restart (:class:`models.holder.ModelHolder`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from models.artifact import BOOSTER_FILE, ModelMeta, read_meta, write_meta
from models.errors import ModelError, ModelNotFound

__all__ = ["Alias", "AliasChange", "LocalModelStore"]

Alias = Literal["champion", "challenger"]
ALIASES_FILE = "aliases.json"


@dataclass(frozen=True, slots=True)
class AliasChange:
    alias: Alias
    before: str | None
    after: str | None


class LocalModelStore:
    """Models in a directory tree; alias changes are atomic file replacements."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def _versions(self) -> Path:
        return self.root / "versions"

    def path(self, version: str) -> Path:
        path = self._versions / version
        if not (path / BOOSTER_FILE).is_file():
            raise ModelNotFound(f"no model version {version!r} in {self._versions}")
        return path

    def versions(self) -> list[ModelMeta]:
        if not self._versions.is_dir():
            return []
        metas = []
        for child in sorted(self._versions.iterdir()):
            if (child / BOOSTER_FILE).is_file():
                metas.append(read_meta(child))
        return sorted(metas, key=lambda m: m.trained_at)

    def save(
        self,
        booster_text: str,
        meta: ModelMeta,
        extra_files: Mapping[str, bytes] | None = None,
    ) -> Path:
        """Store a new version (never overwrites one).

        ``extra_files`` (name -> content) are stored beside the model, e.g. the scored
        test slice (``holdout.parquet``) that score bands are chosen on.
        """
        target = self._versions / meta.version
        if target.exists():
            raise ModelError(f"model version {meta.version!r} already exists")
        self._versions.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self._versions))
        try:
            (staging / BOOSTER_FILE).write_text(booster_text)
            write_meta(staging, meta)
            for name, content in (extra_files or {}).items():
                if "/" in name or name.startswith(".") or name in (BOOSTER_FILE, "meta.json"):
                    raise ModelError(f"cannot store an extra file named {name!r}")
                (staging / name).write_bytes(content)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    # -- aliases ---------------------------------------------------------------------

    def _read_aliases(self) -> dict[str, object]:
        try:
            data: dict[str, object] = json.loads((self.root / ALIASES_FILE).read_text())
            return data
        except FileNotFoundError:
            return {"champion": None, "challenger": None, "history": {}}

    def _write_aliases(self, data: dict[str, object]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".aliases-", dir=self.root)
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
        os.replace(tmp, self.root / ALIASES_FILE)

    def alias(self, alias: Alias) -> str | None:
        value = self._read_aliases().get(alias)
        return value if isinstance(value, str) else None

    def promote(self, version: str, alias: Alias = "champion") -> AliasChange:
        """Point ``alias`` at ``version``; the previous target is kept for rollback."""
        self.path(version)  # must exist
        data = self._read_aliases()
        before = data.get(alias)
        history = data.setdefault("history", {})
        if not isinstance(history, dict):
            raise ModelError(f"{self.root / ALIASES_FILE} is corrupt: history is not a map")
        if isinstance(before, str) and before != version:
            history.setdefault(alias, []).append(before)
        data[alias] = version
        self._write_aliases(data)
        return AliasChange(alias, before if isinstance(before, str) else None, version)

    def rollback(self, alias: Alias = "champion") -> AliasChange:
        """Point ``alias`` back at the version it had before the last promotion."""
        data = self._read_aliases()
        history = data.get("history")
        stack = history.get(alias) if isinstance(history, dict) else None
        if not stack:
            raise ModelError(f"nothing to roll back to: {alias} has no earlier version")
        before = data.get(alias)
        previous = stack.pop()
        data[alias] = previous
        self._write_aliases(data)
        return AliasChange(alias, before if isinstance(before, str) else None, previous)

    def clear(self, alias: Alias) -> AliasChange:
        data = self._read_aliases()
        before = data.get(alias)
        data[alias] = None
        self._write_aliases(data)
        return AliasChange(alias, before if isinstance(before, str) else None, None)
