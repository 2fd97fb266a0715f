"""The island model and MAP-Elites (``--algorithm islands`` and ``map-elites``, ``gp/diversity.py``).

Determinism from the seed, resume by replay (a larger budget, and a run killed with SIGKILL, end
identical to an uninterrupted run), migration moving programs between islands (and not without it),
MAP-Elites' grid holding one elite per cell, the fittest it saw there, every backend slot kept busy
when candidates finish out of order, the CLI end to end with its errors, and the report.
"""

from __future__ import annotations

import itertools
import math
import os
import random
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.errors import MlevError, SettingError
from mlevolve.gp.archive import Archive
from mlevolve.gp.backends import Request, run_request
from mlevolve.gp.diversity import DiversityConfig, IslandModel, MapElites
from mlevolve.gp.engine import Candidate, Engine, EvolveConfig
from tests.conftest import ROOT, run_child, spawn
from tests.conftest import archive_rows as rows
from tests.gp.test_engine import SOURCES, _evolve_command, _kill_when, meta

QUARTIC = ROOT / "examples" / "quartic.mlev"
ALGORITHMS = ("islands", "map-elites")


def run_quartic(db: Path, **kw: Any) -> dict[str, Any]:
    args: dict[str, Any] = {"budget": 300, "init": "random", "quiet": True, **kw}
    if args.get("algorithm") != "random":  # random search reads no population: refused (api.check_settings_read)
        args.setdefault("population", 20)
    return api.evolve(QUARTIC, ["f"], db=db, **args)


class Shuffled:
    """A backend of ``slots`` slots in this process that finishes a random subset of what is in
    flight at each call (seeded): candidates come back out of order, as from a process pool."""

    def __init__(self, evaluator: Any, slots: int, seed: int) -> None:
        self.evaluator, self.slots, self.rng = evaluator, slots, random.Random(seed)
        self.pending: list[Request] = []
        self.engine: Engine | None = None
        self.idle_while_budget_left = 0  # calls that found a free slot while candidates were left to start
        self.calls = 0

    def submit(self, request: Request) -> None:
        self.pending.append(request)

    def results(self, timeout: float | None = None) -> list[tuple[int, Any]]:
        assert self.engine is not None
        self.calls += 1
        self.idle_while_budget_left += len(self.pending) < self.slots and self.engine.budget_left()
        self.rng.shuffle(self.pending)
        k = self.rng.randint(1, len(self.pending))
        done, self.pending = self.pending[:k], self.pending[k:]
        return [(r.job, run_request(self.evaluator, r)) for r in done]

    def close(self) -> None:
        """Nothing to release: requests run in this process when results() is called."""


@contextmanager
def quartic_engine(tmp_path: Path, config: EvolveConfig, slots: int = 1,
                   progress: Any = None, replay: bool = True) -> Iterator[Engine]:
    """An engine on koza_quartic evolving ``f``, in process (``slots`` > 1: a :class:`Shuffled` backend)."""
    from mlevolve.api.programs import _program
    from mlevolve.grammar.spec import load_grammar
    from mlevolve.interpreter.evaluate import Settings
    from mlevolve.interpreter.evaluator import ProgramEvaluator
    from mlevolve.interpreter.tasks import load_task

    spec = load_grammar()
    program = _program(QUARTIC, spec)
    evaluator = ProgramEvaluator(load_task("koza_quartic", 0), "koza_quartic", spec, Settings(), frozenset({"formula"}))
    backend = Shuffled(evaluator, slots, config.seed) if slots > 1 else None
    identity = {"program_hash": "p", "task": "koza_quartic", "evolve": ["f"], **config.identity()}
    with Archive.for_run(tmp_path / f"{config.algorithm}-{config.seed}-{slots}.db", identity) as archive:
        engine = Engine(program, ["f"], spec, evaluator, archive, config, progress, backend,  # type: ignore[arg-type]
                        replay=replay)
        if backend is not None:
            backend.engine = engine
        yield engine


# ---------------------------------------------------------------------------------- reproducibility


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_same_seed_same_archive_another_seed_another(tmp_path: Path, algorithm: str) -> None:
    a = run_quartic(tmp_path / "a.db", algorithm=algorithm, seed=4)
    b = run_quartic(tmp_path / "b.db", algorithm=algorithm, seed=4)
    run_quartic(tmp_path / "c.db", algorithm=algorithm, seed=5)
    ra = rows(tmp_path / "a.db")
    assert len(ra) == 300 and [r[0] for r in ra] == list(range(300))
    assert ra == rows(tmp_path / "b.db")
    assert [r[1] for r in ra] != [r[1] for r in rows(tmp_path / "c.db")]
    for key in ("best_fitness", "best_hash", *SOURCES):
        assert a.get(key) == b.get(key), key
    assert sum(a[k] or 0 for k in SOURCES) == 300
    assert meta(tmp_path / "a.db")["algorithm"] == algorithm


def test_the_settings_are_the_run_identity_of_their_algorithm_only(tmp_path: Path) -> None:
    assert set(EvolveConfig(algorithm="islands").identity()) >= {"islands", "migration_interval", "migrants"}
    assert "size_bins" not in EvolveConfig(algorithm="islands").identity()
    assert set(EvolveConfig(algorithm="map-elites").identity()) >= {"size_bins", "behaviour_bins"}
    assert not set(EvolveConfig().identity()) & {f for f in DiversityConfig.__dataclass_fields__}
    db = tmp_path / "run.db"
    run_quartic(db, budget=30, algorithm="islands")
    with pytest.raises(MlevError, match="other settings"):
        run_quartic(db, budget=30, algorithm="islands", diversity=DiversityConfig(migrants=3))
    with pytest.raises(MlevError, match="other settings"):
        run_quartic(db, budget=30, algorithm="map-elites")
    with pytest.raises(SettingError, match="size_bins is a setting of algorithm map-elites; this run's is islands"):
        run_quartic(db, budget=30, algorithm="islands", diversity=DiversityConfig(size_bins=3))  # it would be ignored


# ------------------------------------------------------------------------------------------ resume


@pytest.mark.parametrize("algorithm", [*ALGORITHMS, "regularized"])
def test_a_child_is_one_generation_deeper_than_its_latest_parent(tmp_path: Path, algorithm: str) -> None:
    """Islands and MAP-Elites gave a crossover child its first parent's generation + 1, below its second parent's
    in about half their crossovers (a fresh-user pass): `show`'s ancestry then read generations going up."""
    run_quartic(tmp_path / "a.db", algorithm=algorithm, seed=2, budget=600)
    with Archive.read(tmp_path / "a.db") as archive:
        stored = list(archive.rows())
    made: dict[str, set[int]] = {}  # the generations a program was made at so far (a program is made again)
    crossed = 0
    for row in stored:
        if row.parents:  # one parent's generation in each of its sets, the latest one less than the child's
            choices = itertools.product(*(made[p] for p in row.parents))
            assert any(max(g) == row.generation - 1 for g in choices), (row.seq, row.operator, row.generation)
            crossed += len(row.parents) == 2
        made.setdefault(row.hash, set()).add(row.generation)
    assert crossed >= 20


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_larger_budget_extends_the_run_exactly(tmp_path: Path, algorithm: str) -> None:
    short = run_quartic(tmp_path / "grow.db", budget=130, algorithm=algorithm)
    assert short["candidates"] == 130
    longer = run_quartic(tmp_path / "grow.db", budget=260, algorithm=algorithm)
    assert longer["replayed"] == 130
    fresh = run_quartic(tmp_path / "fresh.db", budget=260, algorithm=algorithm)
    assert rows(tmp_path / "grow.db") == rows(tmp_path / "fresh.db")
    for key in ("best_fitness", "best_hash", "best_program", *SOURCES):
        assert longer.get(key) == fresh.get(key), key


@pytest.mark.slow  # three mlevolve processes, about 20 s on a loaded machine
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_kill_and_resume_ends_identical_to_an_uninterrupted_run(tmp_path: Path, algorithm: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    killed_db, whole_db = tmp_path / "killed.db", tmp_path / "whole.db"
    own = ("--migration-interval", "40") if algorithm == "islands" else ()  # another algorithm's flag is refused
    budget, extra = 2000, ("--algorithm", algorithm, *own)
    whole = spawn(_evolve_command(whole_db, budget, *extra), env=env, stdout=subprocess.PIPE,
                  stderr=subprocess.PIPE)
    victim = spawn(_evolve_command(killed_db, budget, *extra), env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    try:
        stored = _kill_when(victim, killed_db, 250)
    finally:
        if victim.poll() is None:
            victim.kill()
            victim.wait()
    assert 250 <= stored < budget
    partial = rows(killed_db)
    resumed = run_child(_evolve_command(killed_db, budget, *extra), env=env, capture_output=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr.decode()
    _, err = whole.communicate(timeout=300)
    assert whole.returncode == 0, err.decode()
    finished = rows(killed_db)
    assert [r[0] for r in finished] == list(range(budget))
    assert finished[:stored] == partial
    assert finished == rows(whole_db)
    summary, reference = meta(killed_db)["summary"], meta(whole_db)["summary"]
    assert summary["replayed"] == stored
    for key in ("best_fitness", "best_hash", *SOURCES):
        assert summary.get(key) == reference.get(key), key


# ---------------------------------------------------------------------------------------- islands


def _homes(model: IslandModel, seen: list[Candidate]) -> dict[str, set[int]]:
    """Program hash -> the islands on which a candidate of that program was born."""
    out: dict[str, set[int]] = {}
    for c in seen:
        out.setdefault(c.hash, set()).add(model.home[c.seq])
    return out


def _immigrant_children(model: IslandModel, seen: list[Candidate], parents: dict[int, tuple[str, ...]],
                        seeds: int) -> int:
    """Children born on an island from a parent never born there (a program that came by migration)."""
    homes = _homes(model, seen)
    return sum(1 for c in seen[seeds:] if model.home[c.seq] not in homes[parents[c.seq][0]])


def _run_islands(tmp_path: Path, interval: int) -> tuple[IslandModel, list[Candidate], dict[int, tuple[str, ...]]]:
    """A run of 400 on 4 islands of 5; its candidates in order, and each one's parents by number."""
    seen: list[Candidate] = []
    config = EvolveConfig(algorithm="islands", budget=400, population=20, init="random", seed=1,
                          diversity=DiversityConfig(islands=4, migration_interval=interval, migrants=2))
    with quartic_engine(tmp_path, config, progress=lambda e, c, stored: seen.append(c)) as engine:
        model = IslandModel(engine)
        model.run()
        parents = {r.seq: r.parents for r in engine.archive.rows()}
    return model, seen, parents


def test_migration_moves_the_best_of_each_island_to_the_next(tmp_path: Path) -> None:
    model, seen, parents = _run_islands(tmp_path, interval=50)
    assert len(seen) == 400 and all(c.seq in model.home for c in seen)
    assert len(model.migrations) >= 4 * (400 // 50 - 1)  # ring: 4 moves per migration, a few skipped at most
    homes = _homes(model, seen)
    for at, source, dest, moved in model.migrations:
        assert dest == (source + 1) % 4 and at % 50 == 0 and 1 <= len(moved) <= 2
        assert all(source in homes[h] for h in moved)  # they were born on the source island
    # migration changes the search: islands breed from immigrants' programs
    assert _immigrant_children(model, seen, parents, 20) > 0
    # each island is full, and at most one island's turn apart in births
    assert all(len(island) == 5 for island in model.islands)
    births = [sum(1 for c in seen if model.home[c.seq] == i) for i in range(4)]
    assert max(births) - min(births) <= 1


def test_without_migration_islands_stay_apart(tmp_path: Path) -> None:
    model, seen, parents = _run_islands(tmp_path, interval=10_000)
    assert model.migrations == []
    assert _immigrant_children(model, seen, parents, 20) == 0


def test_one_migration_replaces_the_oldest_with_the_fittest(tmp_path: Path) -> None:
    model, _, _ = _run_islands(tmp_path, interval=10_000)
    before = [list(island) for island in model.islands]
    model.migrate()
    for source in range(4):
        dest = (source + 1) % 4
        finite = [c for c in before[source] if math.isfinite(c.score)]
        best = sorted(finite, key=lambda c: (-c.score, c.seq))[:2]
        after = list(model.islands[dest])
        assert len(after) == 5
        assert all(c in after for c in best)  # the two fittest of the source are there now
        kept = [c for c in after if c in before[dest]]
        assert kept == before[dest][len(before[dest]) - len(kept):]  # only the oldest left


# ------------------------------------------------------------------------------------------ MAP-Elites


@pytest.mark.parametrize("seed", [0, 3])
def test_map_elites_keeps_the_fittest_of_each_cell(tmp_path: Path, seed: int) -> None:
    seen: list[Candidate] = []
    config = EvolveConfig(algorithm="map-elites", budget=400, population=20, init="random", seed=seed)
    with quartic_engine(tmp_path, config, progress=lambda e, c, stored: seen.append(c)) as engine:
        grid = MapElites(engine)
        grid.run()
        stored = list(engine.archive.rows())
    assert len(seen) == 400
    by_cell: dict[tuple[int, int], list[Candidate]] = {}
    for c in seen:
        if c.outcome.failure is None and math.isfinite(c.score):
            by_cell.setdefault(grid.cell(c), []).append(c)
    assert set(grid.grid) == set(by_cell) and grid.cells == sorted(grid.grid)
    assert len({id(e) for e in grid.grid.values()}) == len(grid.grid) <= 12 * 8
    for cell, elite in grid.grid.items():
        assert grid.cell(elite) == cell
        best = max(c.score for c in by_cell[cell])
        assert elite.score == best and elite.seq == min(c.seq for c in by_cell[cell] if c.score == best)
    # the grid holds programs of several sizes and behaviours, and the run's best
    assert len({cell[0] for cell in grid.grid}) >= 3 and len({cell[1] for cell in grid.grid}) >= 4
    assert engine.best is not None and engine.best in grid.grid.values()
    # every parent of a child was an elite (in the grid when the child was made): it was placed before
    elites_ever = {c.hash for c in seen if c.outcome.failure is None and math.isfinite(c.score)}
    assert all(set(r.parents) <= elites_ever for r in stored[20:])


def test_the_behaviour_descriptor_is_the_fec_fingerprint(tmp_path: Path) -> None:
    seen: list[Candidate] = []
    config = EvolveConfig(algorithm="map-elites", budget=200, population=20, init="random")
    with quartic_engine(tmp_path, config, progress=lambda e, c, stored: seen.append(c)) as engine:
        grid = MapElites(engine)
        grid.run()
    scored = [c for c in seen if c.fingerprint is not None]
    assert scored and all(grid.cell(c)[1] == int(c.fingerprint[:8], 16) % 8 for c in scored)  # type: ignore[index]
    for c in seen:
        if c.source == "fec":  # the same behaviour as an earlier program: the same column
            first = next(d for d in seen if d.fingerprint == c.fingerprint)
            assert grid.cell(c)[1] == grid.cell(first)[1]
        if c.source == "cache":  # the same program: the same cell
            first = next(d for d in seen if d.hash == c.hash)
            assert grid.cell(c) == grid.cell(first)


# ------------------------------------------------------------------------- parallel slots, out of order


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_every_slot_stays_busy_when_candidates_finish_out_of_order(tmp_path: Path, algorithm: str) -> None:
    config = EvolveConfig(algorithm=algorithm, budget=300, population=20, init="random", seed=2)
    with quartic_engine(tmp_path, config, slots=4) as engine:
        model = IslandModel(engine) if algorithm == "islands" else MapElites(engine)
        model.run()
        backend = engine.backend
        assert isinstance(backend, Shuffled)
        assert engine.seq == 300 and [r.seq for r in engine.archive.rows()] == list(range(300))
        assert backend.calls > 50 and backend.idle_while_budget_left == 0
    if isinstance(model, IslandModel):
        assert sum(len(v) for v in model._owner.values()) == 0  # every child reached its island
        assert len(model.home) == 300


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_parallel_run_resumes_from_what_its_archive_holds(tmp_path: Path, algorithm: str) -> None:
    """Without replay (a parallel run): the islands or the grid are rebuilt from the archived candidates."""
    config = EvolveConfig(algorithm=algorithm, budget=150, population=20, init="random", seed=6)
    with quartic_engine(tmp_path, config, slots=3) as engine:
        (IslandModel(engine) if algorithm == "islands" else MapElites(engine)).run()
        first = [(r.seq, r.hash, r.fitness) for r in engine.archive.rows()]
    with quartic_engine(tmp_path, replace(config, budget=260), slots=3, replay=False) as engine:
        assert len(engine.resumed) == 150
        model = IslandModel(engine) if algorithm == "islands" else MapElites(engine)
        if isinstance(model, IslandModel):
            assert [len(island) for island in model.islands] == [5, 5, 5, 5]
            assert {c.seq for island in model.islands for c in island} == set(range(130, 150))
        else:
            best = max(c.score for c in engine.resumed if math.isfinite(c.score))
            assert best in {e.score for e in model.grid.values()} and len(model.grid) >= 10
        model.run()
        rows_ = list(engine.archive.rows())
    stored = [(r.seq, r.hash, r.fitness) for r in rows_]
    assert [s[0] for s in stored] == list(range(260)) and stored[:150] == first
    archived = {h for _, h, _ in first}
    assert sum(bool(set(r.parents) & archived) for r in rows_[150:170]) >= 10  # it went on from them


# ---------------------------------------------------------------------------------------- CLI, report


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_cli_evolve_then_best_show_and_report(tmp_path: Path, algorithm: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    db, html = tmp_path / "run.db", tmp_path / "run.html"
    own = ["--islands", "3", "--migration-interval", "30"] if algorithm == "islands" else ["--size-bins", "6"]
    code = main(["evolve", str(QUARTIC), "--evolve", "f", "--init", "random", "--budget", "120", "--population",
                 "12", "--algorithm", algorithm, *own, "--db", str(db), "--quiet"])  # another's: refused
    assert code == 0
    assert len(rows(db)) == 120
    identity = meta(db)
    assert identity["algorithm"] == algorithm
    if algorithm == "islands":
        assert (identity["islands"], identity["migration_interval"], identity["migrants"]) == (3, 30, 2)
    else:
        assert (identity["size_bins"], identity["behaviour_bins"]) == (6, 8)
    assert main(["best", str(db), "-n", "2"]) == 0 and main(["show", str(db)]) == 0
    assert main(["report", str(db), "-o", str(html)]) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in err and f"wrote {html}" in out
    page = html.read_text()
    assert f"<td>{algorithm}</td>" in page
    assert ("islands 3" if algorithm == "islands" else "size_bins 6") in page
    settings = page.split("<td>settings</td>")[1].split("</tr>")[0]  # only what the algorithm reads: the CLI refuses
    assert "offspring" not in settings and ("tournament" in settings) == (algorithm == "islands"), settings  # others
    best = Archive.read(db)
    try:
        assert best.best(1)[0].hash[:12] in page  # the best program is shown
    finally:
        best.close()


@pytest.mark.parametrize("algorithm", [*ALGORITHMS, "regularized"])
def test_an_ancestry_steps_to_the_row_that_was_the_parent(tmp_path: Path, algorithm: str) -> None:
    """`show --best` named a parent by its program's first row, though a later row of it (a cache hit, another
    operator at another generation) was the one in the population: generations went 19, then 17 (a fresh-user
    pass).  Each step is now the latest row of the parent's program made before the child, shallower than it."""
    from mlevolve.report import data

    run_quartic(tmp_path / "a.db", algorithm=algorithm, seed=3, budget=600, task="nguyen4")
    run = data.load(tmp_path / "a.db")
    again = sum(len(rows) > 1 for rows in run.made.values())
    assert again >= 10  # programs made more than once: the case
    for row in run.rows:
        if len(row.parents) == 1:  # a mutant is one generation deeper than its parent (picked the latest: wrong)
            assert run.parent_row(row.parents[0], row).generation == row.generation - 1, row.seq
        chain = [row.generation] + [step["generation"] for step in data.ancestry(run, row) if not step.get("missing")]
        assert all(a > b for a, b in itertools.pairwise(chain[1:])), (row.seq, chain)
    # the report's lineage holds the ancestry's rows and reaches its roots (it stopped at a program made twice)
    best = run.top[0]
    graph, left_out = data.lineage(run, best, limit=10_000)
    rows = {(a["seq"], a["hash"]) for a in data.ancestry(run, best) if not a.get("missing")}
    assert rows <= {(graph.nodes[n]["seq"], n.split("#")[0]) for n in graph} and left_out == 0
    assert all(graph.nodes[n]["missing"] or graph.nodes[n]["operator"] in ("init", "random") for n in graph
               if graph.in_degree(n) == 0)


def test_an_ancestry_says_which_step_a_program_made_again_repeats(tmp_path: Path, capsys: Any) -> None:
    """`show --best` listed a hash twice, unsaid (fix63): a program made again (an insert its canonical form undid,
    or a remove undoing an insert) is a row of its own, as the parent it was; its line now names the generation of
    the same program further back, and no other line says so."""
    from mlevolve.report import data

    db = tmp_path / "a.db"
    run_quartic(db, algorithm="regularized", seed=2, budget=400, population=100)
    run = data.load(db)
    chains = [data.ancestry(run, row) for row in run.rows]
    again = [(chain, i) for chain in chains for i, step in enumerate(chain) if step.get("again") is not None]
    assert again  # the case: seed 2 repeats two programs in its best's chain
    for chain in chains:
        for i, step in enumerate(chain):
            if step.get("missing"):
                continue
            older = [s["generation"] for s in chain[i + 1:] if s["hash"] == step["hash"]]
            assert step["again"] == (older[0] if older else None)
    assert main(["show", str(db), "--best"]) == 0
    lines = capsys.readouterr().out.split("ancestry:")[1].splitlines()
    shown = [line.split()[1] for line in lines if line.strip().startswith("<-")]
    for k, line in enumerate(lines[1:len(shown) + 1]):
        repeated = shown[k] in shown[k + 1:]
        assert ("(made again: the program of generation " in line) == repeated, line


def test_a_tournament_that_takes_a_whole_island_is_said_so_when_a_resume_is_refused(tmp_path: Path) -> None:
    """"tournament: archive has 10, now 10" (a fresh-user pass): 5 of an island of 5 draws every member, which 5 of
    an island of 10 does not.  Against another algorithm only the algorithm is said: what goes with it (the islands'
    own settings, how a tournament draws) needs no saying."""
    run_quartic(tmp_path / "a.db", budget=20, algorithm="islands", population=20, tournament=5,
                diversity=DiversityConfig(islands=2, migrants=1, migration_interval=10))
    with pytest.raises(MlevError) as refused:
        run_quartic(tmp_path / "a.db", budget=20, algorithm="islands", population=20, tournament=5,
                    diversity=DiversityConfig(islands=4, migrants=1, migration_interval=10))
    assert "tournament: archive has 5 (of an island of 10), now 5 (the whole island of 5)" in refused.value.message
    with pytest.raises(MlevError) as refused:
        run_quartic(tmp_path / "a.db", budget=20, population=20, tournament=5)
    assert refused.value.message == "archive was made with other settings (algorithm: archive has 'islands', now " \
                                    "'regularized')"


def test_a_mu_plus_lambda_report_gives_the_offspring_it_made(tmp_path: Path) -> None:
    """`offspring 0` was shown, the setting's internal 'as many as the population' (a fresh-user pass)."""
    run_quartic(tmp_path / "m.db", algorithm="mu_plus_lambda", budget=60)
    api.report(tmp_path / "m.db", tmp_path / "m.html")
    settings = (tmp_path / "m.html").read_text().split("<td>settings</td>")[1].split("</tr>")[0]
    assert "population 20" in settings and "offspring 20" in settings


def test_a_random_search_report_lists_only_the_settings_it_reads(tmp_path: Path) -> None:
    """A random search's report listed `population 100, tournament 10, mutation_prob 0.9, offspring 0` (a fresh-user
    pass), settings `mlevolve evolve --algorithm random` refuses as ignored."""
    run_quartic(tmp_path / "r.db", algorithm="random", budget=30)
    api.report(tmp_path / "r.db", tmp_path / "r.html")
    settings = (tmp_path / "r.html").read_text().split("<td>settings</td>")[1].split("</tr>")[0]
    assert "max_size" in settings and not any(k in settings for k in ("population", "tournament", "mutation", "offs"))


@pytest.mark.parametrize(("argv", "message"), [
    (["--algorithm", "islands", "--islands", "1"], "--islands must be at least 2, got 1"),
    (["--algorithm", "islands", "--population", "6", "--islands", "4"], "--population 6 is too small for --islands 4"),
    (["--algorithm", "islands", "--population", "8", "--islands", "4", "--migrants", "2"],  # its hint said 8
     "--population 8 is too small for --islands 4 with --migrants 2: each island needs at least 3 members"),
    (["--algorithm", "map-elites", "--behaviour-bins", "0"], "--behaviour-bins must be at least 1, got 0"),
    (["--algorithm", "map_elites"], "invalid choice: 'map_elites'"),
])
def test_cli_settings_out_of_range_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       argv: list[str], message: str) -> None:
    db = tmp_path / "bad.db"
    code = main(["evolve", str(QUARTIC), "--evolve", "f", "--budget", "10", "--db", str(db), "--quiet", *argv])
    _, err = capsys.readouterr()
    assert code == 2 and message in err and "Traceback" not in err
    assert err.startswith("mlevolve evolve: error: ")
    assert not db.exists()  # refused before the archive was made


def test_settings_of_another_algorithm_are_not_checked() -> None:
    DiversityConfig(islands=1, size_bins=0).check("regularized", 2)
    DiversityConfig(islands=1).check("map-elites", 2)
    with pytest.raises(MlevError, match="error: size_bins must be at least 1, got 0"):
        replace(DiversityConfig(), size_bins=0).check("map-elites", 2)
