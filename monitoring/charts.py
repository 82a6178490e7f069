"""Charts drawn on the server with matplotlib: SVG for pages, the same figures for PDF.

No pyplot (no global figure state, safe in threads), no JavaScript, no CDN. Every
chart is built from a :class:`monitoring.tables.Table`, so what a chart shows is
exactly what the CSV export of its table holds.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from contracts.currency import ISO_4217_EXPONENTS
from monitoring.snapshot import Snapshot
from monitoring.tables import Table

__all__ = ["Chart", "build_charts", "figure_svg"]

COLORS = {
    "approve": "#1f7a3e",
    "challenge": "#c98a00",
    "review": "#2c5cc5",
    "decline": "#b3261e",
    "fraud": "#b3261e",
    "chargeback": "#6a3fb5",
    "training": "#9aa6b8",
    "served": "#2c5cc5",
}
_SVG_START = re.compile(r"<svg\b")


@dataclass(frozen=True, slots=True)
class Chart:
    """A named chart: its table, how many data points it draws, and its figure."""

    name: str
    title: str
    table: str  # the table it is drawn from (and exported as CSV)
    points: int
    figure: Figure

    def svg(self) -> str:
        return figure_svg(self.figure)


def figure_svg(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog), text kept as text."""
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure.savefig(
            buffer,
            format="svg",
            bbox_inches="tight",
            metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
        )
    text = buffer.getvalue()
    match = _SVG_START.search(text)
    return text[match.start() :] if match else text


def _figure(height: float = 3.0) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(6.4, height), dpi=100)
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#e3e6eb", linewidth=0.8)
    axes.set_axisbelow(True)
    return figure, axes


def _empty(axes: Axes, message: str = "no data in this period") -> None:
    axes.text(0.5, 0.5, message, ha="center", va="center", transform=axes.transAxes,
              color="#5f6b7a")  # fmt: skip
    axes.set_xticks([])
    axes.set_yticks([])


def _floats(values: Sequence[object]) -> list[float]:
    return [float(v) if isinstance(v, int | float) else float("nan") for v in values]


def _from_zero(axes: Axes, values: Sequence[float], axis: str) -> None:
    """Start the value axis at 0; an all-zero chart gets a 0-1 axis instead of ±0.04."""
    top = max((v for v in values if v == v), default=0.0)
    limits = (0.0, top * 1.08) if top > 0 else (0.0, 1.0)
    if axis == "x":
        axes.set_xlim(*limits)
    else:
        axes.set_ylim(*limits)


def _day_ticks(axes: Axes, days: Sequence[str]) -> None:
    if len(days) < 4:  # keep a lone bar from filling the whole plot
        axes.set_xlim(-2, len(days) + 1)
    step = max(1, len(days) // 8)
    positions = list(range(0, len(days), step))
    axes.set_xticks(positions, [days[i][5:] for i in positions], fontsize=8)


def _rates_by_day(table: Table) -> tuple[Figure, int]:
    figure, axes = _figure()
    days = [str(d) for d in table.column("day")]
    if not days:
        _empty(axes)
        return figure, 0
    x = list(range(len(days)))
    axes.plot(x, _floats(table.column("fraud_rate_bps")), marker="o", color=COLORS["fraud"],
              label="fraud rate")  # fmt: skip
    axes.plot(x, _floats(table.column("chargeback_rate_bps")), marker="s",
              color=COLORS["chargeback"], label="chargeback rate")  # fmt: skip
    axes.set_ylabel("basis points of accepted")
    _from_zero(
        axes,
        _floats(table.column("fraud_rate_bps")) + _floats(table.column("chargeback_rate_bps")),
        "y",
    )
    _day_ticks(axes, days)
    axes.legend(frameon=False, fontsize=8)
    return figure, len(days)


def _rates_by_key(table: Table, key: str, top: int = 10) -> tuple[Figure, int]:
    rows = table.rows[:top]
    figure, axes = _figure(height=max(2.4, 0.32 * len(rows) + 1.0))
    if not rows:
        _empty(axes)
        return figure, 0
    labels = [str(r[0]) for r in rows][::-1]
    fraud = _floats([r[table.columns.index("fraud_rate_bps")] for r in rows])[::-1]
    chargeback = _floats([r[table.columns.index("chargeback_rate_bps")] for r in rows])[::-1]
    y = list(range(len(rows)))
    axes.barh([v + 0.2 for v in y], fraud, height=0.4, color=COLORS["fraud"], label="fraud rate")
    axes.barh([v - 0.2 for v in y], chargeback, height=0.4, color=COLORS["chargeback"],
              label="chargeback rate")  # fmt: skip
    axes.set_yticks(y, labels, fontsize=8)
    _from_zero(axes, fraud + chargeback, "x")
    axes.set_xlabel(f"basis points of accepted ({key}, top {len(rows)} by volume)")
    axes.grid(axis="x", color="#e3e6eb", linewidth=0.8)
    axes.legend(frameon=False, fontsize=8, loc="best")
    return figure, len(rows)


def _mix(table: Table) -> tuple[Figure, int]:
    figure, axes = _figure()
    days = [str(d) for d in table.column("day")]
    if not days:
        _empty(axes)
        return figure, 0
    x = list(range(len(days)))
    bottom = [0.0] * len(days)
    for action in ("approve", "challenge", "review", "decline"):
        share = [v if v == v else 0.0 for v in _floats(table.column(f"{action}_pct"))]
        axes.bar(x, share, bottom=bottom, color=COLORS[action], label=action, width=0.8)
        bottom = [b + s for b, s in zip(bottom, share, strict=True)]
    axes.set_ylabel("% of decisions")
    axes.set_ylim(0, 100)
    _day_ticks(axes, days)
    axes.legend(frameon=False, fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, 1.15))
    return figure, len(days)


def _rules(table: Table, top: int = 15) -> tuple[Figure, int]:
    rows = table.rows[:top]
    figure, axes = _figure(height=max(2.4, 0.3 * len(rows) + 1.0))
    if not rows:
        _empty(axes)
        return figure, 0
    index = {name: i for i, name in enumerate(table.columns)}
    labels = [f"{r[0]}{' (shadow)' if r[index['shadow']] == 'yes' else ''}" for r in rows][::-1]
    precision = _floats([r[index["precision_pct"]] for r in rows])[::-1]
    hit_rate = _floats([r[index["hit_rate_bps"]] for r in rows])[::-1]
    y = list(range(len(rows)))
    axes.barh(y, [p if p == p else 0.0 for p in precision], color=COLORS["fraud"], height=0.6)
    for position, (p, h) in enumerate(zip(precision, hit_rate, strict=True)):
        text = f"{p:.0f} % · {h:,.0f} bps hit" if p == p else f"— · {h:,.0f} bps hit"
        axes.text(max(p if p == p else 0.0, 0) + 1, position, text, va="center", fontsize=7)
    axes.set_yticks(y, labels, fontsize=8)
    axes.set_xlim(0, 115)
    axes.set_xlabel("precision: labelled fraud among hits (%)")
    axes.grid(axis="x", color="#e3e6eb", linewidth=0.8)
    return figure, len(rows)


def _drift_bins(table: Table, title: str) -> tuple[Figure, int]:
    figure, axes = _figure()
    if not table.rows:
        _empty(axes, title)
        return figure, 0
    x = list(range(len(table.rows)))
    axes.bar([v - 0.2 for v in x], _floats(table.column("training_pct")), width=0.4,
             color=COLORS["training"], label="training data")  # fmt: skip
    axes.bar([v + 0.2 for v in x], _floats(table.column("served_pct")), width=0.4,
             color=COLORS["served"], label="served")  # fmt: skip
    axes.set_xticks(x, [str(b) for b in table.column("bin")], fontsize=7, rotation=30, ha="right")
    axes.set_ylabel("% of scores")
    axes.set_xlabel("score bin (training deciles)")
    axes.legend(frameon=False, fontsize=8)
    return figure, len(table.rows)


def _psi(table: Table) -> tuple[Figure, int]:
    figure, axes = _figure(height=2.6)
    days = [str(d) for d in table.column("day")]
    if not days:
        _empty(axes)
        return figure, 0
    x = list(range(len(days)))
    axes.plot(x, _floats(table.column("psi")), marker="o", color=COLORS["served"])
    axes.axhline(0.1, color=COLORS["challenge"], linestyle="--", linewidth=1, label="0.1 moderate")
    axes.axhline(0.25, color=COLORS["decline"], linestyle="--", linewidth=1, label="0.25 major")
    axes.set_ylim(bottom=0)
    axes.set_ylabel("PSI")
    _day_ticks(axes, days)
    axes.legend(frameon=False, fontsize=8)
    return figure, len(days)


def _sla(table: Table) -> tuple[Figure, int]:
    figure, axes = _figure(height=2.6)
    days = [str(d) for d in table.column("day")]
    if not days:
        _empty(axes)
        return figure, 0
    x = list(range(len(days)))
    bottom = [0.0] * len(days)
    for column, color, label in (
        ("decided_in_sla", COLORS["approve"], "decided in SLA"),
        ("decided_late", COLORS["challenge"], "decided late"),
        ("defaulted", COLORS["decline"], "defaulted"),
        ("still_open", COLORS["training"], "still open"),
    ):
        values = [v if v == v else 0.0 for v in _floats(table.column(column))]
        axes.bar(x, values, bottom=bottom, color=color, label=label, width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    axes.set_ylabel("review cases")
    axes.set_ylim(0, max(bottom, default=0.0) * 1.35 or 1.0)  # room for the legend
    _day_ticks(axes, days)
    axes.legend(frameon=False, fontsize=8, ncol=2, loc="upper left")
    return figure, len(days)


def _money(table: Table, currency: str) -> tuple[Figure, int]:
    figure, axes = _figure()
    days = [str(d) for d in table.column("day")]
    if not days:
        _empty(axes)
        return figure, 0
    scale = 10 ** ISO_4217_EXPONENTS.get(currency, 2)
    x = list(range(len(days)))
    for offset, column, color, label in (
        (-0.27, "blocked", COLORS["training"], "blocked (declined)"),
        (0.0, "saved", COLORS["approve"], "saved (declined fraud)"),
        (0.27, "lost_to_fraud", COLORS["decline"], "lost (accepted fraud)"),
    ):
        values = [v / scale for v in _floats(table.column(column))]
        axes.bar([p + offset for p in x], values, width=0.27, color=color, label=label)
    axes.set_ylabel(currency)
    _day_ticks(axes, days)
    axes.legend(frameon=False, fontsize=8)
    return figure, len(days)


def build_charts(snapshot: Snapshot) -> list[Chart]:
    """Every chart of the dashboard, in page order."""
    t = snapshot.tables
    drift_title = snapshot.drift.message if snapshot.drift else "no drift data"
    specs: list[tuple[str, str, str, Callable[[], tuple[Figure, int]]]] = [
        ("fraud_by_day", "Fraud and chargeback rate by day", "fraud_by_day",
         lambda: _rates_by_day(t["fraud_by_day"])),
        ("action_mix", "Approve / challenge / review / decline", "action_mix",
         lambda: _mix(t["action_mix"])),
        ("fraud_by_merchant", "By merchant", "fraud_by_merchant",
         lambda: _rates_by_key(t["fraud_by_merchant"], "merchant")),
        ("fraud_by_bin", "By BIN", "fraud_by_bin", lambda: _rates_by_key(t["fraud_by_bin"], "BIN")),
        ("fraud_by_country", "By card country", "fraud_by_country",
         lambda: _rates_by_key(t["fraud_by_country"], "card country")),
        ("rules", "Rule precision and hit rate", "rules", lambda: _rules(t["rules"])),
        ("drift_bins", "Model score distribution vs training data", "drift_bins",
         lambda: _drift_bins(t["drift_bins"], drift_title)),
        ("drift_by_day", "Score drift (PSI) by day", "drift_by_day",
         lambda: _psi(t["drift_by_day"])),
        ("review_sla", "Review SLA", "review_sla", lambda: _sla(t["review_sla"])),
        ("money", f"Money saved vs money blocked ({snapshot.base_currency})", "money",
         lambda: _money(t["money"], snapshot.base_currency)),
    ]  # fmt: skip
    charts = []
    for name, title, table, draw in specs:
        figure, points = draw()
        charts.append(Chart(name, title, table, points, figure))
    return charts
