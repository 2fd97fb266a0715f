"""Regression tests for a fresh-user pass (dask83): ``--dask`` pointed at something that is no Dask scheduler
(an HTTP server, a silent port, random bytes, a port that closes at once, a Dask worker's port) ends in one line
within the knock's timeout, for ``evolve`` and ``meta`` alike, with nothing archived."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlevolve.cli import _resource_message
from mlevolve.dsl.errors import SettingError
from mlevolve.gp.dask_address import ANSWER_ENV, answer_seconds, check_dask, knock
from tests.cli.test_qa54b import _argv
from tests.conftest import Capsys, usage_error

HTTP = b"HTTP/1.0 400 Bad request\r\nContent-Type: text/html\r\n\r\n<html>bad</html>\r\n"


def _replies() -> dict[str, Callable[[socket.socket], None]]:
    """How each small server answers a connection it accepted (it keeps the socket open unless it closes it)."""
    return {"silent": lambda c: None, "http": lambda c: c.sendall(HTTP),
            "random": lambda c: c.sendall(b"{}}{" + os.urandom(60)), "closes": lambda c: c.close()}


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A loopback server in a thread that answers as ``request.param`` says; its address."""
    reply = _replies()[request.param]
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            held.append(conn)
            reply(conn)

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for conn in held:
        conn.close()


def _hint(address: str) -> str:
    """The hint where something else holds the port (small85: it advised starting a scheduler on that port)."""
    port = address.rpartition(":")[2]
    return (f"hint: port {port} there is taken by something else: give your scheduler's address, or start one on "
            "another port with `dask scheduler --port 8786` (and its workers with `dask worker tcp://127.0.0.1:8786`) "
            "and give --dask tcp://127.0.0.1:8786, or run a cluster on this machine with --dask local:N (N workers, "
            "0: one per core)")


@pytest.mark.parametrize("command", ["evolve", "meta"])
@pytest.mark.parametrize(("server", "why"), [
    ("silent", "no Dask scheduler answered at {a} within 0.5 s"),
    ("http", "{a} answered, but not as a Dask scheduler (its first bytes are b'HTTP/1.0')"),
    ("random", "{a} answered, but not as a Dask scheduler (its first bytes are b"),  # b'..' or b"..": random bytes
    ("closes", "{a} answered, but not as a Dask scheduler (it closed the connection without a word)"),
], indirect=["server"])
def test_a_port_that_is_no_dask_scheduler_is_said_in_one_line_within_the_timeout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, server: str, why: str,
        command: str) -> None:
    """An HTTP server at the address held ``evolve`` silent for 11 minutes; random bytes there were read by Dask as
    a frame length and said as "out of memory (Unable to allocate 3.07 EiB ...)".  Each is one line and the hint
    to start a scheduler, within the knock's timeout (lowered here), before any archive is opened."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ANSWER_ENV, "0.5")

    def dask_client(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("Dask's Client was reached: the knock let a foreign port through")

    monkeypatch.setattr("distributed.Client", dask_client)
    lines = usage_error(capsys, *_argv(command, tmp_path, server)).splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"mlevolve {command}: error: --dask: " + why.format(a=server))
    assert lines[1] == _hint(server)
    assert not list(tmp_path.rglob("*.db"))


def _fake_dask_server(identity: dict[str, Any]) -> Iterator[str]:
    """A Dask comm server in a thread of its own whose ``identity`` answer is ``identity``; its address."""
    from distributed.core import Server

    started = threading.Event()
    stop: list[Callable[[], None]] = []
    where: list[str] = []

    async def run() -> None:
        server = Server({"identity": lambda: identity})
        await server.listen("tcp://127.0.0.1:0")
        where.append(server.address)
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        stop.append(lambda: loop.call_soon_threadsafe(done.set))
        started.set()
        await done.wait()
        await server.close()

    thread = threading.Thread(target=asyncio.run, args=(run(),), daemon=True)
    thread.start()
    assert started.wait(30)
    yield where[0]
    stop[0]()
    thread.join(10)


@pytest.fixture
def dask_server(request: pytest.FixtureRequest) -> Iterator[str]:
    yield from _fake_dask_server(request.param)


@pytest.mark.parametrize(("dask_server", "why", "hint"), [
    ({"type": "Worker", "id": "w", "scheduler": "tcp://127.0.0.1:9"},
     "{a} answered, but not as a Dask scheduler (a Dask Worker's port; its scheduler is tcp://127.0.0.1:9)",
     "give that scheduler's address, --dask tcp://127.0.0.1:9"),
    ({"type": "Nanny", "id": "n"}, "{a} answered, but not as a Dask scheduler (a Dask Nanny's port)", None),
], indirect=["dask_server"])
def test_a_dask_workers_or_nannys_port_is_told_from_the_schedulers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, dask_server: str, why: str,
        hint: str | None) -> None:
    """A worker's port speaks Dask, so Dask's Client joined it and waited; its identity says what it is."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(ANSWER_ENV, "5")
    lines = usage_error(capsys, *_argv("evolve", tmp_path, dask_server)).splitlines()
    assert lines == [f"mlevolve evolve: error: --dask: {why.format(a=dask_server)}",
                     f"hint: {hint}" if hint else _hint(dask_server)]
    assert not list(tmp_path.rglob("*.db"))


@pytest.mark.parametrize("dask_server", [{"type": "Scheduler", "id": "s"}], indirect=True)
def test_a_dask_scheduler_passes_the_knock(dask_server: str) -> None:
    scheduler = check_dask(dask_server)
    assert scheduler is not None
    knock(dask_server, scheduler, seconds=5)


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_the_knock_timeout_setting_is_read_or_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(ANSWER_ENV, "2.5")
    assert answer_seconds() == 2.5
    monkeypatch.setenv(ANSWER_ENV, value)
    with pytest.raises(SettingError, match=f"{ANSWER_ENV} must be a positive number of seconds, got '{value}'"):
        answer_seconds()


def test_an_allocation_beyond_the_machine_is_not_called_out_of_memory() -> None:
    """A foreign reply's bytes read as a length asked numpy for 3.07 EiB, and the run said "out of memory" (of the
    disk and free memory, its hint); only an allocation this machine could hold is its memory running out."""
    huge = MemoryError("Unable to allocate 3.07 EiB for an array with shape (3544668469065756977,) and data type uint8")
    said = _resource_message(huge)
    assert "out of memory" not in said
    assert said.startswith("an allocation of 3.07 EiB was asked for, more than this machine's memory")
    small = MemoryError("Unable to allocate 12.0 MiB for an array with shape (1572864,) and data type float64")
    assert _resource_message(small).startswith("out of memory (Unable to allocate 12.0 MiB")
    assert _resource_message(MemoryError()) == "out of memory"


@pytest.mark.parametrize("command", ["evolve", "meta"])
def test_a_memory_error_from_dasks_connect_is_no_run_out_of_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, command: str) -> None:
    """Past the knock (a scheduler replaced by something else since), Dask's Client read foreign bytes as a frame
    length: its MemoryError is a scheduler not reached, not the run's memory."""
    distributed = pytest.importorskip("distributed")

    def garbage(address: str, **kwargs: Any) -> None:
        raise MemoryError("Unable to allocate 3.07 EiB for an array with shape (3544668469065756977,) and data "
                          "type uint8")

    monkeypatch.setattr(distributed, "Client", garbage)
    monkeypatch.setattr("mlevolve.gp.dask_address.knock", lambda *args, **kwargs: None)
    monkeypatch.chdir(tmp_path)
    lines = usage_error(capsys, *_argv(command, tmp_path, "tcp://127.0.0.1:1")).splitlines()
    assert lines[0] == (f"mlevolve {command}: error: --dask: no Dask scheduler could be reached at tcp://127.0.0.1:1 "
                        "(MemoryError: Unable to allocate 3.07 EiB for an array with shape (3544668469065756977,) "
                        "and data type uint8)")
    assert lines[1].startswith("hint: start one on that host with `dask scheduler --port 1`")


def test_the_dashboards_port_is_named_as_such(monkeypatch: pytest.MonkeyPatch) -> None:
    """The port a user most likely gives by mistake is the dashboard's, whose HTTP server waits silently."""
    def no_answer(*args: Any, **kwargs: Any) -> None:
        raise TimeoutError

    monkeypatch.setattr("mlevolve.gp.dask_address.socket.create_connection", no_answer)
    address = "tcp://127.0.0.1:8787"
    scheduler = check_dask(address)
    assert scheduler is not None
    with pytest.raises(SettingError) as caught:
        knock(address, scheduler, seconds=0.1)
    assert caught.value.message == "dask: no Dask scheduler answered at tcp://127.0.0.1:8787 within 0.1 s"
    assert "(8787 is Dask's dashboard port; its scheduler's is 8786)" in caught.value.hint


@pytest.mark.parametrize("server", ["http"], indirect=True)
def test_a_taken_default_port_suggests_another_and_a_refused_one_that_port(server: str) -> None:
    """small85: where the port is taken the hint names another, never the taken one: 8788 where 8786 (Dask's
    default) is the one taken (8787 is the dashboard's); where nothing listens (connection refused), starting a
    scheduler on that very port is the hint, as before."""
    from mlevolve.gp.dask_address import Scheduler, _unanswered

    taken = _unanswered("tcp://[::1]:8786", Scheduler("::1", 8786), "why", taken=True)
    assert "port 8786 there is taken by something else" in taken.hint
    assert "`dask scheduler --port 8788` (and its workers with `dask worker tcp://[::1]:8788`)" in taken.hint
    assert "give dask tcp://[::1]:8788, or" in taken.hint  # (the flag named by the caller: dask here)
    scheduler = check_dask(server)
    assert scheduler is not None
    with pytest.raises(SettingError) as caught:
        knock(server, scheduler, seconds=2)
    assert f"port {scheduler.port} there is taken by something else" in caught.value.hint
    assert f"--port {scheduler.port}" not in caught.value.hint
    refused = socket.create_server(("127.0.0.1", 0))
    port = refused.getsockname()[1]
    refused.close()
    address = f"tcp://127.0.0.1:{port}"
    with pytest.raises(SettingError) as caught:
        knock(address, Scheduler("127.0.0.1", port), seconds=2)
    assert caught.value.message == f"dask: no scheduler at {address}: connection refused"
    assert caught.value.hint.startswith(f"start one there with `dask scheduler --port {port}` (and its workers with "
                                        f"`dask worker {address}`)")
