"""``--dask`` addresses: read at once, and a scheduler's port knocked on before Dask is asked to join it.

A malformed address (``tcp://:1``, ``tcp://h:99999``, ``foo://x``, ``local:-1``, an empty one) was refused
only where it was used, some after Dask's 30 s of retries; and a port where nothing listens (the OS refuses
the connection at once) waited those 30 s too, then said "Timed out".  :func:`check_dask` refuses the first
before anything starts, and :func:`knock` the second within a second, from one short socket connect.  What
the knock cannot decide (no answer within its timeout: a firewall dropping packets) is left to Dask.
"""

from __future__ import annotations

import re
import socket
from typing import NamedTuple

from mlevolve.dsl.errors import SettingError

SCHEMES = ("tcp", "tls")  # what a scheduler is joined by without more settings than Dask's own configuration
DEFAULT_PORT = 8786  # Dask's scheduler port, as `dask scheduler` and `Client("tcp://HOST")` use
KNOCK_SECONDS = 2.0

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


def knock(address: str, scheduler: Scheduler, seconds: float = KNOCK_SECONDS) -> None:
    """Raise :class:`SettingError` where the OS already says that no scheduler listens at ``scheduler``
    (connection refused, host unknown, network unreachable): at once, not after Dask's 30 s of retries.
    No answer within ``seconds`` is no verdict: Dask then tries, and says so itself."""
    try:
        with socket.create_connection((scheduler.host, scheduler.port), timeout=seconds):
            return
    except TimeoutError:
        return
    except ConnectionRefusedError:
        why = "connection refused"
    except socket.gaierror:
        why = f"the host {scheduler.host} is not known"
    except OSError as err:
        why = (err.strerror or str(err)).lower()
    start = "dask scheduler" if scheduler.port == DEFAULT_PORT else f"dask scheduler --port {scheduler.port}"
    raise SettingError("{dask}: no scheduler at {got}: {why}", got=address, why=why,
                       hint=f"start one there with `{start}` (and its workers with `dask worker {address}`), "
                            "or run a cluster on this machine with {dask} local:N (N workers, 0: one per core)")


def knock_dask(address: str | None) -> None:
    """:func:`check_dask`, then :func:`knock` on the scheduler a remote address names: every ``--dask``
    (``mlevolve evolve``, ``mlevolve meta``) is checked here once the run has read its program, task and data (a mistake
    there is said first) and before it opens its archive."""
    scheduler = check_dask(address)
    if scheduler is not None and address is not None:
        knock(address, scheduler)
