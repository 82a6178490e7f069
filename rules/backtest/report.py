"""A backtest as people read it: a printed table and CSV files (the chart is in ``chart``).

Money is kept in base-currency minor units everywhere and shown in major units here
(``123456`` USD cents → ``1,234.56``), with exactly the currency's minor-unit digits.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from rules.backtest.diff import BacktestDiff, RuleDelta, TallyDelta
from rules.backtest.run import BacktestResult, RuleStats, Tally

__all__ = ["DEFINITIONS", "format_report", "major", "write_csv", "write_diff_csv"]

DEFINITIONS = (
    "hit = the rule's condition is true (shadow rules: would-be hits, never acted on); "
    "flagged = action other than approve; precision = fraud hits / hits; "
    "recall = fraud hits / all fraud; fraud stopped / good blocked = amount of flagged "
    "fraudulent / legitimate transactions (an upper bound for review and challenge, "
    "decided later by an analyst or the cardholder; allow rules stop nothing); "
    "reviews/day = transactions sent to review per UTC day."
)


def major(minor: int, exponent: int, *, signed: bool = False) -> str:
    """Minor units as a major-unit decimal with thousands separators.

    >>> major(123456, 2), major(-5, 2, signed=True), major(700, 0)
    ('1,234.56', '-0.05', '700')
    """
    sign = "-" if minor < 0 else ("+" if signed and minor > 0 else "")
    whole, part = divmod(abs(minor), 10**exponent)
    text = f"{whole:,}"
    return sign + (f"{text}.{part:0{exponent}d}" if exponent else text)


def _ratio(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    body = [list(header), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in body) for i in range(len(header))]
    lines = []
    for n, row in enumerate(body):
        tail = [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
        cells = [row[0].ljust(widths[0]), *tail]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


def _rule_row(stats: RuleStats, exponent: int) -> list[str]:
    allow = stats.action == "approve"
    return [
        stats.rule_id,
        stats.action,
        f"{stats.tally.hits:,}",
        f"{stats.tally.fraud_hits:,}",
        _ratio(stats.tally.precision),
        _ratio(stats.tally.recall),
        "-" if allow else major(stats.fraud_amount_stopped, exponent),
        "-" if allow else major(stats.good_amount_blocked, exponent),
        f"{stats.decided:,}",
        f"{stats.reviews_per_day:.1f}" if stats.action == "review" else "-",
    ]


def _rule_header(currency: str) -> list[str]:
    return [
        "rule",
        "action",
        "hits",
        "fraud",
        "precision",
        "recall",
        f"fraud stopped {currency}",
        f"good blocked {currency}",
        "decided",
        "reviews/day",
    ]


def _action_row(name: str, tally: Tally, exponent: int) -> list[str]:
    return [
        name,
        f"{tally.hits:,}",
        f"{tally.fraud_hits:,}",
        _ratio(tally.precision),
        _ratio(tally.recall),
        major(tally.fraud_amount, exponent),
        major(tally.good_amount, exponent),
    ]


def format_report(result: BacktestResult, diff: BacktestDiff | None = None) -> str:
    """The backtest as text: per live rule, per shadow rule, the whole set, the diff."""
    cur, exp = result.base_currency, result.exponent
    first, last = (str(result.days[0]), str(result.days[-1])) if len(result.days) else ("-", "-")
    fraud = f"{major(result.fraud_amount_total, exp)} {cur}"
    truth = (
        f"ground truth: {result.frauds:,} transactions with a fraud label, {fraud} (every "
        "label in the file counts, whenever it arrived)"
        if result.truth == "labels"
        else f"ground truth: {result.frauds:,} transactions marked fraud in column "
        f"{result.truth!r}, {fraud}"
    )
    lines = [
        f"policy {result.version} ({result.content_hash[:19]}…) on {result.rows:,} transactions, "
        f"{first} to {last} ({len(result.days)} days)",
        truth,
        f"model score: {result.model_version or 'none (score is null: score rules never hit)'}"
        "; managed lists: empty (no snapshot in history: list rules never hit)",
        "",
        "live rules (priority order)",
        *_table(_rule_header(cur), (_rule_row(s, exp) for s in result.live)),
    ]
    if result.shadow:
        lines += [
            "",
            "shadow rules (would-be numbers, never acted on)",
            *_table(_rule_header(cur), (_rule_row(s, exp) for s in result.shadow)),
        ]
    header = ["final action", "transactions", "fraud", "precision", "recall"]
    header += [f"fraud amount {cur}", f"good amount {cur}"]
    rows = [_action_row(a, t, exp) for a, t in reversed(result.by_action.items())]
    rows.append(_action_row("flagged (not approve)", result.flagged, exp))
    peak = int(result.reviews_per_day.max()) if len(result.reviews_per_day) else 0
    lines += [
        "",
        "whole set",
        *_table(header, rows),
        f"review volume: {result.mean_reviews_per_day:.1f} per day on average, {peak} at most",
    ]
    if diff is not None:
        lines += ["", *_format_diff(diff)]
    lines += ["", "definitions: " + DEFINITIONS]
    return "\n".join(lines)


def _delta_cells(delta: TallyDelta, exponent: int) -> list[str]:
    return [
        f"{delta.hits:+,}",
        f"{delta.fraud_hits:+,}",
        _ratio(delta.precision, signed=True),
        _ratio(delta.recall, signed=True),
        major(delta.fraud_amount, exponent, signed=True),
        major(delta.good_amount, exponent, signed=True),
    ]


def _format_diff(diff: BacktestDiff) -> list[str]:
    cur, exp = diff.new.base_currency, diff.new.exponent
    header = ["rule", "status", "Δhits", "Δfraud", "Δprecision", "Δrecall"]
    header += [f"Δfraud amount {cur}", f"Δgood amount {cur}"]
    moved = [d for d in diff.rules if d.status != "unchanged" or d.delta.hits]
    rows = [[d.rule_id, _label(d), *_delta_cells(d.delta, exp)] for d in moved]
    rows.append(["whole set (flagged)", "", *_delta_cells(diff.flagged, exp)])
    same = diff.new.content_hash == diff.old.content_hash
    lines = [
        f"against {diff.old.version}" + (" (identical content)" if same else ""),
        *_table(header, rows),
        f"review volume: {diff.mean_reviews_per_day:+.1f} per day on average",
        f"decisions changed: {diff.changed_decisions:,}"
        + "".join(
            f"; {before} → {after}: {count:,}"
            for (before, after), count in sorted(diff.transitions.items())
        ),
    ]
    unchanged = len(diff.rules) - len(moved)
    if unchanged:
        lines.append(f"{unchanged} rule(s) unchanged with the same hits are not listed")
    return lines


def _label(delta: RuleDelta) -> str:
    stats = delta.new or delta.old
    return delta.status + (" (shadow)" if stats is not None and stats.shadow else "")


def _money(minor: int | None, exponent: int) -> str:
    return "" if minor is None else major(minor, exponent).replace(",", "")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.6f}"


def write_csv(result: BacktestResult, path: Path) -> Path:
    """One row per rule (scope live / shadow), per final action and for the whole set."""
    cur, exp = result.base_currency, result.exponent
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["version", "scope", "name", "action", "hits", "fraud_hits", "precision", "recall"]
            + [f"fraud_stopped_{cur}", f"good_blocked_{cur}", "decided", "reviews_per_day"]
        )
        for stats in result.rules:
            allow = stats.action == "approve"
            out.writerow(
                [result.version, "shadow" if stats.shadow else "live", stats.rule_id]
                + [stats.action, stats.tally.hits, stats.tally.fraud_hits]
                + [_number(stats.tally.precision), _number(stats.tally.recall)]
                + [_money(None if allow else stats.fraud_amount_stopped, exp)]
                + [_money(None if allow else stats.good_amount_blocked, exp)]
                + [stats.decided, f"{stats.reviews_per_day:.3f}"]
            )
        for name, tally in [*result.by_action.items(), ("flagged", result.flagged)]:
            scope = "set" if name == "flagged" else "action"
            per_day = result.mean_reviews_per_day if name in ("review", "flagged") else None
            out.writerow(
                [result.version, scope, name, name, tally.hits, tally.fraud_hits]
                + [_number(tally.precision), _number(tally.recall)]
                + [_money(tally.fraud_amount, exp), _money(tally.good_amount, exp), ""]
                + ["" if per_day is None else f"{per_day:.3f}"]
            )
    return path


def write_diff_csv(diff: BacktestDiff, path: Path) -> Path:
    """Per rule and for the whole set: old, new and the delta of each number."""
    exp = diff.new.exponent
    names = ["hits", "fraud_hits", "precision", "recall", "fraud_amount", "good_amount"]
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["old_version", "new_version", "name", "status"]
            + [f"{side}_{n}" for n in names for side in ("old", "new", "delta")]
        )
        pairs: list[tuple[str, str, Tally | None, Tally | None, TallyDelta]] = [
            (
                d.rule_id,
                d.status,
                d.old.tally if d.old else None,
                d.new.tally if d.new else None,
                d.delta,
            )
            for d in diff.rules
        ]
        pairs.append(("whole_set_flagged", "", diff.old.flagged, diff.new.flagged, diff.flagged))
        for name, status, old, new, delta in pairs:
            cells: list[str] = []
            for field in names:
                money = field.endswith("amount")
                for value in (
                    getattr(old, field) if old else None,
                    getattr(new, field) if new else None,
                    getattr(delta, field),
                ):
                    if money:
                        cells.append(_money(value, exp))
                    elif isinstance(value, float):
                        cells.append(_number(value))
                    else:
                        cells.append("" if value is None else str(value))
            out.writerow([diff.old.version, diff.new.version, name, status, *cells])
    return path
