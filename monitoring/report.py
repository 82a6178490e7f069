"""``riskstream report --from --to``: the dashboard as a file, for people who do not log in.

HTML (one self-contained file: inline SVG charts and styles, nothing fetched) or PDF
(a cover page with the key figures, one page per chart, the tables after).
"""

from __future__ import annotations

import textwrap
from datetime import datetime
from pathlib import Path
from typing import Literal

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from db import Database
from features.money import RatesTable
from models import LocalModelStore
from monitoring.charts import Chart, build_charts
from monitoring.dashboard import templates_environment
from monitoring.drift import ReferenceStore
from monitoring.errors import ReportError
from monitoring.snapshot import Snapshot, collect
from monitoring.tables import Period, Table

__all__ = ["ReportFormat", "render_html", "render_pdf", "write_report"]

ReportFormat = Literal["html", "pdf"]
A4 = (8.27, 11.69)
ROWS_PER_PAGE = 40


def render_html(snapshot: Snapshot, charts: list[Chart]) -> str:
    template = templates_environment().get_template("report.html")
    return template.render(snapshot=snapshot, charts=charts, currency=snapshot.base_currency)


def _cover(snapshot: Snapshot) -> Figure:
    figure = Figure(figsize=A4)
    figure.text(0.08, 0.92, "riskstream · fraud and chargeback report", fontsize=18, weight="bold")
    figure.text(0.08, 0.885, snapshot.period.label(), fontsize=11, color="#5f6b7a")
    figure.text(0.08, 0.865, f"generated {snapshot.generated_at:%Y-%m-%d %H:%M} UTC", fontsize=9,
                color="#5f6b7a")  # fmt: skip
    y = 0.8
    for label, value in snapshot.kpis:
        figure.text(0.08, y, label, fontsize=11, color="#5f6b7a")
        figure.text(0.5, y, value, fontsize=12, weight="bold")
        y -= 0.035
    if snapshot.drift is not None:
        wrapped = textwrap.fill(snapshot.drift.message, 95)
        figure.text(0.08, y - 0.02, wrapped, fontsize=8, color="#5f6b7a", va="top")
    return figure


def _table_pages(table: Table) -> list[Figure]:
    pages = []
    rows = table.rows or (("no rows in this period",) + ("",) * (len(table.columns) - 1),)
    for start in range(0, len(rows), ROWS_PER_PAGE):
        figure = Figure(figsize=(A4[1], A4[0]))  # landscape
        axes = figure.add_subplot()
        axes.axis("off")
        axes.set_title(table.title + (" (continued)" if start else ""), loc="left", fontsize=11)
        chunk = rows[start : start + ROWS_PER_PAGE]
        cells = [["" if c is None else str(c)[:28] for c in row] for row in chunk]
        grid = axes.table(cellText=cells, colLabels=list(table.columns), loc="upper left",
                          cellLoc="left")  # fmt: skip
        grid.auto_set_font_size(False)
        grid.set_fontsize(7)
        grid.scale(1, 1.1)
        if table.note and start == 0:
            figure.text(0.05, 0.03, textwrap.fill(table.note, 160), fontsize=7, color="#5f6b7a")
        pages.append(figure)
    return pages


def render_pdf(snapshot: Snapshot, charts: list[Chart], out: Path) -> None:
    metadata = {"Title": f"riskstream report {snapshot.period.label()}", "Creator": "riskstream"}
    with PdfPages(out, metadata=metadata) as pdf:
        pdf.savefig(_cover(snapshot))
        for chart in charts:
            chart.figure.suptitle(chart.title, x=0.02, ha="left", fontsize=11, weight="bold")
            pdf.savefig(chart.figure, bbox_inches="tight")
        for table in snapshot.tables.values():
            for page in _table_pages(table):
                pdf.savefig(page)


def write_report(
    database: Database,
    data_dir: Path,
    period: Period,
    out: Path,
    *,
    now: datetime,
    rates: RatesTable,
    fmt: ReportFormat | None = None,
) -> Path:
    """Write the report for ``period`` to ``out`` (format from ``fmt`` or the suffix)."""
    chosen = fmt or ("pdf" if out.suffix.lower() == ".pdf" else "html")
    if chosen not in ("html", "pdf"):
        raise ReportError(f"unknown report format {chosen!r}: use html or pdf")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create {out.parent}: {exc}") from exc
    champion = LocalModelStore(data_dir / "models").alias("champion")
    snapshot = collect(
        database, period, now=now, rates=rates, references=ReferenceStore(data_dir),
        model_version=champion,
    )  # fmt: skip
    charts = build_charts(snapshot)
    if chosen == "pdf":
        render_pdf(snapshot, charts, out)
    else:
        out.write_text(render_html(snapshot, charts), encoding="utf-8")
    return out
