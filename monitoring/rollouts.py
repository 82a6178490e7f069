"""What the rollout guard watches and how it puts the previous version back.

* :class:`ModelRollout`: the model store's ``champion`` alias. Rollback is the store's
  own ``rollback()`` (the alias moves back; workers follow within their poll), done
  under a file lock and only if the alias still names the bad version.
* :class:`RulesRollout`: the policy file. Each content the workers would accept (it
  loads and type-checks) is a version; the last accepted content is kept, and
  rollback writes it back atomically (workers hot-reload it) after archiving the bad
  file under ``<data_dir>/monitoring/rejected-rules/``.

Both answer which decisions belong to a version (:meth:`belongs`), so the guard
compares the new version's own decisions with those made before it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol

from contracts import RolloutComponent
from models import AliasChange, LocalModelStore, ModelError
from monitoring.errors import RollbackFailed

__all__ = ["DecisionSample", "ModelRollout", "Rollout", "RulesRollout", "Version"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DecisionSample:
    """The parts of a decision the guard looks at."""

    decided_at: datetime
    action: str
    latency_ms: float
    model_version: str | None
    rule_set_version: str


@dataclass(frozen=True, slots=True)
class Version:
    """A version of a component: ``key`` tells versions apart, ``name`` is what decisions
    carry (``model_version`` / ``rule_set_version``)."""

    key: str
    name: str | None


class Rollout(Protocol):
    component: RolloutComponent

    def current(self) -> Version | None:
        """What serves now (None: nothing usable to watch)."""
        ...

    def belongs(self, sample: DecisionSample, new: Version, old: Version | None,
                since: datetime) -> bool:  # fmt: skip
        """Whether ``sample`` was decided by ``new``."""
        ...

    def accept(self, version: Version) -> None:
        """``version`` passed its window: it is the one to return to from now on."""
        ...

    def rollback(self, bad: Version, previous: Version | None) -> Version | None:
        """Serve ``previous`` again; returns what serves after the rollback."""
        ...


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class ModelRollout:
    """The champion alias of a :class:`models.LocalModelStore`.

    ``mover`` performs the rollback once the guard has checked, under the lock, that the
    champion is still the bad version; the default moves the local alias
    (``store.rollback``). The edge passes the model lifecycle's own rollback, which also
    moves the registry alias and audits the move.
    """

    component: RolloutComponent = "model"

    def __init__(
        self, store: LocalModelStore, *, mover: Callable[[], AliasChange] | None = None
    ) -> None:
        self.store = store
        self.mover = mover or (lambda: store.rollback("champion"))

    def current(self) -> Version | None:
        version = self.store.alias("champion")
        return None if version is None else Version(version, version)

    def belongs(
        self, sample: DecisionSample, new: Version, old: Version | None, since: datetime
    ) -> bool:
        return sample.model_version == new.name

    def accept(self, version: Version) -> None:
        return None

    def rollback(self, bad: Version, previous: Version | None) -> Version | None:
        with _file_lock(self.store.root / ".rollout-guard.lock"):
            serving = self.store.alias("champion")
            if serving != bad.key:
                raise RollbackFailed(
                    "model", f"the champion is {serving!r} now, not {bad.key!r}; left as it is"
                )
            try:
                change = self.mover()
            except ModelError as exc:
                raise RollbackFailed("model", str(exc)) from exc
        return None if change.after is None else Version(change.after, change.after)


class RulesRollout:
    """The policy file. ``validate`` loads text the way workers do and returns its version
    name (it raises on a file the workers would refuse)."""

    component: RolloutComponent = "rules"

    def __init__(
        self,
        path: Path,
        validate: Callable[[str], str],
        archive_dir: Path,
        *,
        settle: timedelta = timedelta(seconds=3),
    ) -> None:
        self.path = path
        self.validate = validate
        self.archive_dir = archive_dir
        self.settle = settle
        self._stamp: tuple[int, int] | None = None
        self._seen: Version | None = None
        self._good_text: str | None = None
        self._good: Version | None = None
        self._pending_text: str | None = None

    def _read(self) -> tuple[str, Version] | None:
        try:
            stat = self.path.stat()
            text = self.path.read_text()
        except OSError as exc:
            log.error("rules file %s unreadable: %s", self.path, exc)
            return None
        try:
            name = self.validate(text)
        except Exception as exc:  # noqa: BLE001 - workers refuse it too: nothing changes
            log.warning("rules file %s does not load (%s); workers keep the running one",
                        self.path, type(exc).__name__)  # fmt: skip
            return None
        self._stamp = (stat.st_mtime_ns, stat.st_size)
        digest = hashlib.sha256(text.encode()).hexdigest()[:12]
        return text, Version(f"{name}#{digest}", name)

    def current(self) -> Version | None:
        try:
            stat = self.path.stat()
        except OSError:
            return self._seen
        if self._seen is not None and (stat.st_mtime_ns, stat.st_size) == self._stamp:
            return self._seen
        read = self._read()
        if read is None:
            return self._seen
        text, version = read
        if self._good is None:  # the first version seen is the one to return to
            self._good, self._good_text = version, text
        self._pending_text = text
        self._seen = version
        return version

    def belongs(
        self, sample: DecisionSample, new: Version, old: Version | None, since: datetime
    ) -> bool:
        if old is not None and old.name != new.name:
            return sample.rule_set_version == new.name
        # Same declared version, other rules: attribute by time, after the workers'
        # reload interval has passed.
        return sample.rule_set_version == new.name and sample.decided_at >= since + self.settle

    def accept(self, version: Version) -> None:
        if self._seen == version and self._pending_text is not None:
            self._good, self._good_text = version, self._pending_text

    def rollback(self, bad: Version, previous: Version | None) -> Version | None:
        if self._good_text is None or self._good is None:
            raise RollbackFailed("rules", "no earlier rules file is known to return to")
        current = self._read()
        if current is None or current[1] != bad:
            raise RollbackFailed("rules", "the rules file changed again; left as it is")
        self.archive_dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in bad.key)[:120]
        (self.archive_dir / f"{safe}.toml").write_text(current[0])
        fd, tmp = tempfile.mkstemp(prefix=".rules-", dir=self.path.parent)
        with os.fdopen(fd, "w") as handle:
            handle.write(self._good_text)
        os.replace(tmp, self.path)
        restored = self._read()
        self._seen = restored[1] if restored else self._good
        return self._seen
