"""misc88: leftovers a fresh user met, each fixed as a kind.

A ``--select`` given where no run's answer is chosen (a .mlev FILE, a HASH, ``-n N``, ``--front``) was taken and
ignored: its default (``best``) could not be told from one typed.  The default is now "not given", resolved where it
applies; the same shape (``show DB HASH -n 1``, ``--dask`` with ``--workers 1``) is refused alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT, Capsys, usage_error

QUARTIC = str(EXAMPLES / "quartic.mlev")
DASK_ALONE, DASK_HINT = "--dask and --workers exclude each other", "hint: the Dask cluster sets the parallelism"


@pytest.mark.parametrize(("argv", "lines"), [
    (["best", QUARTIC, "--select", "accuracy"],
     [f"mlevolve best: error: --select chooses a run's answer; {QUARTIC} is one program: it does not apply",
      "hint: mlevolve best DB --select accuracy, DB a run's archive"]),
    (["show", QUARTIC, "--select", "score"],
     [f"mlevolve show: error: --select chooses a run's answer; {QUARTIC} is one program: it does not apply",
      "hint: mlevolve show DB --best --select score, DB a run's archive"]),
    (["show", QUARTIC, "--sympy", "--select", "best"],
     [f"mlevolve show: error: --select chooses a run's answer; {QUARTIC} is one program: it does not apply",
      "hint: mlevolve show DB --best --select best, DB a run's archive"]),
    (["export", QUARTIC, "-o", "{tmp}/a.py", "--select", "accuracy"],
     [f"mlevolve export: error: --select chooses a run's answer; {QUARTIC} is one program, exported as written: it "
      "does not apply", "hint: mlevolve export DB --select accuracy -o OUT.py, DB a run's archive"]),
    (["export", "{tmp}/r.db", "abc123", "-o", "{tmp}/a.py", "--select", "score"],
     ["mlevolve export: error: --select chooses a run's answer; HASH (--hash H) names the program itself: it does "
      "not apply", "hint: mlevolve export {tmp}/r.db --select score -o OUT.py, without HASH"]),
    (["export", "{tmp}/r.db", "--hash", "abc123", "-o", "{tmp}/a.py", "--select", "score"],
     ["mlevolve export: error: --select chooses a run's answer; HASH (--hash H) names the program itself: it does "
      "not apply", "hint: mlevolve export {tmp}/r.db --select score -o OUT.py, without HASH"]),
    (["show", "{tmp}/r.db", "abc123", "--select", "accuracy"],
     ["mlevolve show: error: --select chooses a run's answer; HASH names the program itself: it does not apply",
      "hint: mlevolve show {tmp}/r.db --best --select accuracy, without HASH"]),
    (["show", "{tmp}/r.db", "--best", "-n", "3", "--select", "accuracy"],
     ["mlevolve show: error: --select chooses a run's answer; -n N lists the N fittest: it does not apply",
      "hint: mlevolve show {tmp}/r.db --best --select accuracy, without -n"]),
    (["best", "{tmp}/r.db", "--front", "--select", "score"],
     ["mlevolve best: error: --select chooses a run's answer; --front lists the whole front, PySR's pick marked: it "
      "does not apply", "hint: mlevolve best {tmp}/r.db --select score, without --front"]),
    (["show", "{tmp}/r.db", "abc123", "-n", "1"],  # the default of -n typed: refused as any other count
     ["mlevolve show: error: -n goes with --best: a HASH names one program",
      "hint: mlevolve show DB --best -n N, or mlevolve show DB HASH"]),
    (["evolve", QUARTIC, "--dask", "local:1", "--workers", "1", "--db", "{tmp}/r.db"],  # --workers' default typed
     ["mlevolve evolve: error: " + DASK_ALONE, DASK_HINT]),
    (["meta", str(ROOT / "benchmarks/meta/train.toml"), "--dask", "local:1", "--workers", "1", "--db", "{tmp}/m.db"],
     ["mlevolve meta: error: " + DASK_ALONE, DASK_HINT]),
], ids=lambda v: " ".join(v[:1] + v[2:]) if isinstance(v, list) and v and v[0] in
    ("best", "show", "export", "evolve", "meta") else "")
def test_a_setting_given_where_it_cannot_apply_is_refused(tmp_path: Path, capsys: Capsys, argv: list[str],
                                                          lines: list[str]) -> None:
    err = usage_error(capsys, *(a.replace("{tmp}", str(tmp_path)) for a in argv))
    assert err.splitlines() == [line.replace("{tmp}", str(tmp_path)) for line in lines]
    assert not (tmp_path / "a.py").exists() and not (tmp_path / "r.db").exists()
