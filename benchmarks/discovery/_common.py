"""Shared helpers of the discovery benchmarks: the machine, statistics, tables and the JSON file."""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


KEEP_DB_HELP = "keep each run's archive in DIR (created; default: a temporary folder, removed)"
OUT_DIR_HELP = "write the raw results file into DIR (created; default: benchmarks/discovery, next to the scripts)"


def named_twice(seeds: Sequence[int]) -> int | None:
    """The first seed of ``seeds`` (a ``--seed-list``) named more than once, or None: two runs of one seed
    would write one archive."""
    return next((s for s in seeds if seeds.count(s) > 1), None)


def archive_folder(stack: contextlib.ExitStack[Any], keep_db: str | None) -> Path:
    """Where a benchmark's runs write their archives: ``keep_db`` (created, kept) or a temporary folder
    that ``stack`` removes on exit (the ``--keep-db DIR`` option; ``KEEP_DB_HELP`` is its help)."""
    if keep_db:
        folder = Path(keep_db).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return Path(stack.enter_context(tempfile.TemporaryDirectory()))


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    import numpy
    import torch

    import mlevolve

    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "mlevolve": mlevolve.__version__,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
    }


def search_settings(description: str) -> tuple[bool, list[int], int, int, int, list[int], str | None]:
    """The command line and settings shared by the activation and optimizer searches:
    (quick, search seeds, budget, population, tournament, training seeds, ``--out-dir``)."""
    from mlevolve.script import ArgumentParser

    parser = ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true",
                        help="1 search seed, budget 30, population 10, 2 training seeds (a smoke test, < 60 s)")
    parser.add_argument("--out-dir", default=None, metavar="DIR", help=OUT_DIR_HELP)
    args = parser.parse_args()
    if args.quick:
        return True, [0], 30, 10, 3, [100, 101], args.out_dir
    return False, [0, 1, 2, 3, 4], 200, 50, 5, [100, 101, 102, 103, 104], args.out_dir


def print_machine(info: dict[str, Any]) -> None:
    print(f"date: {info['date']}")
    print(f"machine: {info['platform']}, {info['cpu_count']} CPUs ({info['processor']}), Python {info['python']}, "
          f"torch {info['torch']}, numpy {info['numpy']}, mlevolve {info['mlevolve']}")
    print(f"command: {info['command']}")


def train(program_text: str, task: str, seeds: list[int], epochs: int) -> list[dict[str, Any]]:
    """Test and validation accuracy and test loss (None for a failed training) for each training seed."""
    import mlevolve

    out = []
    program = mlevolve.parse(program_text)
    for seed in seeds:
        m = mlevolve.run(program, task, seed=seed, epochs=epochs)
        out.append({"seed": seed, "test_accuracy": None if m.get("failure") else m["test_accuracy"],
                    "test_loss": None if m.get("failure") else m["test_loss"],
                    "val_accuracy": None if m.get("failure") else m["val_accuracy"], "failure": m.get("failure")})
    return out


def accuracies(runs: list[dict[str, Any]]) -> list[float]:
    """The test accuracies of :func:`train`'s runs, NaN for a failed one."""
    return [math.nan if r["test_accuracy"] is None else r["test_accuracy"] for r in runs]


def mean_std(values: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (0 for one value); NaN for none."""
    vals = [v for v in values if v is not None and not math.isnan(v)]
    if not vals:
        return (math.nan, math.nan)
    return (statistics.fmean(vals), statistics.stdev(vals) if len(vals) > 1 else 0.0)


def fmt_ms(values: Sequence[float], digits: int = 3) -> str:
    m, s = mean_std(values)
    if math.isnan(m):
        return "n/a"
    return f"{m:.{digits}f} ± {s:.{digits}f}"


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain left-aligned text table."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(name: str, payload: dict[str, Any], quick: bool = False, folder: str | Path | None = None) -> Path:
    """``results_NAME.json`` in ``folder`` (created; default: next to the scripts, the ``--out-dir DIR`` option,
    ``OUT_DIR_HELP`` its help); a ``--quick`` run writes ``results_NAME.quick.json`` so that a smoke test never
    overwrites the full run's results."""
    where = HERE if folder is None else Path(folder).resolve()
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"results_{name}{'.quick' if quick else ''}.json"
    path.write_text(json.dumps(_clean(payload), indent=2, allow_nan=False) + "\n")
    return path


def results_shown(path: Path) -> Path:
    """``path`` as a results line prints it: from the repository root where it is inside it, else whole."""
    return path.relative_to(ROOT) if path.is_relative_to(ROOT) else path


def _clean(value: Any) -> Any:
    """Strict JSON: non-finite floats become strings ("inf", "nan"), numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
