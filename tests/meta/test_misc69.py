"""What fresh users of ``mlevolve meta`` met (misc69): the ``evolve`` a meta run suggests ran on evolve's default seed
without saying which, or why, beside inner runs whose seeds it did not name; ``--dask`` said nothing while its
cluster started."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.conftest import Capsys, archive_rows, cli
from tests.meta.test_meta67 import _config, _next


def test_the_suggested_evolve_names_its_seed_and_says_why_no_inner_run_used_it(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """The suggested ``evolve`` gives ``--seed 0`` and a line above ``next:`` says its task is held out (no inner run
    ran it) and where its seed comes from: the archive holds no inner run of that task, and its validation runs
    used seed 0 on other tasks, its training runs other seeds."""
    from mlevolve.api.metarun import NEXT_SEED

    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "meta", str(_config(tmp_path)), "--db", "m.db", "-o", "g.toml")
    assert code == 0
    evolve = shlex.split(_next(out)[1])
    assert evolve[evolve.index("--seed") + 1] == str(NEXT_SEED) == "0"
    task = evolve[evolve.index("--task") + 1]
    note = out.splitlines()[out.splitlines().index("next:") - 2]
    assert note.startswith(f"the evolve below runs held-out task {task}, which no inner run ran, on seed 0 "), note
    runs = [(source, json.loads(metrics)["seed"]) for source, metrics in archive_rows("m.db", ("source", "metrics"))]
    assert runs and task not in {source for source, _ in runs}
    assert {seed for source, seed in runs if source == "nguyen2"} == {0}  # validation's fixed seed
    assert 0 not in {seed for source, seed in runs if source != "nguyen2"}  # training's drawn seeds


def test_a_meta_run_on_dask_says_when_its_workers_are_up_then_the_progress_lines_of_any_run(
        tmp_path: Path, capsys: Capsys) -> None:
    """Between ``inner runs: Dask, 1 local worker`` and the first meta-generation's line the cluster started, silent
    (12 s on a busy machine); it says so in a line, then the same progress lines as a run in this process."""
    config = _config(tmp_path)
    code, _, here = cli(capsys, "meta", str(config), "--db", str(tmp_path / "a.db"), "-o", str(tmp_path / "a.toml"))
    assert code == 0
    code, _, dask = cli(capsys, "meta", str(config), "--db", str(tmp_path / "b.db"), "-o", str(tmp_path / "b.toml"),
                        "--dask", "local:1")
    assert code == 0
    lines = [line for line in dask.splitlines() if not line.startswith("mlevolve: compiling")]  # a cold cache's note
    assert lines[0] == "inner runs: Dask, 1 local worker"
    assert re.fullmatch(r"Dask: 1 worker up \(1 thread\) after \d+\.\d s; inner runs start", lines[1]), lines[1]
    assert lines[2:] == [line for line in here.splitlines()[1:] if not line.startswith("mlevolve: compiling")]
