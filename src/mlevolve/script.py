"""The entry point of the project's scripts (``benchmarks/``): a user's mistake there ends as it ends
in the ``mlevolve`` command, in its one-line error and hint with exit status 2, not a traceback."""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import math
import os
import re
import sys
import warnings
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO, TypeVar

from mlevolve.dsl.errors import MlevError, RenderedWarning, closest, did_you_mean
from mlevolve.dsl.ir import Span
from mlevolve.interpreter.standalone.spec import read_int
from mlevolve.interpreter.standalone.spelling import printable
from mlevolve.messages import AT_LEAST, COUNTS_EVERY_CORE, DECIMAL_RULE, GIVEN_TWICE, HELP, INTEGER_RULE

EXIT_USAGE = 2  # as the command line's
_T = TypeVar("_T")
EXIT_BROKEN_PIPE = 128 + 13  # as a shell reports a program that SIGPIPE ended (`yes | head -1`)


def stdout_gone() -> int:
    """Where stdout's reader has left (``mlevolve best DB | head -1``: a write raised BrokenPipeError):
    point stdout at the null device, so that the interpreter's last flush at exit has somewhere to write
    (else it prints "Exception ignored ... BrokenPipeError"), and return the status to exit with,
    :data:`EXIT_BROKEN_PIPE`.  The recipe of Python's documentation (the signal module, "Note on
    SIGPIPE"), which exits with 1; 141 is what a shell shows for a C program that the same pipe ended."""
    with contextlib.suppress(OSError, ValueError, AttributeError):  # no file descriptor: nothing to point
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return EXIT_BROKEN_PIPE


def flushed(call: Callable[[], _T]) -> _T | int:
    """``call()``, then stdout flushed here rather than in the interpreter's shutdown (also after
    ``--help``), so that a reader of stdout that has left (``| head -1``) is seen: then the status of
    :func:`stdout_gone` instead of ``call``'s result."""
    try:
        try:
            return call()
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        return stdout_gone()


@contextlib.contextmanager
def shown_warnings() -> Iterator[None]:
    """Within it, a program's, grammar file's or configuration's warning (:class:`RenderedWarning`: a
    ``ProgramWarning``, ``GrammarWarning``, ``ConfigWarning``) is shown as an error is (:func:`show_warning`), each
    once a place (Python's ``default`` action), where Python's default showed ``FILE:LINE: ProgramWarning: ...`` and
    the library's own source line that warned.  Every entry point a user runs is under it: the ``mlevolve`` command
    (:func:`mlevolve.cli.main`) and the benchmark scripts (:func:`run`); the library's API leaves warnings to its
    caller."""
    with warnings.catch_warnings():
        warnings.simplefilter("default", RenderedWarning)
        warnings.showwarning = show_warning
        yield


def show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                 file: TextIO | None = None, line: str | None = None) -> None:
    """A :class:`RenderedWarning` as an error is shown (``FILE:LINE:COL: warning: ...``, the source line, a caret,
    the hint) on stderr; others as Python shows them."""
    if isinstance(message, RenderedWarning):
        print(message, file=sys.stderr)
    else:
        print(warnings.formatwarning(message, category, filename, lineno, line), end="", file=file or sys.stderr)


def run(main: Callable[[], int | None]) -> NoReturn:
    """Call ``main`` and exit with its status (None: 0).  An :class:`MlevError` (a bad task, program,
    configuration or archive, as the library reports it) prints its ``FILE:LINE:COL: error:`` line (or
    ``SCRIPT: error:`` where it names no file) and its hint; a file the script was pointed at and
    could not find (or read) prints ``SCRIPT: error: PATH: no such file`` (``a folder, not a file``, the
    system's reason); both exit with status 2.  Output to a
    pipe whose reader has left (``| head -1``) ends the script quietly (:func:`stdout_gone`).  A program's warning
    reads as the command line's (:func:`shown_warnings`)."""
    prog = Path(sys.argv[0]).name
    try:
        with shown_warnings():
            status = flushed(main)
    except MlevError as err:
        shown = err.render() if err.file or err.span else f"{prog}: error: {err.message}"
        if not (err.file or err.span) and err.hint:
            shown += f"\nhint: {err.hint}"
        print(shown, file=sys.stderr)
        sys.exit(EXIT_USAGE)
    except OSError as err:  # a file named by the user: missing, a folder, not readable
        if err.filename is None:
            raise
        why = "no such file" if isinstance(err, FileNotFoundError) else \
            "a folder, not a file" if isinstance(err, IsADirectoryError) else (err.strerror or type(err).__name__)
        print(printable(f"{prog}: error: {err.filename}: {why}\nhint: check the path given"), file=sys.stderr)
        sys.exit(EXIT_USAGE)
    sys.exit(status or 0)


def unknown_options(parser: argparse.ArgumentParser, args: Sequence[str]) -> list[str]:
    """The options among ``args`` that ``parser`` does not take (``--bogus``, ``--bogus=1``), in order, up to
    a ``--`` or the name of one of its subcommands (whose parser checks the rest), or up to the first value
    where a parser with subcommands expects one (a mistyped subcommand is reported as such, not the
    options meant for it).  argparse itself reports
    them last, after a missing required argument, so that ``script --bogus`` blamed the arguments the
    user had not got to yet; :class:`ArgumentParser` and the ``mlevolve`` command report them first.  What
    is an option is argparse's own reading (``_parse_optional``: ``-1`` is a value where no option looks
    like a negative number, and an argument with a space is a value)."""
    subparsers = [action for action in parser._actions if isinstance(action, argparse._SubParsersAction)]
    commands = {name for action in subparsers for name in action.choices}
    unknown = []
    value_next = False  # the previous argument is an option that takes a value
    for arg in args:
        if arg == "--" or arg in commands:
            break
        found: Any = parser._parse_optional(arg)  # None (a value), or a tuple (3.11), or a list of them (3.12+)
        first = found[0] if isinstance(found, list) else found
        if first is None and subparsers and not value_next:
            break  # where the subcommand goes, and no subcommand: argparse says "invalid choice" (a typo first)
        if first is not None and first[0] is None:
            unknown.append(arg)
        value_next = first is not None and first[0] is not None and first[0].nargs != 0 and first[2] is None
    return unknown


def closest_option(parser: argparse.ArgumentParser, unknown: Sequence[str]) -> str:
    """The hint for ``unknown`` options of ``parser``: the options the first of them that has one is a prefix of
    (``--pop``: "did you mean '--population'?"), else the option closest to it (``--bset``: "did you mean
    '--best'?", by :func:`~mlevolve.dsl.errors.closest` of the names without their dashes), then how to read the
    help; only the latter where none is close."""
    options = {o[2:]: o for o in parser._option_string_actions if o.startswith("--") and o != "--help"}
    for arg in unknown:  # compared without the dashes, which every option shares
        given = arg.split("=", 1)[0].lstrip("-")
        longer = [o for name, o in options.items() if arg.startswith("--") and given and name.startswith(given)]
        if longer:  # a prefix, which argparse took as the option it abbreviates (its abbreviations are off)
            return f"did you mean {' or '.join(repr(o) for o in longer)}? {HELP.format(prog=parser.prog)}"
        name = closest(given, options)
        if name is not None:
            return f"did you mean '{options[name]}'? {HELP.format(prog=parser.prog)}"
    return ""


def switch_value_hint(parser: argparse.ArgumentParser, argv: Sequence[str], extra: str) -> str:
    """The hint for ``extra``, an argument ``parser`` did not take, where it follows one of ``parser``'s switches,
    which take no value (``--hurdle 0.5``, ``--prune false``: it read as a stray argument): how the switch is
    written, then how to read the help; else ``""``."""
    if extra.startswith("-") or extra not in argv[1:]:
        return ""
    flag = argv[list(argv).index(extra, 1) - 1]
    action = parser._option_string_actions.get(flag)
    if action is None or action.nargs != 0 or isinstance(action, argparse._HelpAction | argparse._VersionAction):
        return ""
    forms = [o for o in action.option_strings if o.startswith("--")]
    return f"{flag} takes no value: write {' or '.join(forms) if len(forms) > 1 else flag} alone; " \
        + HELP.format(prog=parser.prog)


def closest_choice(message: str) -> str:
    """For argparse's "argument --X: invalid choice: 'V' (choose from 'A', 'B')", the hint's start naming
    the choice closest to V (:func:`~mlevolve.dsl.errors.did_you_mean`); for "invalid int value", the rule of an
    integer (:data:`~mlevolve.messages.INTEGER_RULE`), for "invalid float value" a number's
    (:data:`~mlevolve.messages.DECIMAL_RULE`; for a number beyond float64's range, too large or too small, that:
    :func:`_beyond_float64`), after a time flag's value with a unit (``--max-time 5m``) its seconds
    (:func:`_in_seconds`), and for a ``--workers`` count below 0 or a word how to ask for every core (joblib's
    ``-1``); ``""`` for any other message."""
    typo = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if " int value: " in message:  # "invalid int value", "invalid comma-separated int value"
        every = re.match(r"argument --workers: invalid int value: '(-[0-9]+|[a-zA-Z]+)'$", message)  # -1, all, max
        return INTEGER_RULE + "; " + (f"{COUNTS_EVERY_CORE}; " if every else "")
    if "invalid float value" in message:
        typed = re.search(r"invalid float value: '(.*)'$", message)
        if typed is not None and DECIMAL.fullmatch(typed[1].strip()) and (why := _beyond_float64(typed[1].strip())):
            return why + "; "
        return _in_seconds(message) + DECIMAL_RULE + "; "
    return did_you_mean(typo[1], re.findall(r"'([^']*)'", typo[2])) if typo else ""


_UNITS = {"s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "m": 60, "min": 60, "mins": 60, "minute": 60,
          "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600}  # a duration's units


def _in_seconds(message: str) -> str:
    """For argparse's "argument --FLAG: invalid float value: 'V'" of a time flag (``--max-time``, ``--timeout``,
    a name with "time" in it: seconds) whose V is a number with a unit (``5m``, ``1.5h``, ``30s``), the hint's
    start: "--max-time is in seconds: 5m is --max-time 300; " (a unit was answered only with a number's rule);
    ``""`` for any other."""
    found = re.search(r"argument (--[\w-]*time[\w-]*): invalid float value: '([0-9]+(?:\.[0-9]*)?) ?([a-zA-Z]+)'$",
                      message)
    if found is None or found[3].lower() not in _UNITS:
        return ""
    flag, number, unit = found[1], found[2], found[3]
    return f"{flag} is in seconds: {number}{unit} is {flag} {float(number) * _UNITS[unit.lower()]:g}; "


class _Once(argparse.Action):
    """A setting given twice is refused (argparse would keep the last one silently): mixed into the store
    action and ``--NAME/--no-NAME``.  The settings seen are kept in the namespace under ``_given``."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        given: set[str] = namespace.__dict__.setdefault("_given", set())
        if self.dest in given:
            shown = "/".join(o for o in self.option_strings if o.startswith("--")) or "/".join(self.option_strings)
            parser.error(GIVEN_TWICE.format(flag=shown))
        given.add(self.dest)
        super().__call__(parser, namespace, values, option_string)


class _StoreOnce(_Once, argparse._StoreAction):
    """``store`` (every value option's action), given once."""


class BooleanOnce(_Once, argparse.BooleanOptionalAction):
    """``--NAME/--no-NAME``, either form given once (pass it as ``action=``)."""


class _StoreTrueOnce(_Once, argparse._StoreTrueAction):
    """A switch (``--best``, ``--json``...), given once."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, whose mistakes (an unknown option, a bad value, a missing argument, a script's
    own ``parser.error``) end as the ``mlevolve`` command's do: ``SCRIPT: error: MESSAGE`` and a hint
    on the next line, exit status 2, without argparse's usage lines.  An unknown option is reported
    before any other mistake (:func:`unknown_options`); a setting or switch given twice is refused, as
    the ``mlevolve`` command refuses it (argparse keeps the last one silently).  A ``type=int`` value is
    read by the one rule of an integer (:func:`~mlevolve.interpreter.standalone.spec.read_int`: ``20``
    or ``1e3``; no sign or inner space).  An option is its whole name, as an exported script's: argparse's
    abbreviations are off (a fresh-user pass: ``evolve --time 60``, meant as a run's clock, was read silently as
    ``--timeout 60``, each candidate's), so a prefix is an unknown option, answered with the closest name."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)
        self.register("type", int, read_int)  # argparse still names the type "int" in its message
        self.register("action", None, _StoreOnce)
        self.register("action", "store", _StoreOnce)
        self.register("action", "store_true", _StoreTrueOnce)

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        given = sys.argv[1:] if args is None else list(args)
        if not self._intermixing:  # (argparse's intermixed parse passes a part of them again)
            self._argv = given
        unknown = unknown_options(self, given)
        if unknown:
            self.error(f"unrecognized arguments: {' '.join(unknown)}", closest_option(self, unknown))
        if self._intermixing:
            return super().parse_known_args(given, namespace)
        fresh = copy.deepcopy(namespace)
        parsed, extra = super().parse_known_args(given, namespace)
        if not any(not e.startswith("-") for e in extra) or not self._intermixable():
            return parsed, extra
        self._intermixing = True  # argparse's intermixed parse calls this method for each of its two passes
        try:
            return self.parse_known_intermixed_args(given, fresh)
        finally:
            self._intermixing = False

    _intermixing = False
    _argv: Sequence[str] = ()  # the arguments being parsed: an error's hint reads them

    def _intermixable(self) -> bool:
        """Whether a positional left over may be one that follows options (``show DB --best HASH``, ``show DB
        -n 2 HASH``): argparse's plain parse fills an optional positional at its first chance and then leaves a
        later one over as unrecognised; its intermixed parse reads them, but cannot serve a parser with
        subcommands."""
        return not any(isinstance(a, argparse._SubParsersAction) or a.nargs == argparse.REMAINDER
                       for a in self._get_positional_actions())

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: argparse.Namespace | None = None) -> argparse.Namespace:
        """argparse's, without the once-only actions' record of what was given (``vars(args)`` holds only
        settings; the ``mlevolve`` command reads that record through ``parse_known_args``)."""
        parsed = super().parse_args(args, namespace)
        vars(parsed).pop("_given", None)
        return parsed

    def error(self, message: str, hint: str = "") -> NoReturn:
        """Print ``message`` and ``hint`` (default: how to read the help) as one error; exit with status 2.  A
        count below its floor (:func:`at_least`) reads as the ``mlevolve`` command's (:data:`AT_LEAST`)."""
        if low := re.fullmatch(r"argument (?:\S+/)?(\S+): must be at least (\d+), got (\d+)", message):
            message, hint = (text.format(name=low[1], low=low[2], got=low[3]) for text in AT_LEAST)
        stray = re.match(r"unrecognized arguments: (\S+)", message)  # a value after a switch: --json true
        hint = hint or (stray and switch_value_hint(self, self._argv, stray[1])) or \
            closest_choice(message) + HELP.format(prog=self.prog)
        self.exit(EXIT_USAGE, printable(f"{self.prog}: error: {message}\nhint: {hint}\n"))  # a flag quoted as typed


def output_folder(path: str | Path, flag: str = "--out") -> Path:
    """Folder ``path`` (given as ``flag``), made now (with its parents) so that the script's results have a
    place before its runs, not after them.  Raises :class:`MlevError` where a file is there, or where a file
    stands in for one of its parents, as a one-line error naming ``flag``."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise MlevError(f"{flag} {path} is a file, not a folder", hint=f"pass {flag} a folder (a new one is made)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:  # a file where one of its parents would be, a folder not writable
        raise MlevError(f"{flag} {path}: cannot make the folder: {err.strerror or type(err).__name__}",
                        hint=f"pass {flag} a folder that can be made") from None
    return folder


def output_file(path: str | Path, flag: str = "--out") -> Path:
    """File ``path`` (given as ``flag``), checked before the script's runs: its folder exists and it is no folder.
    Raises :class:`MlevError` otherwise, as a one-line error naming ``flag``."""
    file = Path(path)
    if file.is_dir():
        raise MlevError(f"{flag} {path} is a folder, not a file",
                        hint=f"pass {flag} a file name, e.g. {file / 'out.json'}")
    if not file.parent.is_dir():
        raise MlevError(f"{flag} {path}: no folder {file.parent}",
                        hint="create it, or name a file in an existing folder")
    return file


def read_json(path: str | Path, what: str, keys: tuple[str, ...] = ()) -> Any:
    """The JSON document in file ``path`` (``what`` names it in the hint: "a --out file of this script"),
    an object holding ``keys`` where any are named.  Raises :class:`MlevError` at ``FILE:LINE:COL``
    where the text is not JSON or not such an object; ``FileNotFoundError`` where there is no such
    file (:func:`run` reports both)."""
    return _parsed(_text(path, what), 0, str(path), what, keys)


def _text(path: str | Path, what: str) -> str:
    """File ``path``'s text, or :class:`MlevError` where it is not UTF-8 (an archive given for a JSON file)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MlevError(f"not {what}: not UTF-8 text", file=str(path), hint=f"give {what}") from None


def read_json_lines(path: str | Path, what: str, keys: tuple[str, ...] = (),
                    values: Mapping[str, Collection[str]] | None = None, numbers: tuple[str, ...] = ()) -> list[Any]:
    """The JSON value on each non-blank line of file ``path`` (JSON Lines, https://jsonlines.org),
    in order, each an object holding ``keys`` where any are named, a value in ``values[key]`` for each
    key there and a number (not a boolean) for each key of ``numbers``; errors as :func:`read_json`'s, at
    the line's number."""
    text = _text(path, what)
    rows = []
    for number, line in enumerate(text.split("\n"), 1):
        if line.strip():
            row = _parsed(line, number, str(path), what, keys)
            at = Span(number, 1, number, 1)
            for key, known in (values or {}).items():
                if row.get(key) not in known:
                    raise MlevError(f"not {what}: unknown {key} {row.get(key)!r}", at, file=str(path),
                                    hint=f"{key}s this script knows: {', '.join(sorted(known))}")
            for key in numbers:
                if isinstance(row.get(key), bool) or not isinstance(row.get(key), int | float):
                    raise MlevError(f"not {what}: {key} is {json.dumps(row.get(key))}, not a number", at,
                                    file=str(path), hint=f"give {what}")
            rows.append(row)
    return rows


def _parsed(text: str, line: int, file: str, what: str, keys: tuple[str, ...]) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as err:  # its lineno/colno count within ``text``
        at = line or err.lineno
        raise MlevError(f"not JSON: {err.msg}", Span(at, err.colno, at, err.colno), file=file,
                        hint=f"give {what}") from None
    missing = [k for k in keys if not isinstance(value, dict) or k not in value]
    if missing:
        at = line or 1
        raise MlevError(f"not {what}: no {', '.join(map(repr, missing))} field", Span(at, 1, at, 1), file=file,
                        hint=f"give {what}")
    return value


def at_least(low: int) -> Callable[[str], int]:
    """An argparse ``type``: a whole number ``>= low`` (a count: seeds, repeats, a budget), so that a
    count a script cannot run with is a usage error (exit status 2), not an empty result's traceback."""
    def parse(text: str) -> int:
        value = read_int(text)  # the one rule of an integer: "invalid int value", its hint the rule (closest_choice)
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")  # in AT_LEAST's words (error)
        return value

    parse.__name__ = "int"  # what argparse names in "invalid int value: 'x'", as for the command's integer flags
    return parse


DECIMAL = re.compile(r"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")  # every decimal number a user types: 0.5, 1e-3


def read_decimal(text: str) -> float:
    """``text`` as a float by :data:`DECIMAL`'s rule (:data:`~mlevolve.messages.DECIMAL_RULE`: no sign, inner space,
    comma, ``_``, inf or nan, which ``float`` takes), else ValueError: every float flag of mlevolve and of
    these scripts."""
    if len(text := text.strip()) > 99 or not DECIMAL.fullmatch(text):  # surrounding space aside, as read_int's
        raise ValueError(f"invalid number: {text!r}")
    if _beyond_float64(text):  # 1e400 read as inf, 1e-400 as 0: the value would not be the one typed
        raise ValueError(f"number out of float64's range: {text!r}")
    return float(text)


def _beyond_float64(text: str) -> str:
    """Why decimal ``text`` (:data:`DECIMAL`'s) is no float64 it could be read as, in a hint's words: too large
    (``1e400`` reads as inf) or too small (``1e-400``, not 0, reads as 0), as the language refuses such a literal;
    ``""`` for a number float64 holds."""
    value = float(text)
    if math.isinf(value):
        return f"{text} is too large: a float64 is at most about 1.8e308"
    if value == 0 and any(c in "123456789" for c in text.lower().partition("e")[0]):
        return f"{text} is too small: a float64 above 0 is at least about 5e-324 (write 0 if 0 is meant)"
    return ""


def positive(text: str) -> float:
    """An argparse ``type``: a finite number ``> 0`` (a duration in seconds, say) by the one rule of a
    user's decimal number (:func:`~mlevolve.script.read_decimal`)."""
    value = read_decimal(text)  # "invalid float value: 'x'", its hint the rule of a number (closest_choice)
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"must be a finite number above 0, got {text!r}")
    return value


positive.__name__ = "float"  # what argparse names in "invalid float value: 'x'", as for the command's float flags


def int_list(text: str) -> list[int]:
    """An argparse ``type``: comma-separated whole numbers (``"0,1,2"``; empty items skipped); ValueError: argparse's
    "invalid comma-separated int value", whose hint is the rule of an integer (:func:`closest_choice`)."""
    return [read_int(item.strip()) for item in text.split(",") if item.strip()]  # spaces around a comma aside


int_list.__name__ = "comma-separated int"
