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
    assert code == 0 and err.splitlines()[:2] == [  # after where it scores (tests/cli/test_scoring_line.py)
        "scoring: in process", f"resuming {db}: 4 candidates archived, 2 more to reach the budget of 6"]
    code, _, err = cli(capsys, "evolve", QUARTIC, "--budget", "3", "--db", str(db))
    assert code == 0 and err.splitlines()[1] == (f"resuming {db}: it holds 6 candidates; the budget of 3 is reached, "
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
