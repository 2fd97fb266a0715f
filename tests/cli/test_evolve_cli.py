"""``mlevolve evolve``, ``mlevolve best`` and ``mlevolve export --db``: golden behaviour through
``mlevolve.cli.main``.

Mistakes end in exit status 2 with a one-line error (plus a hint) and no traceback, and touch no
archive; a finished run lists its best programs with the evolved definitions; an exported best
program, run as a script, prints the metrics the archive holds for it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.kinds import slot_body
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_expr
from mlevolve.gp.archive import Archive, Row
from mlevolve.interpreter.algebra import sympy_display
from mlevolve.results import SHOWN_DIGITS, rounded, shown_metric, simplified
from tests.conftest import ROOT, Capsys, archive_meta, cli, run_child, usage_error

QUARTIC = str(ROOT / "examples" / "quartic.mlev")
LINEAR = str(ROOT / "examples" / "linear_regression.mlev")
MLP = str(ROOT / "examples" / "mlp_digits.mlev")



def evolve_quartic(capsys: Capsys, db: Path, *extra: str, budget: int = 120) -> tuple[int, str, str]:
    return cli(capsys, "evolve", QUARTIC, "--evolve", "f", "--init", "random", "--budget", str(budget),
               "--population", "20", "--db", str(db), *extra)


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished quartic run, its best as found (the tests here read its candidates; the pruned: test_prune.py)."""
    db = tmp_path_factory.mktemp("finished") / "quartic.db"
    assert main(["evolve", QUARTIC, "--evolve", "f", "--init", "random", "--budget", "300", "--population", "30",
                 "--db", str(db), "--quiet", "--no-prune"]) == 0
    return db


def archive_rows(db: Path) -> list[Row]:
    with Archive.read(db) as archive:
        return list(archive.rows())


# ------------------------------------------------------------------------------------------ mistakes


def test_evolve_an_unknown_definition(capsys: Capsys, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    err = usage_error(capsys, "evolve", QUARTIC, "--evolve", "nope", "--db", str(db))
    assert err.splitlines()[0].endswith(f"error: --evolve 'nope' is not a definition of {QUARTIC}")
    assert "hint: definitions: f, or all" in err
    err = usage_error(capsys, "evolve", LINEAR, "--evolve", "linreg.setup", "--db", str(db))
    # setup is optional: "not a definition" hid that the learner can have one (a fresh-user pass)
    assert err.splitlines()[0].endswith(f"error: --evolve 'linreg.setup': learner 'linreg' of {LINEAR} has no setup "
                                        "method (it is optional)")
    assert err.splitlines()[-1] == ("hint: add one to evolve it, e.g. setup() -> Vector = ... (its state at the "
                                    "start); definitions: linreg.predict, linreg.learn, linreg (all its methods), "
                                    "or all")
    err = usage_error(capsys, "evolve", LINEAR, "--evolve", "linreg.fit", "--db", str(db))
    assert "definitions: linreg.predict, linreg.learn, linreg (all its methods), or all" in err  # after the closest one
    err = usage_error(capsys, "evolve", MLP, "--evolve", "act,relu", "--db", str(db))
    assert "'relu' is not a definition" in err and "act, xent, net, momentum, constant" in err
    assert not db.exists()


@pytest.mark.parametrize(("flags", "message"), [
    (["--budget", "0"], "--budget must be at least 1, got 0"),
    (["--budget", "-3"], "argument --budget: invalid int value: '-3'"),  # no sign: the one rule of an integer
    (["--population", "1"], "--population must be at least 2, got 1"),
    (["--tournament", "0"], "--tournament must be at least 1"),
    (["--epochs", "0"], "--epochs"),
    (["--budget", "many"], "argument --budget: invalid int value: 'many'"),
    (["--algorithm", "hillclimb"], "argument --algorithm: invalid choice: 'hillclimb'"),
    (["--init", "zeros"], "argument --init: invalid choice: 'zeros'"),
])
def test_evolve_bad_flags(capsys: Capsys, tmp_path: Path, flags: list[str], message: str) -> None:
    db = tmp_path / "x.db"
    err = usage_error(capsys, "evolve", QUARTIC, "--db", str(db), *flags)
    assert message in err
    assert len([line for line in err.splitlines() if "error" in line]) == 1
    assert not db.exists()


def test_evolve_an_unknown_task(capsys: Capsys, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    err = usage_error(capsys, "evolve", QUARTIC, "--task", "nope", "--db", str(db))
    assert err.splitlines()[0] == "mlevolve evolve: error: unknown task 'nope'"
    assert "koza_quartic" in err and "hint:" in err
    err = usage_error(capsys, "evolve", QUARTIC, "--task", "digits", "--db", str(db))  # a task of another kind
    assert "a formula program cannot run on task 'digits'" in err and "formula tasks: koza_quartic" in err
    assert not db.exists()


def test_evolve_a_missing_file(capsys: Capsys, tmp_path: Path) -> None:
    err = usage_error(capsys, "evolve", str(tmp_path / "none.mlev"), "--db", str(tmp_path / "x.db"))
    assert "no such file" in err


def test_evolve_into_another_programs_archive(capsys: Capsys, tmp_path: Path, finished: Path) -> None:
    db = tmp_path / "theirs.db"
    db.write_bytes(finished.read_bytes())
    before = db.read_bytes()
    log = tmp_path / "log.jsonl"
    err = usage_error(capsys, "evolve", LINEAR, "--budget", "5", "--db", str(db), "--json-log", str(log))
    first = err.splitlines()[0]
    assert first.startswith(f"{db}: error: archive belongs to another run: program 'quartic' (evolving f) "
                            "on task 'koza_quartic'")
    assert "hint: pass another --db" in err
    assert db.read_bytes() == before
    assert not log.exists()  # nothing started: no log either
    # the same program with other settings
    err = usage_error(capsys, "evolve", QUARTIC, "--evolve", "f", "--init", "random", "--budget", "300",
                      "--population", "31", "--db", str(db))
    assert "archive was made with other settings (--population: archive has 30, now 31)" in err  # as typed
    assert err.splitlines()[1] == "hint: rerun with --population 30 to resume, or pass another --db"  # to type
    assert db.read_bytes() == before
    # five settings changed: three shown, the others named (only three were said: fixed, the next refusal followed)
    err = usage_error(capsys, "evolve", QUARTIC, "--evolve", "f", "--init", "random", "--budget", "300",
                      "--population", "31", "--tournament", "4", "--seed", "9", "--restart-every", "50",
                      "--no-fit", "--db", str(db))
    assert err.splitlines()[0].endswith("; and 2 more: --seed, --fit)"), err  # it said "seed, fit" (API names)
    assert err.splitlines()[1] == ("hint: rerun with --restart-every 0 --population 30 --tournament 10 --seed 0 --fit "
                                   "to resume, or pass another --db")  # a switch as typed too (it gave general words)
    # a switch by its own name and its value said (it was "--no-fit: archive has True, now False", as if --no-fit had
    # been on), and a diversity setting by its flag (it was "islands: ..."; both found by a fresh-user pass)
    err = usage_error(capsys, "evolve", QUARTIC, "--evolve", "f", "--init", "random", "--budget", "300",
                      "--population", "30", "--no-fit", "--db", str(db))
    assert "archive was made with other settings (--fit: archive has on, now off)" in err
    assert err.splitlines()[1] == "hint: rerun with --fit to resume, or pass another --db"  # as typed (stop 48)
    err = usage_error(capsys, "evolve", QUARTIC, "--evolve", "f", "--init", "random", "--budget", "300",
                      "--population", "30", "--algorithm", "islands", "--islands", "3", "--db", str(db))
    # the islands' own settings go with the algorithm, unsaid: it said "--islands: archive has None, now 3; and 2
    # more: --migration-interval, --migrants" (defaults never typed; a fresh-user pass)
    assert "other settings (--algorithm: archive has 'regularized', now 'islands')\n" in err
    for algorithm in ("nsga2", "map-elites", "mu_plus_lambda", "random"):  # each reads other settings: they listed
        err = usage_error(capsys, "evolve", QUARTIC, "--evolve", "f", "--init", "random", "--budget", "300",  # what
                          "--algorithm", algorithm, "--db", str(db))  # they refuse (--tournament, --population)
        assert f"other settings (--algorithm: archive has 'regularized', now '{algorithm}')\n" in err, err
    islands = tmp_path / "islands.db"
    base = ["evolve", QUARTIC, "--evolve", "f", "--init", "random", "--population", "30", "--algorithm", "islands"]
    assert cli(capsys, *base, "--budget", "40", "--quiet", "--db", str(islands))[0] == 0
    err = usage_error(capsys, *base, "--budget", "60", "--islands", "3", "--migrants", "1", "--db", str(islands))
    assert "other settings (--islands: archive has 4, now 3; --migrants: archive has 2, now 1)" in err
    assert "hint: rerun with --islands 4 --migrants 2 to resume" in err  # the settings to type
    grammar = tmp_path / "g.grammar.toml"
    grammar.write_text('version = 1\nextends = "base"\n[weights]\n"add(Scalar,Scalar)" = 2.0\n')
    err = usage_error(capsys, *base, "--budget", "60", "--grammar", str(grammar), "--db", str(islands))
    assert "--grammar: archive has 'base:" in err  # a grammar's label is no file to type: the general words
    assert "hint: rerun with the archive's settings to resume, or pass another --db" in err


def test_a_random_search_resumes_whatever_init_it_was_made_with(capsys: Capsys, tmp_path: Path) -> None:
    """Random search reads no --init, yet it was part of the archive's identity: the same search made with
    ``--init random`` was refused without it ("init: archive has 'random', now 'file'"; a fresh-user pass)."""
    db, again = tmp_path / "r.db", tmp_path / "again.db"
    base = ["evolve", QUARTIC, "--task", "nguyen4", "--algorithm", "random", "--quiet"]
    assert cli(capsys, *base, "--init", "random", "--budget", "8", "--db", str(db))[0] == 0
    assert cli(capsys, *base, "--budget", "12", "--db", str(db))[0] == 0
    assert cli(capsys, *base, "--init", "random", "--budget", "16", "--db", str(db))[0] == 0
    assert cli(capsys, *base, "--budget", "16", "--db", str(again))[0] == 0
    with Archive.read(db) as resumed, Archive.read(again) as whole:
        assert [r.hash for r in resumed.rows()] == [r.hash for r in whole.rows()]


def test_a_run_records_the_environments_it_ran_in(capsys: Capsys, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """``MLEVOLVE_NO_JIT=1`` scores on the NumPy reference, whose last digits may differ from the numba kernels';
    a run resumed under it said nothing and its archive did not record it (a fresh-user pass)."""
    db = tmp_path / "e.db"
    base = ["evolve", QUARTIC, "--task", "nguyen4", "--db", str(db)]
    monkeypatch.delenv("MLEVOLVE_NO_JIT", raising=False)
    assert cli(capsys, *base, "--budget", "8", "--quiet")[0] == 0
    code, _, err = cli(capsys, *base, "--budget", "10")  # the same environment: recorded once, nothing said
    assert code == 0 and "resuming" in err and "another environment" not in err
    monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    code, _, err = cli(capsys, *base, "--budget", "12")
    assert code == 0 and "note: this archive's last run was in another environment (kernels: numba -> numpy)" in err
    monkeypatch.delenv("MLEVOLVE_NO_JIT")  # back: said again, against the last run's (a fresh-user pass)
    code, _, err = cli(capsys, *base, "--budget", "14")
    assert code == 0 and "(kernels: numpy -> numba)" in err
    envs = archive_meta(db)["environments"]
    assert [e["kernels"] for e in envs] == ["numba", "numpy", "numba"] and envs[0]["packages"]["numpy"]
    # --quiet and --json keep it (a note, not progress): on stderr, and in the JSON (a fresh-user pass)
    monkeypatch.setenv("MLEVOLVE_NO_JIT", "1")
    code, out, err = cli(capsys, *base, "--budget", "16", "--quiet")
    assert code == 0 and err == "note: this archive's last run was in another environment (kernels: numba -> numpy): " \
        "its candidates are kept, new ones may score apart in the last digits\n" and out.startswith("best ")
    monkeypatch.delenv("MLEVOLVE_NO_JIT")
    code, out, _ = cli(capsys, *base, "--budget", "18", "--json")
    assert code == 0 and json.loads(out)["environment_changed"] == ["kernels: numpy -> numba"]
    code, out, _ = cli(capsys, *base, "--budget", "20", "--json")
    assert code == 0 and json.loads(out)["environment_changed"] == []
    assert "torch_cpu_capability" not in envs[0]  # a run's coordinator need not import PyTorch to record it


@pytest.mark.parametrize("content", [b"\x00\x01garbage" * 300, b"just some text\n" * 50])
def test_evolve_into_a_corrupt_archive(capsys: Capsys, tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "corrupt.db"
    db.write_bytes(content)
    err = usage_error(capsys, "evolve", QUARTIC, "--budget", "5", "--db", str(db))
    assert err.splitlines()[0].startswith(f"{db}: error: not an mlevolve archive")
    assert "hint:" in err
    assert db.read_bytes() == content
    err = usage_error(capsys, "best", str(db))
    assert "not an mlevolve archive" in err
    err = usage_error(capsys, "export", "--db", str(db), "-o", str(tmp_path / "out.py"))
    assert "not an mlevolve archive" in err
    assert not (tmp_path / "out.py").exists()


def test_evolve_into_a_locked_archive(capsys: Capsys, tmp_path: Path) -> None:
    db = tmp_path / "busy.db"
    assert evolve_quartic(capsys, db, "--quiet", budget=10)[0] == 0
    with Archive.read(db) as reader:
        identity = reader.meta()
    with Archive.for_run(db, {k: v for k, v in identity.items() if k not in ("schema_version", "created",
                                                                               "summary")}):
        err = usage_error(capsys, "evolve", QUARTIC, "--evolve", "f", "--init", "random", "--budget", "20",
                          "--population", "20", "--db", str(db))
        assert "archive is locked: another mlevolve run is writing it" in err
    assert len(archive_rows(db)) == 10


def test_best_and_export_mistakes(capsys: Capsys, tmp_path: Path, finished: Path) -> None:
    assert "no such archive" in usage_error(capsys, "best", str(tmp_path / "none.db"))
    assert "-n must be at least 1, got 0" in usage_error(capsys, "best", str(finished), "-n", "0")
    out = str(tmp_path / "out.py")
    err = usage_error(capsys, "export", QUARTIC, "--db", str(finished), "-o", out)
    assert "give either FILE or --db, not both" in err
    assert "nothing to export" in usage_error(capsys, "export", "-o", out)
    assert "no program with hash" in usage_error(capsys, "export", "--db", str(finished), "--hash", "zz", "-o", out)
    assert "not allowed with argument" in usage_error(capsys, "export", "--db", str(finished), "--best", "--hash",
                                                      "ab", "-o", out)
    assert not Path(out).exists()


# --------------------------------------------------------------------------------------------- runs
def shown_best(db: Path) -> Row:
    """The run's best as every command names it (``Archive.best``: of the programs tied with the fittest
    within float rounding, the smallest), or its pruned form where the run pruned it (``mlevolve.gp.prune``)."""
    from mlevolve.report import data

    return data.behaviours(data.load(db, top=1))[0].representative



def test_quiet_prints_one_line(capsys: Capsys, tmp_path: Path) -> None:
    code, out, err = evolve_quartic(capsys, tmp_path / "q.db", "--quiet", "--no-prune")  # pruned: test_prune.py
    assert (code, err) == (0, "")
    best = shown_best(tmp_path / "q.db")
    assert re.fullmatch(rf"best train_r2 {best.fitness:.5g} \((better than|no gain over|WORSE than) the start's "
                        rf"\S+\); hash {best.hash[:12]}; 120 candidates; archive {re.escape(str(tmp_path / 'q.db'))}\n",
                        out)
    assert len(archive_rows(tmp_path / "q.db")) == 120


def test_a_run_reports_progress_and_its_best(capsys: Capsys, tmp_path: Path) -> None:
    db = tmp_path / "loud.db"
    code, out, err = evolve_quartic(capsys, db)
    assert code == 0
    scoring, *progress = err.splitlines()
    assert scoring == "scoring: in process"  # where the candidates are scored, first (tests/cli/test_scoring_line.py)
    assert len(progress) == 20  # every budget/20 candidates, on a stream that is not a terminal
    assert progress[-1].startswith("[   120/120] fittest train_r2 ")
    # a formula has no hurdle: no count of it (always 0) on the progress lines or in the summary
    line = r"\[ +\d+/120\] fittest train_r2 \S+  cache \d+  fec \d+  probe \d+  failed \d+  \("  # no hurdle count
    assert all(re.match(line, p) for p in progress)
    lines = out.splitlines()
    assert re.fullmatch(r"120 candidates \(0 from the archive\): evaluated \d+, cache \d+, fec \d+, "
                        r"probe \d+, failed \d+; fitting \d{1,3}(,\d{3})* evaluations",  # 1,476
                        lines[0])  # fitted: the default
    assert re.fullmatch(rf"archive: {re.escape(str(db))}  \(search [0-9.]+ s\)", lines[1])  # what is timed
    best = shown_best(db)
    assert lines[3] == "metric:  train_r2 on the training split (higher is better); fitness = train_r2"
    assert lines[5].startswith(f"best:    train_r2 {best.fitness:.5g}  test_r2 ")  # R² once: the metric is one
    pruned = "the prune of " * (best.source == "pruned")  # its own hash, its candidate's seq: the pruned line says
    assert lines[5].endswith(f"(hash {best.hash[:12]}, {pruned}candidate {best.seq})")  # the candidate's hash
    shown = out.split("best program:\n")[1].split("\n\n")[0]
    assert shown.splitlines()[0] == "    formula f(x: Scalar) -> Scalar ="
    assert best.simplified is not None  # shown simplified (what the archive keeps beside what was evaluated),
    # its constants to SHOWN_DIGITS significant digits
    # (the shown form: results.simplified, which goes further than the archive's column)
    shown_body = format_expr(slot_body(rounded(simplified(parse(best.simplified)), SHOWN_DIGITS), "f"))
    body, _, algebra = shown.split("=\n")[1].partition("\nas algebra (SymPy):\n")
    assert shown_body == body.strip()
    sympy = sympy_display(api.formula_sympy(api.parse(best.program)), SHOWN_DIGITS)[0]  # where it reads otherwise
    assert algebra.strip() == ("" if sympy.replace(" ", "") == shown_body.replace(" ", "") else sympy)
    # resumed: everything from the archive, the same answer
    code, again, err = evolve_quartic(capsys, db)
    assert code == 0 and again.startswith("120 candidates: 120 replayed from the archive, 0 new (evaluated 0, cache 0")
    assert again.splitlines()[2:] == lines[2:]


def test_json_log_writes_one_line_per_candidate(capsys: Capsys, tmp_path: Path) -> None:
    db, log = tmp_path / "j.db", tmp_path / "log.jsonl"
    code, out, err = evolve_quartic(capsys, db, "--quiet", "--json-log", str(log), budget=80)
    assert (code, out.count("\n"), err) == (0, 1, "")
    lines = log.read_text().splitlines()
    assert len(lines) == 80
    entries = [json.loads(line) for line in lines]
    stored = archive_rows(db)
    assert [e["seq"] for e in entries] == list(range(80))
    for e, r in zip(entries, stored, strict=True):
        assert set(e) == {"seq", "hash", "source", "fitness", "failure", "generation", "size"}
        assert (e["hash"], e["source"], e["generation"], e["size"]) == (r.hash, r.source, r.generation, r.size)
        assert e["fitness"] == r.fitness
        assert (e["failure"] is None) == (r.failure is None)


def test_best_lists_ranked_programs_with_their_evolved_definitions(capsys: Capsys, finished: Path) -> None:
    code, out, err = cli(capsys, "best", str(finished), "-n", "3")
    assert (code, err) == (0, "")
    # Expected, from the rows: a formula is always fingerprinted (an FEC row carries the fingerprint it
    # matched) and has training and test metrics, so behaviours are the connected components of "same
    # fingerprint" and "same measures to 8 significant digits"; each shown by its fittest, earliest program.
    rows = archive_rows(finished)
    firsts = {r.hash: r for r in reversed(rows) if r.fitness is not None}
    owner = {h: h for h in firsts}

    def find(h: str) -> str:
        while owner[h] != h:
            h = owner[h]
        return h

    keys: dict[object, str] = {}
    for r in rows:
        if r.hash not in firsts:
            continue
        measures = tuple(sorted((k, float(f"{v:.8g}")) for k, v in r.metrics.items()
                                if k in ("train_mse", "train_r2", "test_mse", "test_r2")))
        for key in ((("print", r.fingerprint),) if r.fingerprint is not None else ()) + (("metrics", measures),):
            if key in keys:
                owner[find(r.hash)] = find(keys[key])
            else:
                keys[key] = r.hash
    groups: dict[str, list[Row]] = {}
    for r in firsts.values():
        groups.setdefault(find(r.hash), []).append(r)
    def shown(rows: list[Row]) -> list[Row]:
        """Fittest first, earliest first among equals; a run of rows tied within float rounding with
        its first (1e-9 relative, at least on R²'s scale of 1) listed smallest first (results.shown_order)."""
        ranked = sorted(rows, key=lambda r: (-r.fitness, r.seq))  # type: ignore[operator]
        out: list[Row] = []
        while ranked:
            top = ranked[0].fitness
            run = [r for r in ranked if abs(r.fitness - top) <= 1e-9 * max(1.0, abs(r.fitness), abs(top))]  # type: ignore[operator, arg-type]
            out += sorted(run, key=lambda r: r.size)
            ranked = [r for r in ranked if r not in run]
        return out

    members = [shown(g) for g in groups.values()]
    ordered = [next(m for m in members if m[0] is r) for r in shown([m[0] for m in members])]

    def text(r: Row) -> str:  # as listed: simplified, its constants to SHOWN_DIGITS significant digits
        assert r.simplified is not None
        return format_expr(slot_body(rounded(simplified(parse(r.simplified)), SHOWN_DIGITS), "f"))

    listed: dict[str, list[Row]] = {}  # one entry per shown text, the best ranked of them (data.distinct)
    alike: dict[str, list[Row]] = {}
    for m in ordered:
        if text(m[0]) in listed:
            alike[text(m[0])] += m
        else:
            listed[text(m[0])], alike[text(m[0])] = m, []
    ranked = list(listed.values())[:3]
    header, *blocks = out.rstrip("\n").split("\n\n")
    with Archive.read(finished) as archive:
        begun = archive.meta()["start"]  # the run began from random programs: the file's, evaluated apart
    first = blocks[0].splitlines()[0]
    assert header.splitlines() == [
        f"start:   train_r2 {begun['metrics']['train_r2']:.5g}  test_r2 {begun['metrics']['test_r2']:.5g}   "
        "(the file's program, evaluated apart: the run started from random programs)",
        f"best:    {header.splitlines()[1][9:]}", f"verdict: {header.splitlines()[2][9:]}"]
    assert f"(hash {first.split('hash ')[1][:12]}, " in header.splitlines()[1]  # the list's first: the fittest
    assert "worse than the start" in header.splitlines()[2].lower()  # quartic.mlev is the exact target
    assert len(blocks) == 3
    for rank, (block, group) in enumerate(zip(blocks, ranked, strict=True), 1):
        r = group[0]
        lines = block.splitlines()
        assert lines[0] == (f"#{rank}  train_r2 {shown_metric(r.fitness)}  hash {r.hash[:12]}  (candidate {r.seq}, "
                            f"{r.operator}, generation {r.generation})")
        assert lines[1].startswith("    train_mse ") and "test_mse" in lines[1] and "train_seconds" not in lines[1]
        if len(group) > 1:
            word = "program" if len(group) == 2 else "programs"
            same = lines.pop(2)
            assert same.startswith(f"    + {len(group) - 1} more {word} with the same behaviour: ")
            assert same.split(": ")[1].split(", ")[:4] == [m.hash[:12] for m in group[1:5]]
        if others := alike[text(r)]:
            word = "program" if len(others) == 1 else "programs"
            assert lines.pop(2).startswith(f"    + {len(others)} more {word} shown alike, ranked lower: "
                                           f"{others[0].hash[:12]} (train_r2 ")
        assert lines[2] == "    formula f(x: Scalar) -> Scalar ="
        assert lines[3:] == ["      " + text(r)]
        assert "algorithm quartic" not in block  # only the evolved definition
    # -n larger than the archive's distinct successes
    code, out, _ = cli(capsys, "best", str(finished), "-n", "100000")
    assert code == 0 and out.count("\n#") == len(listed)


def test_best_shows_only_the_evolved_definitions(capsys: Capsys, tmp_path: Path) -> None:
    """A supervised program evolving `act`: best shows that activation, not the loss, model or optimizer."""
    db = tmp_path / "mlp.db"
    program = Path(MLP).read_text().replace("relu(x)", "tanh(x) * x")
    with Archive.for_run(db, {"program_hash": "p", "task": "digits", "evolve": ["act"]}) as archive:
        archive.add(Row(0, "ab" * 16, program, 0.9, {"fitness": 0.9, "val_accuracy": 0.9, "train_seconds": 1.0},
                        None, None, "evaluated", None, "wrap", (), 3, 4, 1.0))
        archive.add(Row(1, "cd" * 16, program, None, {}, "boom", "probe", "probe", None, "wrap", (), 3, 4, 1.0))
    code, out, _ = cli(capsys, "best", str(db))
    assert code == 0
    assert out == ("#1  val_accuracy 0.9  hash abababababab  (candidate 0, wrap, generation 3)\n"
                   "    val_accuracy 0.9\n"
                   "    activation act(x: Tensor) -> Tensor =\n"
                   "      tanh(x) * x\n\n")
    empty = tmp_path / "empty.db"
    with Archive.for_run(empty, {"program_hash": "p", "task": "digits", "evolve": ["act"]}) as archive:
        archive.add(Row(0, "cd" * 16, program, None, {}, "boom", "probe", "probe", None, "init", (), 0, 4, 1.0))
    code, out, _ = cli(capsys, "best", str(empty))
    assert (code, out) == (0, f"{empty}: no candidate with a fitness yet: every one so far failed (1); the most "
                              f"common reason (1 of 1): boom\nhint: see one with `mlevolve show {empty} {'cd' * 6}`\n")


def _script_metrics(path: Path) -> dict[str, Any]:
    done = run_child([sys.executable, str(path), "--json"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.e2e
def test_export_the_best_program_of_a_run(capsys: Capsys, tmp_path: Path, finished: Path) -> None:
    out = tmp_path / "best.py"
    code, stdout, err = cli(capsys, "export", "--db", str(finished), "--best", "-o", str(out))
    assert (code, err) == (0, "")
    assert re.fullmatch(rf"wrote {re.escape(str(out))} \(\d+ lines\); run it with: python {re.escape(str(out))} "
                        r"--json\n", stdout)
    with Archive.read(finished) as archive:
        (best,) = archive.best(1)
    source = out.read_text()
    assert best.simplified is not None  # found programs are written simplified (same values on every input)
    body = best.simplified.split("formula f(x: Scalar) -> Scalar =\n")[1]  # in the docstring, wrapped at 120 columns
    assert " ".join(body.split()) in " ".join(source.split())
    metrics = _script_metrics(out)
    assert metrics["failure"] is None and metrics["task"] == "koza_quartic"
    expected = {k: v for k, v in best.metrics.items() if k not in ("train_seconds", "fit_evaluations")}
    assert {k: metrics[k] for k in expected} == expected
    # --best is the default; --hash picks another program by a prefix of its hash
    other = [r for r in archive_rows(finished) if r.fitness is not None and r.hash != best.hash][-1]
    out2 = tmp_path / "other.py"
    assert cli(capsys, "export", "--db", str(finished), "--hash", other.hash[:16], "-o", str(out2))[0] == 0
    metrics = _script_metrics(out2)
    search_only = ("train_seconds", "fit_evaluations")  # the cost of fitting is the search's, not the script's
    assert {k: metrics[k] for k in other.metrics if k not in search_only} == \
        {k: v for k, v in other.metrics.items() if k not in search_only}


@pytest.mark.e2e
def test_export_the_best_learner_of_a_run(capsys: Capsys, tmp_path: Path) -> None:
    """The exported script scores the best as the run did: on the run's fixed tasks (``fresh=0``; on tasks drawn per
    candidate no later run has the candidate's draw: tests/gp/test_prune.py, the export's line says so)."""
    db = tmp_path / "lr.db"
    assert cli(capsys, "evolve", LINEAR, "--evolve", "linreg.learn", "--budget", "40", "--population", "8",
               "--task", "linear:fresh=0", "--db", str(db), "--quiet")[:3:2] == (0, "")
    out = tmp_path / "lr.py"
    assert cli(capsys, "export", "--db", str(db), "-o", str(out))[0] == 0
    shown = api.best(db, n=1)[0]  # the best as shown: pruned where the prune kept an edit (the export's program)
    metrics = _script_metrics(out)
    searched = ("train_seconds", "fit_evaluations")  # the search's costs, not the program's metrics
    assert {k: metrics[k] for k in shown["metrics"] if k not in searched} == \
        {k: v for k, v in shown["metrics"].items() if k not in searched}


def test_the_algorithm_and_seed_are_recorded(capsys: Capsys, tmp_path: Path) -> None:
    """(--no-hurdle was recorded here too; a formula's is refused now, as it reads none: test_unread_settings.)"""
    db = tmp_path / "nh.db"
    code, _, _ = evolve_quartic(capsys, db, "--quiet", "--algorithm", "nsga2", "--seed", "4", budget=40)
    assert code == 0
    meta = archive_meta(db)
    assert (meta["hurdle"], meta["algorithm"], meta["seed"], meta["evolve"]) == (True, "nsga2", 4, ["f"])
    assert meta["summary"]["candidates"] == 40


def test_json_programs_keep_every_digit_unless_digits_is_given(capsys: Capsys, tmp_path: Path) -> None:
    """``evolve --json`` is read by programs: ``best_program`` (the whole program, ready to run) and
    ``answer.best.program`` (the evolved part) keep every digit of their literals, the archive's; the
    summary a person reads rounds them to ``SHOWN_DIGITS``; ``--digits N`` given with ``--json`` rounds
    ``answer.best.program`` (never ``best_program``)."""
    from mlevolve.dsl.simplify import constant_value
    from mlevolve.dsl.traverse import preorder
    from mlevolve.results import shown_program

    db = tmp_path / "q.db"
    code, text, _ = evolve_quartic(capsys, db, "--json", "--no-prune", budget=60)
    assert code == 0
    result = json.loads(text)
    with Archive.read(db) as archive:
        best = archive.get(result["best_hash"])
    assert best is not None and best.simplified is not None

    def literals(text: str) -> list[float]:  # of a whole program, or of the evolved definitions alone
        from mlevolve.dsl.parse import parse_expr

        body = slot_body(parse(text), "f") if text.startswith("algorithm") else parse_expr(text.split("=\n", 1)[1])
        return [v for n in preorder(body) if (v := constant_value(n)) is not None]

    whole = literals(best.simplified)
    assert any(len(repr(v)) > 8 for v in whole)  # fitted constants: more digits than SHOWN_DIGITS show
    assert literals(result["best_program"]) == whole == literals(result["answer"]["best"]["program"])
    assert result["answer"]["best"]["program"] == shown_program(best.program, only=["f"])
    # the same run, resumed: the summary rounds; --select accuracy: its answer is this best (the default, PySR's pick,
    # is a size-4 formula of this front within 1.5x the least train MSE, not the fittest one of size 19)
    code, people, _ = evolve_quartic(capsys, db, "--no-prune", "--select", "accuracy", budget=60)
    assert code == 0 and shown_program(best.program, only=["f"], digits=SHOWN_DIGITS).splitlines()[-1] in people
    code, text, _ = evolve_quartic(capsys, db, "--json", "--digits", "3", "--no-prune", budget=60)
    result = json.loads(text)
    assert literals(result["best_program"]) == whole
    assert literals(result["answer"]["best"]["program"]) == [float(f"{v:.3g}") for v in whole]


def test_a_missing_archive_names_its_closest_neighbour_and_where_runs_write_one(tmp_path: Path,
                                                                               capsys: Capsys) -> None:
    (tmp_path / "quartic.db").write_bytes(b"")
    for command in ("best", "report", "export"):
        err = usage_error(capsys, command, str(tmp_path / "quartc.db"), *(["-o", "-"] * (command == "export")))
        assert err.splitlines()[-1] == "hint: did you mean 'quartic.db'? a run's archive is the file `mlevolve " \
            "evolve` writes (default runs/<program>-<task>.db)"
    assert usage_error(capsys, "best", str(tmp_path / "zzz.db")).splitlines()[-1] == \
        "hint: a run's archive is the file `mlevolve evolve` writes (default runs/<program>-<task>.db)"
    (tmp_path / "q1.db").write_bytes(b"")  # compared by name, the suffix aside: q is closest to q1, not to quartic
    assert "did you mean 'q1.db'?" in usage_error(capsys, "best", str(tmp_path / "q.db"))
    assert usage_error(capsys, "best", "/dev/null").splitlines()[0] == "/dev/null: error: not an archive: not a file"


def test_the_hurdles_count_is_reported_where_a_hurdle_can_answer(tmp_path: Path) -> None:
    """A learner's (or formula's) candidates are never stopped by a hurdle: its result's hurdle count is None, where
    a network's, trained for epochs, has one (0 here: the hurdle waits for its warm-up)."""
    learner = api.evolve(str(ROOT / "examples" / "linear_regression.mlev"), budget=6, db=tmp_path / "l.db", quiet=True)
    network = api.evolve(str(ROOT / "examples" / "mlp_digits.mlev"), budget=2, db=tmp_path / "n.db", quiet=True)
    assert learner["hurdle"] is None and network["hurdle"] == 0


def test_another_program_of_the_same_name_at_the_default_archive_gets_a_free_one(
        capsys: Capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exported ``.mlev`` keeps its algorithm's name, so its default archive is the run's it came from: the
    refusal names a free --db to type (it said only "pass another --db"; a fresh-user pass)."""
    monkeypatch.chdir(tmp_path)
    found = tmp_path / "found.mlev"
    found.write_text(Path(QUARTIC).read_text().replace("x * x * x * x", "x * x"))  # the program, edited
    assert cli(capsys, "evolve", QUARTIC, "--budget", "5", "--quiet")[0] == 0
    (tmp_path / "runs" / "quartic-koza_quartic-2.db").write_bytes(b"")  # taken: the next one is offered
    err = usage_error(capsys, "evolve", str(found), "--budget", "5")
    assert err.splitlines()[0].startswith("runs/quartic-koza_quartic.db: error: archive belongs to another run")
    assert err.splitlines()[1] == ("hint: it is the default archive (runs/<program>-<task>.db) of program 'quartic' "
                                   "on this task, made by another run: pass another --db to start a new one, e.g. "
                                   "--db runs/quartic-koza_quartic-3.db")
    free = "runs/quartic-koza_quartic-3.db"
    assert cli(capsys, "evolve", str(found), "--budget", "5", "--quiet", "--db", free)[0] == 0
