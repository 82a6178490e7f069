"""`riskstream report`, `disputes sign` and `monitoring fraud-rates` from the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

import db
from riskstream.cli import main
from tests.dispute_support import WEBHOOK_SECRET, stripe_signature


def test_report_writes_html_and_pdf_and_refuses_bad_dates(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'rs.db'}"
    db.upgrade(url)
    env = {"RISKSTREAM_DATA_DIR": str(tmp_path), "RISKSTREAM_DATABASE_URL": url,
           "RISKSTREAM_ENVIRONMENT": "test"}  # fmt: skip
    runner = CliRunner()
    for suffix in ("html", "pdf"):
        out = tmp_path / f"nov.{suffix}"
        result = runner.invoke(
            main, ["report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)],
            env=env,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    bad = runner.invoke(main, ["report", "--from", "2026-11-30", "--to", "2026-11-01"], env=env)
    assert bad.exit_code == 2 and "--to is before --from" in bad.output
    rates = runner.invoke(main, ["monitoring", "fraud-rates"], env=env)
    assert rates.exit_code == 0 and "not eligible" in rates.output  # nothing measured yet


def test_disputes_sign_prints_the_published_signature_header(tmp_path: Path) -> None:
    body = b'{"id": "evt_1", "object": "event"}'
    (tmp_path / "event.json").write_bytes(body)
    result = CliRunner().invoke(
        main, ["disputes", "sign", str(tmp_path / "event.json")],
        env={"RISKSTREAM_WEBHOOK_SECRET": WEBHOOK_SECRET, "RISKSTREAM_DATA_DIR": str(tmp_path)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    header = result.output.strip().removeprefix("Stripe-Signature: ")
    timestamp = int(header.split(",")[0].removeprefix("t="))
    assert header == stripe_signature(body, WEBHOOK_SECRET, timestamp)
