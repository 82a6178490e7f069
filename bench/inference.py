"""Model inference cost, side by side in one run: `riskstream models bench-inference`.

Compares, on the same booster and the same rows, single-row latency and batch
throughput of

* ``Booster.predict`` with LightGBM's default threads,
* ``Booster.predict(num_threads=1)`` (what serving used),
* the single-row fast C entry point (:class:`models.fastpath.SingleRowPredictor`),
* a tl2cgen-compiled shared library (only when ``tl2cgen`` is installed),
* per-feature contributions (``pred_contrib``) for explanations, single row and batch.

Numbers are medians of interleaved repetitions and are printed as ratios to
``num_threads=1``; a PNG bar chart is written next to them. Read absolute numbers
as ±30 % on a shared 2-core machine; the ratios are what to compare.
"""

from __future__ import annotations

import importlib.util
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

from models.fastpath import SingleRowPredictor

__all__ = ["InferenceResult", "measure_inference", "plot_inference"]

Matrix = npt.NDArray[np.float64]
Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class InferenceResult:
    name: str
    single_row_us: float  # median microseconds for one row
    batch_rows_per_s: float  # rows per second on batches of ``batch`` rows (0: not measured)


def _median_us(fn: Callable[[], object], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1e6)
    return statistics.median(samples)


def _tl2cgen_predictor(
    booster: lgb.Booster, workdir: Path
) -> Callable[[Matrix], object] | None:  # pragma: no cover - optional dependency
    if importlib.util.find_spec("tl2cgen") is None or importlib.util.find_spec("treelite") is None:
        return None
    import tl2cgen
    import treelite

    library = workdir / "model.so"
    model = treelite.frontend.from_lightgbm(booster)
    tl2cgen.export_lib(model, toolchain="gcc", libpath=str(library), params={"parallel_comp": 8})
    predictor = tl2cgen.Predictor(str(library), nthread=1)

    def predict(matrix: Matrix) -> object:
        return predictor.predict(tl2cgen.DMatrix(matrix))

    return predict


def measure_inference(
    booster: lgb.Booster,
    rows: Matrix,
    *,
    batch: int = 500,
    repeat: int = 200,
    progress: Progress = _quiet,
) -> list[InferenceResult]:
    """Measure every variant on ``rows`` (at least ``batch`` rows); see the module doc."""
    rows = np.ascontiguousarray(rows[: max(batch, 1)], dtype=np.float64)
    one = rows[:1]
    fast = SingleRowPredictor(booster)
    fast_contrib = SingleRowPredictor(booster, contributions=True)
    with tempfile.TemporaryDirectory() as workdir:
        progress("compiling the model with tl2cgen (if installed)")
        compiled = _tl2cgen_predictor(booster, Path(workdir))
        variants: dict[str, tuple[Callable[[], object], Callable[[], object] | None]] = {
            "lightgbm default threads": (
                lambda: booster.predict(one),
                lambda: booster.predict(rows),
            ),
            "lightgbm num_threads=1": (
                lambda: booster.predict(one, num_threads=1),
                lambda: booster.predict(rows, num_threads=1),
            ),
            "lightgbm single-row fast path": (lambda: fast(one[0]), None),
            "pred_contrib num_threads=1": (
                lambda: booster.predict(one, pred_contrib=True, num_threads=1),
                lambda: booster.predict(rows, pred_contrib=True, num_threads=1),
            ),
            "pred_contrib fast path": (lambda: fast_contrib(one[0]), None),
        }
        if compiled is not None:
            variants["tl2cgen (1 thread)"] = (lambda: compiled(one), lambda: compiled(rows))
        single: dict[str, list[float]] = {name: [] for name in variants}
        batched: dict[str, list[float]] = {name: [] for name in variants}
        rounds = 5  # interleave the variants so machine noise hits them all alike
        for round_no in range(rounds):
            progress(f"round {round_no + 1}/{rounds}")
            for name, (one_fn, batch_fn) in variants.items():
                one_fn()  # warm up
                single[name].append(_median_us(one_fn, repeat))
                if batch_fn is not None:
                    batch_fn()
                    batched[name].append(_median_us(batch_fn, max(repeat // 20, 5)))
    fast.close()
    fast_contrib.close()
    results = []
    for name in variants:
        batch_us = statistics.median(batched[name]) if batched[name] else 0.0
        results.append(
            InferenceResult(
                name,
                statistics.median(single[name]),
                len(rows) / (batch_us / 1e6) if batch_us else 0.0,
            )
        )
    return results


def plot_inference(results: list[InferenceResult], path: Path, *, batch: int) -> Path:
    """Two bar charts (single-row µs, batch rows/s) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.name for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    left.barh(names, [r.single_row_us for r in results], color="tab:blue")
    left.set_xscale("log")
    left.set_xlabel("µs per single-row call (median, log scale)")
    left.invert_yaxis()
    right.barh(names, [r.batch_rows_per_s for r in results], color="tab:green")
    right.set_xlabel(f"rows/s on batches of {batch} (0 = single-row only)")
    right.invert_yaxis()
    right.set_yticklabels([])
    fig.suptitle("LightGBM inference on this machine (same booster, same rows, one run)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
