"""Hot reload: follow the policy file and swap in each new valid version without a restart."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from pathlib import Path

from rules.lang import RuleSetError, load_ruleset
from rules.policy import Policy, symbol_table

__all__ = ["PolicyHolder", "default_policy_path"]

log = logging.getLogger(__name__)


def default_policy_path() -> Path:
    """The packaged starter policy."""
    return Path(__file__).with_name("packs") / "default.toml"


class PolicyHolder:
    """Holds the current :class:`Policy`; :meth:`refresh` reloads the file when it changes.

    A new version that fails to load is reported and ignored: the running version stays
    in force, so a typo in a rule never takes the engine down.
    """

    def __init__(
        self, path: Path, symbols: Mapping[str, str], *, poll_interval_s: float = 2.0
    ) -> None:
        self.path = path
        self._symbols = dict(symbols)
        self._poll_interval_s = poll_interval_s
        self._last_poll = float("-inf")
        self._stamp: tuple[int, int] | None = None
        self.current = self._load()
        self.last_error: str | None = None

    def _stat(self) -> tuple[int, int]:
        stat = self.path.stat()
        return stat.st_mtime_ns, stat.st_size

    def _load(self) -> Policy:
        self._stamp = self._stat()
        ruleset = load_ruleset(self.path, symbol_table(self._symbols))
        return Policy(ruleset, self._symbols)

    def refresh(self, *, force: bool = False) -> bool:
        """Reload when the file changed. Cheap to call often; returns True on a swap."""
        now = time.monotonic()
        if not force and now - self._last_poll < self._poll_interval_s:
            return False
        self._last_poll = now
        try:
            stamp = self._stat()
        except OSError as exc:
            log.error("policy file %s unreadable, keeping %s: %s", self.path, self.version, exc)
            return False
        if stamp == self._stamp and not force:
            return False
        previous = self.current
        try:
            candidate = self._load()
        except (RuleSetError, OSError) as exc:
            self.last_error = str(exc)
            log.error("policy file %s rejected, keeping %s: %s", self.path, self.version, exc)
            return False
        self.last_error = None
        if candidate.ruleset.content_hash == previous.ruleset.content_hash:
            return False
        self.current = candidate
        log.info("policy %s loaded (was %s)", candidate.version, previous.version)
        return True

    @property
    def version(self) -> str:
        return self.current.version
