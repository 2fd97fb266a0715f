"""``--dask`` addresses: read at once, and a scheduler knocked on before Dask is asked to join it.

A malformed address (``tcp://:1``, ``tcp://h:99999``, ``foo://x``, ``local:-1``, an empty one) was refused
only where it was used, some after Dask's 30 s of retries; a port where nothing listens waited those 30 s
too; an HTTP server there (the dashboard's port 8787 given by mistake) held the run silent for minutes, and
a reply of foreign bytes was read by Dask as a frame length and ended as "out of memory".  :func:`check_dask`
refuses the first before anything starts, and :func:`knock` every way a scheduler does not answer, in one
line, within :func:`answer_seconds` (:data:`ANSWER_SECONDS`, or :data:`ANSWER_ENV`).
"""

from __future__ import annotations

import math
import os
import re
import socket
import struct
import time
from typing import Any, NamedTuple

from mlevolve.dsl.errors import SettingError

SCHEMES = ("tcp", "tls")  # what a scheduler is joined by without more settings than Dask's own configuration
DEFAULT_PORT = 8786  # Dask's scheduler port, as `dask scheduler` and `Client("tcp://HOST")` use
ANSWER_SECONDS = 10.0  # how long a --dask scheduler has to answer the knock, connect included (docs/scaling.md)
ANSWER_ENV = "MLEVOLVE_DASK_CONNECT_SECONDS"  # overrides ANSWER_SECONDS (tests lower it)
_HANDSHAKE_MAX = 1 << 20  # bytes: a Dask listener's first message (its handshake) is well under this

_FORMS = "local:2 starts two workers on this machine (local:0: one per core); tcp://HOST:8786 joins a scheduler"
_HOST = re.compile(r"\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?")


class Scheduler(NamedTuple):
    """A remote scheduler's address, read: its host (an IPv6 one without brackets) and port."""

    host: str
    port: int


def _malformed(address: str, why: str) -> SettingError:
    return SettingError("{dask} must be local:N or tcp://HOST:PORT, got {got!r}: {why}", hint=_FORMS,
                        got=address, why=why)


def check_dask(address: str | None) -> Scheduler | None:
    """Raise :class:`SettingError` (naming ``dask``, the address and what is wrong in it) unless ``address``
    is None, ``local:N`` (N >= 0) or ``SCHEME://HOST[:PORT]`` (SCHEME one of :data:`SCHEMES`, PORT 1-65535);
    return the scheduler a remote address names (None for none and for a local cluster)."""
    if address is None:
        return None
    if not address.strip():
        raise _malformed(address, "the address is empty")
    if address == "local" or address.startswith("local:"):
        if not re.fullmatch(r"local:[0-9]+", address):
            raise _malformed(address, "N, after local:, is a whole number of workers")
        return None
    scheme, sep, rest = address.partition("://")
    if not sep:
        if _HOST.fullmatch(address.rpartition(":")[0] or address):  # HOST:PORT, say, with no scheme
            raise _malformed(address, f"a scheduler's address starts with its protocol, tcp://{address}")
        raise _malformed(address, "neither local:N nor SCHEME://HOST")
    if scheme not in SCHEMES:
        raise _malformed(address, f"{scheme}:// is no scheduler protocol here (tcp:// or tls://)")
    if rest.startswith("["):  # an IPv6 address, bracketed as in a URL
        host, bracket, after = rest.partition("]")
        host, colon, port = host + bracket, after[:1], after[1:]
        if after and colon != ":":
            raise _malformed(address, "a ':' and the port follow the ']' of an IPv6 address")
    elif rest.count(":") > 1:
        raise _malformed(address, "an IPv6 address is written in brackets, tcp://[::1]:8786")
    else:
        host, colon, port = rest.partition(":")
    if not host:
        raise _malformed(address, "no HOST before the port")
    if not _HOST.fullmatch(host):
        raise _malformed(address, f"{host!r} is no host name or address")
    if colon and not port:
        raise _malformed(address, "no port after the ':'")
    if colon and not (port.isascii() and port.isdigit()):
        raise _malformed(address, f"the port {port!r} is not a whole number from 1 to 65535")  # -1, +5, ' 5', 'port'
    number = int(port) if colon else DEFAULT_PORT
    if not 1 <= number <= 65535:
        raise _malformed(address, f"the port {number} is not between 1 and 65535")
    return Scheduler(host.strip("[]"), number)


def answer_seconds() -> float:
    """How long a ``--dask`` scheduler has to answer the knock (:func:`knock`): :data:`ANSWER_SECONDS`, or the
    positive number of seconds in the environment variable :data:`ANSWER_ENV`; raise :class:`SettingError` for
    another value there."""
    text = os.environ.get(ANSWER_ENV, "").strip()
    if not text:
        return ANSWER_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise SettingError(f"{ANSWER_ENV} must be a positive number of seconds, got {{got!r}}",
                           hint=f"unset it (the default is {ANSWER_SECONDS:g} s) or give e.g. 30", got=text)
    return seconds


def _literal(text: str) -> str:
    """``text`` (a peer's bytes, an error's words) as literal text in a :class:`SettingError` template."""
    return text.replace("{", "{{").replace("}", "}}")


def _unanswered(address: str, scheduler: Scheduler, why: str, home: str | None = None,
                taken: bool = False) -> SettingError:
    """The one error of a ``--dask`` address where no scheduler answered: ``why`` ends the line; ``home``, the
    scheduler a Dask worker there joined, is the hint where known; ``taken``: something else accepted the
    connection there (silent, foreign bytes, a Dask worker's or nanny's port), so the hint names another port
    for a scheduler (:data:`DEFAULT_PORT`, or 8788 where that is the one taken) instead of this one."""
    if home is not None:
        return SettingError("{dask}: " + why, got=address,
                            hint="give that scheduler's address, {dask} " + _literal(home))
    also = " (8787 is Dask's dashboard port; its scheduler's is 8786)" if scheduler.port == 8787 else ""
    local = "or run a cluster on this machine with {dask} local:N (N workers, 0: one per core)"
    if taken:
        port = DEFAULT_PORT if scheduler.port != DEFAULT_PORT else DEFAULT_PORT + 2  # 8787: the dashboard's
        host = f"[{scheduler.host}]" if ":" in scheduler.host else scheduler.host
        other = f"{address.partition('://')[0]}://{host}:{port}"
        return SettingError("{dask}: " + why, got=address,
                            hint=f"port {scheduler.port} there is taken by something else{also}: give your "
                                 "scheduler's address, or start one on another port with "
                                 f"`dask scheduler --port {port}` (and its workers with `dask worker {other}`) and "
                                 f"give {{dask}} {other}, " + local)
    start = "dask scheduler" if scheduler.port == DEFAULT_PORT else f"dask scheduler --port {scheduler.port}"
    return SettingError("{dask}: " + why, got=address,
                        hint=f"start one there with `{start}` (and its workers with `dask worker {address}`){also}, "
                             + local)


def _first_message(sock: socket.socket, deadline: float) -> str | None:
    """Read the handshake a Dask listener sends first on ``sock`` (its length, bounded by :data:`_HANDSHAKE_MAX`,
    then its bytes) before ``deadline``; None where it came, else why it is not a Dask one ("silent": none came).
    Bounded so that a foreign reply's bytes are never read as a length to allocate."""
    data = b""
    need = 8
    while len(data) < need:
        left = deadline - time.monotonic()
        if left <= 0:
            return "silent"
        sock.settimeout(left)
        try:
            chunk = sock.recv(min(need - len(data), 65536))
        except TimeoutError:
            return "silent"
        except OSError as err:
            return f"the connection failed: {(err.strerror or str(err)).lower()}"
        if not chunk:
            return "it closed the connection without a word" if not data else \
                f"it sent {data[:16]!r} and closed the connection"
        data += chunk
        if len(data) == 8 and need == 8:
            (size,) = struct.unpack("<Q", data)
            if not 8 <= size <= _HANDSHAKE_MAX:
                return f"its first bytes are {data!r}"
            need = 8 + size
    return None


TLS_HINT = ("give Dask's TLS settings (distributed.comm.tls.ca-file, .client.cert and .client.key in its "
            "configuration, or DASK_DISTRIBUTED__COMM__TLS__CA_FILE and the like), or join a tcp:// scheduler")


def tls_connection(address: str) -> dict[str, Any]:
    """The connection arguments of Dask's own security configuration for a client (an SSL context, read from its
    certificate files); raise :class:`SettingError` (naming ``dask``) where there is none to join a ``tls://``
    scheduler with, or its files cannot be read: Dask's connect otherwise failed on a ``TypeError`` (no SSL
    context) that read as a foreign server's reply.  ``address``: the ``--dask`` value, which the message names."""
    from distributed.security import Security

    try:
        args: dict[str, Any] = Security().get_connection_args("client")  # type: ignore[no-untyped-call]
    except (OSError, ValueError) as err:  # a missing or unreadable certificate file, a malformed one (ssl.SSLError)
        raise SettingError("{dask} {got}: a tls:// scheduler is joined with Dask's TLS configuration, which cannot be "
                           "read: "
                           + _literal(f"{type(err).__name__}: {err}"[:200]), hint=TLS_HINT, got=address) from None
    if args.get("ssl_context") is None:
        raise SettingError("{dask} {got}: a tls:// scheduler is joined with Dask's TLS configuration, which names no "
                           "certificate",
                           hint=TLS_HINT, got=address)
    return args


def _identity(address: str, seconds: float) -> dict[str, Any]:
    """The ``identity`` reply of the Dask server at ``address`` (its ``type``: Scheduler, Worker, Nanny), asked
    through Dask's own comm (and security configuration) within ``seconds``, in a thread of its own (a caller's
    running event loop is left alone)."""
    import asyncio
    import concurrent.futures

    from distributed.comm.core import connect
    from distributed.security import Security

    args = tls_connection(address) if address.startswith("tls://") else \
        Security().get_connection_args("client")  # type: ignore[no-untyped-call]

    async def ask() -> dict[str, Any]:
        comm = await connect(address, timeout=seconds, **args)  # type: ignore[no-untyped-call]
        try:
            await comm.write({"op": "identity", "reply": True})
            return dict(await comm.read())
        finally:
            comm.abort()

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(ask(), seconds)).result()


def knock(address: str, scheduler: Scheduler, seconds: float | None = None) -> None:
    """Raise :class:`SettingError` unless a Dask scheduler answers at ``scheduler`` within ``seconds`` (default
    :func:`answer_seconds`): one line for every way it does not (connection refused, host unknown, no answer, a
    reply that is no Dask handshake such as an HTTP server's or random bytes, a connection closed at once, a Dask
    worker's or nanny's port), at once or within ``seconds``, never Dask's own 30 s of retries nor a foreign reply's
    bytes read as a length to allocate.  A tls:// address is asked through Dask's comm only (its TLS speaks first),
    and refused at once where Dask's configuration has no TLS certificate to ask with (:func:`tls_connection`)."""
    seconds = answer_seconds() if seconds is None else seconds
    if address.startswith("tls://"):
        tls_connection(address)
    deadline = time.monotonic() + seconds
    silent = f"no Dask scheduler answered at {{got}} within {seconds:g} s"
    try:
        sock = socket.create_connection((scheduler.host, scheduler.port), timeout=seconds)
    except TimeoutError:
        raise _unanswered(address, scheduler, silent) from None
    except ConnectionRefusedError:
        why = "connection refused"
    except socket.gaierror:
        why = f"the host {scheduler.host} is not known"
    except OSError as err:
        why = (err.strerror or str(err)).lower()
    else:
        with sock:
            foreign = _first_message(sock, deadline) if address.startswith("tcp://") else None
        if foreign == "silent":  # it accepted the connection: something listens there, and is no scheduler
            raise _unanswered(address, scheduler, silent, taken=True)
        if foreign is not None:
            raise _unanswered(address, scheduler, "{got} answered, but not as a Dask scheduler (" + _literal(foreign)
                              + ")", taken=True)
        try:
            identity = _identity(address, max(0.1, deadline - time.monotonic()))
        except Exception as err:  # whatever failed here (a MemoryError too), no scheduler answered
            if isinstance(err, TimeoutError) or str(err).startswith("Timed out"):  # Dask's connect says so
                raise _unanswered(address, scheduler, silent, taken=True) from None
            raise _unanswered(address, scheduler, "{got} answered, but not as a Dask scheduler ("
                              + _literal(f"{type(err).__name__}: {err}"[:200]) + ")", taken=True) from None
        kind = identity.get("type")
        if kind == "Scheduler":
            return
        told = f"a Dask {kind}'s port" if isinstance(kind, str) else f"its identity {identity!r:.80}"
        home = identity.get("scheduler")
        told += f"; its scheduler is {home}" if isinstance(home, str) else ""
        raise _unanswered(address, scheduler, "{got} answered, but not as a Dask scheduler (" + _literal(told) + ")",
                          home if isinstance(home, str) else None, taken=True)
    raise _unanswered(address, scheduler, "no scheduler at {got}: " + _literal(why))


def knock_dask(address: str | None) -> None:
    """:func:`check_dask`, then :func:`knock` on the scheduler a remote address names: every ``--dask``
    (``mlevolve evolve``, ``mlevolve meta``) is checked here once the run has read its program, task and data (a mistake
    there is said first) and before it opens its archive."""
    scheduler = check_dask(address)
    if scheduler is not None and address is not None:
        knock(address, scheduler)
