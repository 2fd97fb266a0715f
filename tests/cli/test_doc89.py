"""What fresh users found untrue or unclear (doc89): a limit that cannot apply says so, the ``next:`` lines the docs
quote are those printed, and an error's choices are those valid where it is raised."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT, run_mlevolve

QUARTIC = ROOT / "examples" / "quartic.mlev"


def test_a_timeout_a_formula_run_in_process_cannot_check_is_named(tmp_path: Path) -> None:
    """A formula run scored in process checks no time: ``--timeout 0.0001`` succeeded with no word.  It now notes
    that once on stderr; the default timeout, and a run in worker processes, say nothing."""
    given = run_mlevolve("evolve", str(QUARTIC), "--budget", "5", "--timeout", "0.0001", "--db",
                         str(tmp_path / "a.db"), "--quiet")
    assert given.returncode == 0, given.stderr
    notes = [line for line in given.stderr.splitlines() if line.startswith("note: --timeout")]
    assert notes == ["note: --timeout 0.0001 is not checked in a formula run scored in process (a formula takes "
                     "milliseconds); --workers 2 scores in worker processes, which cut a candidate at twice it"]
    default = run_mlevolve("evolve", str(QUARTIC), "--budget", "5", "--db", str(tmp_path / "b.db"), "--quiet")
    assert default.returncode == 0 and "note: --timeout" not in default.stderr


def test_the_next_lines_the_docs_quote_are_those_printed() -> None:
    """docs/evolve.md quoted ``mlevolve export DB HASH`` for a budget view's ``next:`` lines; the summary prints
    ``mlevolve export DB --hash H -o ...``.  Every form it prints by hash is quoted as printed."""
    from mlevolve.api.search import next_commands

    docs = " ".join((ROOT / "docs" / "evolve.md").read_text(encoding="utf-8").split())
    show, _, export = next_commands("DB", best_hash="H")
    assert f"`{show}`" in docs and f"`{export}`" in docs
    assert "`mlevolve export DB HASH`" not in docs
