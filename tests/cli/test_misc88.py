"""misc88: leftovers a fresh user met, each fixed as a kind.

A ``--select`` given where no run's answer is chosen (a .mlev FILE, a HASH) was taken and
ignored: its default (``best``) could not be told from one typed.  The default is now "not given", resolved where it
applies; the same shape (``show DB HASH -n 1``, ``--dask`` with ``--workers 1``) is refused alike."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import dask
import distributed.security  # noqa: F401  (Dask's defaults loaded before dask.config.set, which restores them)
import pytest

from mlevolve.dsl.errors import SettingError
from mlevolve.gp.dask_address import ANSWER_ENV, knock_dask
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
    (["export", "{tmp}/r.db", "abc123", "-o", "{tmp}/a.py", "--select", "score"],  # the user's -o kept (qa90)
     ["mlevolve export: error: --select chooses a run's answer; HASH (--hash H) names the program itself: it does "
      "not apply", "hint: mlevolve export {tmp}/r.db -o {tmp}/a.py --select score, without HASH"]),
    (["export", "{tmp}/r.db", "--hash", "abc123", "-o", "{tmp}/a.py", "--select", "score"],
     ["mlevolve export: error: --select chooses a run's answer; HASH (--hash H) names the program itself: it does "
      "not apply", "hint: mlevolve export {tmp}/r.db -o {tmp}/a.py --select score, without HASH"]),
    (["export", "{tmp}/r.db", "--hash=abc123", "-o", "{tmp}/a.py", "--select", "score"],
     ["mlevolve export: error: --select chooses a run's answer; HASH (--hash H) names the program itself: it does "
      "not apply", "hint: mlevolve export {tmp}/r.db -o {tmp}/a.py --select score, without HASH"]),
    (["show", "{tmp}/r.db", "abc123", "--select", "accuracy", "-n", "2"],
     ["mlevolve show: error: --select chooses a run's answer; HASH names the program itself: it does not apply",
      "hint: mlevolve show {tmp}/r.db --select accuracy -n 2 --best, without HASH"]),
    (["export", "{tmp}/r.db", "abc123", "--best", "-o", "{tmp}/a.py"],
     ["mlevolve export: error: give the program once: HASH, --hash H or --best",
      "hint: mlevolve export {tmp}/r.db abc123 -o {tmp}/a.py"]),
    (["best", "{tmp}/r.db", "--select", "foo"],  # qa90: the hint was --select's whole help (~400 characters)
     ["mlevolve best: error: argument --select: invalid choice: 'foo' (choose from 'accuracy', 'best', 'score')",
      "hint: --select is one of: accuracy, best, score; run `mlevolve best --help`"]),
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


# ------------------------------------------------------------------------------------- --dask's other schemes
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


TLS_LINES = ["mlevolve evolve: error: --dask tls://127.0.0.1:{port}: a tls:// scheduler is joined with Dask's TLS "
             "configuration, which names no certificate",
             "hint: give Dask's TLS settings (distributed.comm.tls.ca-file, .client.cert and .client.key in its "
             "configuration, or DASK_DISTRIBUTED__COMM__TLS__CA_FILE and the like), or join a tcp:// scheduler"]


def test_a_tls_address_without_dasks_tls_configuration_is_refused_at_once(tmp_path: Path, capsys: Capsys) -> None:
    """misc88: ``--dask tls://HOST:PORT`` with no TLS certificate in Dask's configuration failed in Dask's connect
    on a TypeError (no SSL context), which read "answered, but not as a Dask scheduler" at any port, a closed
    one too: it is now said as what it is, before any connection."""
    port = _free_port()
    start = time.monotonic()
    with dask.config.set({"distributed.comm.tls.ca-file": None, "distributed.comm.tls.client.cert": None}):
        err = usage_error(capsys, "evolve", QUARTIC, "--dask", f"tls://127.0.0.1:{port}", "--budget", "5", "--db",
                          str(tmp_path / "r.db"))
    assert err.splitlines() == [line.replace("{port}", str(port)) for line in TLS_LINES]
    assert time.monotonic() - start < 60 and not (tmp_path / "r.db").exists()


@pytest.fixture
def tls_config(tmp_path: Path) -> Iterator[None]:
    """Dask's configuration naming a temporary CA, client certificate and key (Dask's own, as files).  Dask makes them
    with ``cryptography``, which Dask does not require and the ``dev`` extra installs: without it these tests skip."""
    pytest.importorskip("cryptography", reason="Dask's Security.temporary() makes its certificates with cryptography")
    from distributed.security import Security

    made = Security.temporary()  # type: ignore[no-untyped-call]
    paths = {}
    for attribute, key in (("tls_ca_file", "ca-file"), ("tls_client_cert", "client.cert"),
                           ("tls_client_key", "client.key")):
        (file := tmp_path / f"{key}.pem").write_text(getattr(made, attribute))
        paths[f"distributed.comm.tls.{key}"] = str(file)
    with dask.config.set(paths):
        yield


def test_a_tls_address_at_a_closed_or_silent_port_ends_in_one_line_in_bounded_time(
        tls_config: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """With Dask's TLS configuration, tls:// is knocked on as tcp:// is: a closed port refused at once, a silent
    listener within the answer time, a foreign reply said as one, each one line (no real TLS scheduler needed)."""
    monkeypatch.setenv(ANSWER_ENV, "2")
    port = _free_port()
    with pytest.raises(SettingError) as refused:
        knock_dask(f"tls://127.0.0.1:{port}")
    assert refused.value.message == f"dask: no scheduler at tls://127.0.0.1:{port}: connection refused"
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        listening = silent.getsockname()[1]
        start = time.monotonic()
        with pytest.raises(SettingError) as unanswered:
            knock_dask(f"tls://127.0.0.1:{listening}")
    assert time.monotonic() - start < 10
    assert unanswered.value.message == f"dask: no Dask scheduler answered at tls://127.0.0.1:{listening} within 2 s"
    assert "\n" not in unanswered.value.message


def test_an_unreadable_tls_configuration_is_said_as_such() -> None:
    with dask.config.set({"distributed.comm.tls.ca-file": "/no/such/ca.pem",
                          "distributed.comm.tls.client.cert": "/no/such/cert.pem"}), \
            pytest.raises(SettingError) as err:
        knock_dask("tls://127.0.0.1:1")
    assert err.value.message.startswith("dask tls://127.0.0.1:1: a tls:// scheduler is joined with Dask's TLS "
                                        "configuration, which cannot be read: FileNotFoundError")


@pytest.mark.parametrize(("address", "why"), [
    ("inproc://127.0.0.1/1/1", "inproc:// is no scheduler protocol here (tcp:// or tls://)"),
    ("ucx://127.0.0.1:1", "ucx:// is no scheduler protocol here (tcp:// or tls://)"),
    ("ws://127.0.0.1:1", "ws:// is no scheduler protocol here (tcp:// or tls://)"),
    ("127.0.0.1:1", "a scheduler's address starts with its protocol, tcp://127.0.0.1:1"),
])
def test_the_schemes_dask_has_and_mlevolve_does_not_join_are_refused_up_front(tmp_path: Path, capsys: Capsys,
                                                                               address: str, why: str) -> None:
    err = usage_error(capsys, "evolve", QUARTIC, "--dask", address, "--db", str(tmp_path / "r.db"))
    assert err.splitlines()[0] == f"mlevolve evolve: error: --dask must be local:N or tcp://HOST:PORT, got " \
        f"{address!r}: {why}"


# ------------------------------------------------------------------------------------- paths as typed
@pytest.mark.parametrize(("argv", "line"), [
    (["check", QUARTIC, "--grammar", "{dir}/"], "{dir}/: error: is a folder, not a grammar file"),
    (["evolve", QUARTIC, "--grammar={dir}/", "--db", "{tmp}/r.db"], "{dir}/: error: is a folder, not a grammar file"),
    (["grammar", "show", "{dir}/"], "{dir}/: error: is a folder, not a grammar file"),
    (["run", "{dir}/"], "{dir}/: error: is a folder, not a .mlev program"),
    (["run", "{dir}//./nosuch.mlev"], "{dir}//./nosuch.mlev: error: no such file"),
    (["meta", "{dir}/"], "{dir}/: error: is a folder, not a meta configuration"),
    (["show", "{dir}/"], "{dir}/: error: cannot open archive: it is a folder"),
    (["best", "{dir}/"], "{dir}/: error: cannot open archive: it is a folder"),
    (["evolve", QUARTIC, "--db", "{dir}/", "--budget", "3"], "{dir}/: error: cannot open archive: it is a folder"),
])
def test_an_error_names_a_path_as_it_was_typed(tmp_path: Path, capsys: Capsys, argv: list[str], line: str) -> None:
    """misc88: ``--grammar runs/`` was named ``runs`` (the layers read a path as a Path, which drops a trailing
    slash and a ./): every error naming a path the command line gave names it as written."""
    (tmp_path / "runs").mkdir()
    fill = {"{dir}": str(tmp_path / "runs"), "{tmp}": str(tmp_path)}

    def filled(text: str) -> str:
        for key, value in fill.items():
            text = text.replace(key, value)
        return text

    err = usage_error(capsys, *map(filled, argv))
    assert err.splitlines()[0] == filled(line)
