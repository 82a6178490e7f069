"""Every ``RISKSTREAM_*`` variable the README and the docs name is a real setting.

A renamed or removed setting must not leave a newcomer setting a variable that does
nothing (pydantic-settings ignores unknown environment variables).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from contracts import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _named(text: str) -> set[str]:
    return set(re.findall(r"RISKSTREAM_[A-Z0-9_]*[A-Z0-9]", text))


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_documented_variables_are_settings(document: Path) -> None:
    fields = {name.upper() for name in Settings.model_fields}
    unknown = []
    for variable in sorted(_named(document.read_text())):
        name = variable.removeprefix("RISKSTREAM_")
        # "RISKSTREAM_GUARD_*" names a family: some setting must start with it
        if name not in fields and not any(f.startswith(name + "_") for f in fields):
            unknown.append(variable)
    assert not unknown, f"{document.name} names variables that are not settings: {unknown}"


def test_the_readme_names_the_settings_people_change_most() -> None:
    named = _named((ROOT / "README.md").read_text())
    assert {"RISKSTREAM_KAFKA_BOOTSTRAP", "RISKSTREAM_REDIS_URL", "RISKSTREAM_DATABASE_URL",
            "RISKSTREAM_REDIS_OUTAGE", "RISKSTREAM_WEBHOOK_SECRET"} <= named  # fmt: skip
