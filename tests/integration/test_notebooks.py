"""The notebooks run top to bottom (executed with nbclient, not just stored)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"

# A smaller world than the notebook's default, enough frauds for every time slice.
SMALL = """\
DAYS = 30.0
SEED = 5
N_CUSTOMERS = 700
N_MERCHANTS = 80
MATURITY_DAYS = 7.0
REVIEW_CAPACITY_PER_DAY = 20
OUT = {out!r}
"""


def test_compare_models_notebook_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Jupyter's path migration warning (a DeprecationWarning) is off with this switch.
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    repo = str(NOTEBOOKS.parent)
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))
    )
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(NOTEBOOKS / "compare_models.ipynb", as_version=4)
    parameters = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(parameters) == 1
    parameters[0].source = SMALL.format(out=str(tmp_path / "out"))
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": repo}}
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert errors == []
    out = tmp_path / "out"
    assert (out / "compare_pr.png").stat().st_size > 1000
    assert (out / "report_0" / "pr_curve.png").is_file()
    assert (out / "mlflow.db").is_file()
    last = notebook.cells[-1].outputs[-1]["data"]["text/plain"]
    assert "champion" in last and "challenger" in last
