"""Walk the audit chain and report what does not add up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from audit.events import row_digest

__all__ = ["ChainEnds", "Problem", "ProblemKind", "VerifyReport", "verify_chain"]

# edited: a record's content no longer matches its hash.
# missing: records are absent from the middle or the end of the chain.
# broken_link: a record does not link to the one before it (re-hashed or re-ordered).
# head_mismatch: the chain's newest record is not the one the head (or a published
#   head) names.
ProblemKind = Literal["edited", "missing", "broken_link", "head_mismatch"]


class ChainEnds(Protocol):
    @property
    def last_id(self) -> int: ...
    @property
    def last_hash(self) -> str: ...
    @property
    def anchor_id(self) -> int: ...
    @property
    def anchor_hash(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Problem:
    record_id: int
    kind: ProblemKind
    detail: str

    def __str__(self) -> str:
        return f"record {self.record_id}: {self.kind}: {self.detail}"


@dataclass(frozen=True, slots=True)
class VerifyReport:
    checked: int
    last_id: int
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_bad_id(self) -> int | None:
        return min((p.record_id for p in self.problems), default=None)

    def with_problem(self, record_id: int, kind: ProblemKind, detail: str) -> VerifyReport:
        return replace(self, problems=(*self.problems, Problem(record_id, kind, detail)))

    def summary(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.checked} records verified up to id {self.last_id}"
        lines = [f"audit chain BROKEN: {len(self.problems)} problem(s) in {self.checked} records"]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


def verify_chain(records: Iterable[Mapping[str, Any]], head: ChainEnds) -> VerifyReport:
    """Check each record's hash, its link to the previous record, and the chain's ends."""
    problems: list[Problem] = []
    expected_id = head.anchor_id + 1
    prev_hash = head.anchor_hash
    checked = 0
    for record in records:
        checked += 1
        record_id = int(record["id"])
        if record_id > expected_id:
            span = (
                f"{expected_id}"
                if record_id - 1 == expected_id
                else f"{expected_id}..{record_id - 1}"
            )
            problems.append(Problem(expected_id, "missing", f"record(s) {span} deleted"))
        elif record["prev_hash"] != prev_hash:
            what = (
                "the anchor of pruned records"
                if record_id == head.anchor_id + 1
                else (f"record {record_id - 1}")
            )
            problems.append(Problem(record_id, "broken_link", f"does not link to {what}"))
        if row_digest(record) != record["row_hash"]:
            problems.append(Problem(record_id, "edited", "content does not match its hash"))
        prev_hash = str(record["row_hash"])
        expected_id = record_id + 1
    last_seen = expected_id - 1
    if last_seen < head.last_id:
        span = (
            f"{last_seen + 1}..{head.last_id}"
            if head.last_id > last_seen + 1
            else str(head.last_id)
        )
        problems.append(Problem(last_seen + 1, "missing", f"newest record(s) {span} deleted"))
    elif prev_hash != head.last_hash:
        problems.append(
            Problem(head.last_id, "head_mismatch", "newest record differs from the chain head")
        )
    return VerifyReport(checked=checked, last_id=head.last_id, problems=tuple(problems))
