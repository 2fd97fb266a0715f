"""A resumed run says what it resumes, and a run stopped before it saved anything says there is nothing to resume.

Found by a new user's pass: a resumed ``evolve`` started with the progress of candidates it replayed, not a word
about the archive; a Ctrl-C while the run was starting (its task loading, its workers booting) printed only
"interrupted", with no command to start it again.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from mlevolve import api
from tests.conftest import EXAMPLES, Capsys, cli

QUARTIC = str(EXAMPLES / "quartic.mlev")


def test_a_resumed_run_starts_with_what_it_resumes(tmp_path: Path, capsys: Capsys) -> None:
    db = tmp_path / "r.db"
    code, _, err = cli(capsys, "evolve", QUARTIC, "--budget", "4", "--db", str(db))
    assert code == 0 and "resuming" not in err  # a new run
    code, _, err = cli(capsys, "evolve", QUARTIC, "--budget", "6", "--db", str(db))
    assert code == 0 and err.splitlines()[:2] == [  # its first line, as README says; then where it scores
        f"resuming {db}: 4 candidates archived, 2 more to reach the budget of 6", "scoring: in process"]
    code, _, err = cli(capsys, "evolve", QUARTIC, "--budget", "3", "--db", str(db))
    assert code == 0 and err.splitlines()[0] == (f"resuming {db}: it holds 6 candidates; the budget of 3 is reached, "
                                                 "so nothing new is evaluated")
    code, _, err = cli(capsys, "evolve", QUARTIC, "--budget", "6", "--db", str(db), "--quiet")
    assert code == 0 and err == ""  # --quiet: the one-line summary only


def test_a_resume_of_one_candidate_is_written_in_the_singular() -> None:
    assert api.resuming_line("r.db", 1, 5) == "resuming r.db: 1 candidate archived, 4 more to reach the budget of 5"


def test_a_stop_before_the_archive_is_open_says_there_is_nothing_to_resume(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # as a Ctrl-C while the task's data is read

    monkeypatch.setattr(api.search, "_ready", stopped)
    db = tmp_path / "r.db"
    code, out, err = cli(capsys, "evolve", QUARTIC, "--budget", "4", "--db", str(db))
    assert (code, out) == (130, "")
    assert err.splitlines() == ["mlevolve evolve: interrupted before the run began: nothing new was saved",
                                f"start it again with the same command: mlevolve evolve {QUARTIC} --budget 4 --db {db}"]
    assert not db.exists()


@pytest.mark.parametrize(("stop", "first"), [
    (KeyboardInterrupt(), "mlevolve meta: interrupted before the run began: nothing new was saved"),
    (api.RunInterrupted("m.db", 0), "mlevolve meta: interrupted before any finished inner run was saved: nothing to "
                                    "resume"),
    (api.RunInterrupted("m.db", 1), "mlevolve meta: interrupted; 1 finished inner run is saved in m.db"),
    (api.RunInterrupted("m.db", 7), "mlevolve meta: interrupted; 7 finished inner runs are saved in m.db"),
])
def test_a_stopped_meta_run_says_what_it_saved_as_evolve_does(
        stop: KeyboardInterrupt, first: str, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by a new user's pass: ``meta`` stopped while its configuration's data was read said "its archive
    keeps every finished inner run", with no archive yet."""
    def stopped(*args: object, **kwargs: object) -> None:
        raise stop

    monkeypatch.setattr(api, "meta", functools.wraps(api.meta)(stopped))  # the parser reads its signature
    code, out, err = cli(capsys, "meta", "c.toml", "--db", "m.db")
    again = "resume with" if "saved in" in first else "start it again with"
    assert (code, out) == (130, "")
    assert err.splitlines() == [first, f"{again} the same command: mlevolve meta c.toml --db m.db"]


def test_a_resumed_runs_first_progress_line_counts_past_what_its_archive_holds(tmp_path: Path, capsys: Capsys) -> None:
    """Found by a new user's pass: a resume of 3,000 candidates under a budget of 30,000 began ``[ 1,500/30,000]``,
    a count below what the archive held (its replayed candidates showed periodic lines)."""
    db = tmp_path / "r.db"
    code, _, _ = cli(capsys, "evolve", QUARTIC, "--budget", "5", "--db", str(db))
    assert code == 0
    code, _, err = cli(capsys, "evolve", QUARTIC, "--budget", "40", "--db", str(db))  # a line every 2 candidates
    counts = [int(line[1:line.index("/")].replace(",", "")) for line in err.splitlines() if line.startswith("[")]
    assert code == 0 and counts[0] == 6 and counts[-1] == 40


def test_replayed_or_reloaded_candidates_show_no_periodic_progress_line_but_the_last() -> None:
    """The same for every algorithm and backend: a serial run's replay and a parallel run's reload both hand the
    progress their archived candidates as ``stored``."""
    import io
    from types import SimpleNamespace

    from mlevolve.gp.progress import Progress

    stream = io.StringIO()
    progress = Progress(8, stream=stream)
    engine = SimpleNamespace(hall_of_fame=[SimpleNamespace(score=0.5)], seq=0,
                             counts={"cache": 0, "fec": 0, "hurdle": 0, "probe": 0, "failed": 0})
    for seq, stored in [(1, True), (2, True), (3, True), (4, False), (5, False), (6, False), (7, False), (8, False)]:
        engine.seq = seq
        progress(engine, None, stored=stored)
    assert [line[:9] for line in stream.getvalue().splitlines()] == ["[     4/8", "[     5/8", "[     6/8",
                                                                     "[     7/8", "[     8/8"]
    stream = io.StringIO()
    progress = Progress(2, stream=stream)
    for seq in (1, 2):  # a resume whose archive holds the whole budget: its last line still shows
        engine.seq = seq
        progress(engine, None, stored=True)
    assert [line[:9] for line in stream.getvalue().splitlines()] == ["[     2/2"]


def test_runs_of_other_slots_of_one_file_keep_apart_and_one_archive_for_both_is_refused_in_one_line(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """Found by a new user's pass: ``evolve F --evolve A`` then ``evolve F --evolve B`` (one task) defaulted to one
    archive: the second was refused as another run's, and the user had to find --db.  An archive made before the
    default named its slots still resumes under the command that made it."""
    monkeypatch.setenv("MLEVOLVE_RUNS", str(tmp_path))
    learner = str(EXAMPLES / "linear_regression.mlev")
    stem = "linear_regression-linear-fresh_1-fitness_relative"
    old = tmp_path / f"{stem}.db"  # as made before: --db at what was the default path
    assert cli(capsys, "evolve", learner, "--evolve", "linreg.learn", "--budget", "2", "--db", str(old),
               "--quiet")[0] == 0
    code, out, _ = cli(capsys, "evolve", learner, "--evolve", "linreg.learn", "--budget", "3", "--quiet")
    assert code == 0 and out.rstrip().endswith(f"3 candidates; archive {old}")  # resumed where it was
    code, out, _ = cli(capsys, "evolve", learner, "--evolve", "linreg.predict", "--budget", "2", "--quiet")
    assert code == 0 and out.rstrip().endswith(f"archive {tmp_path / (stem + '-linreg.predict.db')}")
    code, out, err = cli(capsys, "evolve", learner, "--evolve", "linreg.predict", "--budget", "2", "--db", str(old))
    assert (code, out) == (2, "") and err.splitlines() == [
        f"{old}: error: archive belongs to another run: program 'linear_regression' (evolving linreg.learn) on task "
        "'linear:fresh=1:fitness=relative'; the evolved definitions differ: archive has ['linreg.learn'], now "
        "['linreg.predict']",
        "hint: pass another --db to start a new run (each set of evolved definitions keeps an archive of its own: "
        "without --db, a run of some definitions has a default archive named after them)"]


@pytest.mark.parametrize("more", [[], ["--workers", "2"], ["--confirm", "2"]])
def test_a_resumed_run_with_nothing_to_score_says_only_that(tmp_path: Path, capsys: Capsys, more: list[str]) -> None:
    """Found by a fresh user's pass (hint96): a resume whose archive holds the budget said where its candidates are
    scored ("scoring: 1 worker process") before saying nothing new is evaluated; every budget reached, equal or
    smaller, with workers or a confirmation after it."""
    db = tmp_path / "r.db"
    assert cli(capsys, "evolve", QUARTIC, "--budget", "4", "--db", str(db), "--quiet")[0] == 0
    for budget in ("4", "3"):
        code, _, err = cli(capsys, "evolve", QUARTIC, "--budget", budget, "--db", str(db), *more)
        lines = err.splitlines()
        assert code == 0 and lines[0] == (f"resuming {db}: it holds 4 candidates; the budget of {budget} is reached, "
                                          "so nothing new is evaluated")
        assert not any(line.startswith("scoring:") for line in lines), err


@pytest.mark.parametrize("where", [{"workers": 2}, {"dask": "local:2"}, {"workers": 1}])
def test_a_resume_whose_archive_holds_the_budget_starts_no_workers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: dict[str, object]) -> None:
    """A resume with nothing to score started its worker processes (``--workers 2``) or a Dask cluster
    (``--dask local:2``, 8-9 s) before it opened its archive, and warmed numba's kernels in process (1-3 s): none
    starts and nothing is warmed now, at the --db given or the default archive alike, and the answer is the
    archive's, as before."""
    from mlevolve.gp import backends

    monkeypatch.chdir(tmp_path)
    made = [api.evolve(QUARTIC, ["f"], "nguyen4", budget=6, db=tmp_path / "r.db", quiet=True),
            api.evolve(QUARTIC, ["f"], "nguyen4", budget=6, quiet=True)]  # the default archive

    def started(*_: object, **__: object) -> None:
        raise AssertionError("workers started for a run with nothing to score")

    monkeypatch.setattr(backends, "make_backend", started)
    monkeypatch.setattr(backends, "prestart", started)
    monkeypatch.setattr(backends, "_warm", started)
    again = [api.evolve(QUARTIC, ["f"], "nguyen4", budget=6, db=tmp_path / "r.db", quiet=True, **where),
             api.evolve(QUARTIC, ["f"], "nguyen4", budget=6, quiet=True, **where)]
    assert [r["best_program"] for r in again] == [r["best_program"] for r in made]
    assert [r["archived"] for r in again] == [6, 6]
