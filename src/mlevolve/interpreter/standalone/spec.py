"""How a task spec (``NAME[:key=value...]``) and an integer a user types are read, in the library's words.

The one reader of both: the library's (:mod:`mlevolve.interpreter.tasks`, the command line's integer flags) and an
exported script's, which shows this part after its training loop, beside the ``main`` that applies it, so that a
mistake in a script's ``--task`` or ``--seed`` reads as ``mlevolve run`` says it.
"""

import importlib
import re
import shlex
from typing import Any

from mlevolve.interpreter.standalone.spelling import closest, did_you_mean, printable


class TaskError(Exception):
    """A task that cannot be loaded (bad name, option or data file); ``hint``: its fix; ``where``: FILE[:LINE[:COL]]"""
    def __init__(self, message: str, hint: str = "", where: str = "", *, option: str = "", param: str = "") -> None:
        message, hint, self.option, self.param = printable(message), printable(hint), option, param  # option's key
        self.message, self.hint, self.where = f"{where}: {message}" if where else message, hint, where  # WHERE: ...
        super().__init__(self.message + (f" (hint: {hint})" if hint else ""))


def package(module: str, task: str = "") -> Any:
    """``module``, imported where a task first needs it (scikit-learn's data sets, gymnasium), so that a script whose
    task needs none runs without it; missing, a TaskError naming what to install, before any training."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as missing:
        name = str(missing.name or module).partition(".")[0]
        raise TaskError(f"{f'task {task!r}' if task else 'this task'} needs the package {name}",
                        "pip install " + {"sklearn": "scikit-learn"}.get(name, name)) from None


OPTION_RANGES = {"n_tasks": (1, 10_000), "dim": (1, 4_096), "n_train": (2, 1_000_000), "n_val": (1, 1_000_000),
                 "n_test": (2, 1_000_000), "fresh": (0, 1)}  # every integer task option (the library's too)
MIN_TRAIN_POINTS = 3  # a formula's fewest (n_train=, max_samples): its linear scaling a + b * f fits 2 exactly
LEAST = {(kind, "n_train"): (MIN_TRAIN_POINTS, 1_000_000, (" (a formula's linear scaling a + b * f fits 2 points "
         "exactly)")) for kind in ("a formula task", "a data file for a formula")}  # a kind's own range, and why
SPEC_WORDS = {  # every task-spec loader's words, the library's too: {0} key, {1} spec, {2} name, {3}/{4} kind, {5}
    "twice": ("option '{0}' is given twice in task spec '{1}'", "give each option once"),  # options, {6} did you mean
    "empty": ("option '{0}' has no value in task spec '{1}'", "write it as NAME:key=value, or leave the option out"),
    "colon": ("option '{0}' has no value in task spec '{1}'", "{3}; a value holding ':' is written in quotes: {2}"),
    "open": ("option '{0}' opens a quote it does not close in task spec '{1}'", "close it: {0}='A:B' or {0}=\"A:B\""),
    "after": ("option '{0}' has text after its closing quote (column {3}) in task spec '{1}'", "quote it all: {2}"),
    "unknown": ("unknown option '{0}' for task '{2}'{3}", "{6}options{4}: {5}"),  # {3} ", a formula task", {4} " of"
    "nameless": ("task spec '{1}' leaves {0} name out", "write NAME:key=value, e.g. data.csv:target=y"),
    "=": ("option '{0}' runs into another in task spec '{1}'", "separate options with ':', as in NAME:a=1:b=2"),
    "quoted": ("task {1} is in quotes of its own, taken as part of its name",  # {0}: the spec without them
               "drop them: {0} (a task line quotes a data file; a flag's value is not quoted again)")}
ONLY = {key: (kind, f"{key}= is read only by a {kind} program (its {what}); ") for key, kind, what in (  # hint's start
    ("group", "learner", "data file's rows split into tasks"), ("fitness", "learner", "score on a family or data file"),
    ("weight", "formula", "rows' weights, in weighted least squares: other programs train unweighted"))} | {
    key: ("-", f"{key} is the --{key} flag, not a task option; ") for key in ("seed", "epochs")}  # a run's setting
RANGE_WORDS = ("option {key}={value} of task '{name}' must be an integer from {lo:,} to {hi:,}",  # the library's too
               "write e.g. {fix}{why}",  # an integer option out of its range; {fix}: the spec mended; where the default
               "leave {key} out to use every row, as {fix} does, or give from {lo} to the file's fitting rows{why}",
               "option {key}={value} of task '{name}' must be an integer from {lo:,} to the file's fitting rows")
# is None, every row (a data file's n_train), the range's top is the file's fitting rows, which the file's reader
# checks: error and hint name no number but them (the sentinel 1,000,000 of before capped a file there)
CHOICE_WORDS = ("option {key}={value} of task '{name}'{kind} must be {of}", "{mean}write e.g. {fix}")  # library's too
# Choices valid by another option's value: an error lists the spec's, or each with its value (doc89)
CHOICE_CONTEXT = {("a data file for a learner", "fitness"): ("problem", {
    "regression": ("mse", "squashed", "relative"), "classification": ("accuracy",)})}
QUOTED = re.compile(r"""=\s*(["'])(.*?)\1""")  # key='y:m', key="y:m": a value in quotes may hold ':'
INTEGER = re.compile(r"([0-9]+)(?:[eE]([0-9]+))?")  # every integer a user types (flags, task options): 20, 1e3


def read_int(text: str) -> int:  # surrounding space aside, as of every value typed: a spec's parts, a flag's
    """``text`` as an integer by :data:`INTEGER`'s rule (``1e3`` is 1000), else ValueError; ``e`` past 99 reads as 99"""
    if len(text := text.strip()) > 99 or not (match := INTEGER.fullmatch(text)):  # 99 digits: past every range
        raise ValueError(f"invalid integer: {text!r}")
    return int(match[1]) * 10 ** min(int(match[2] or 0), 99)  # type: ignore[no-any-return]


def mended(name: str, given: dict[str, Any], key: str, value: Any) -> str:
    """Task spec ``name`` with options ``given`` but ``key`` set to ``value`` (None: left out), shell-quoted"""
    options = [k + "=" + spec_value(v, '"') for k, v in {**given, key: value}.items() if v is not None]
    return shlex.quote(":".join([name, *options]))


def spec_value(value: Any, quote: str = "'") -> str:
    """An option's value as a spec writes it: quoted where it holds ':' (single: a task line's quotes are double)"""
    quote = quote if quote not in (text := str(value)) else "'\"".replace(quote, "")
    return quote + text + quote if ":" in text or text[:1] in ("'", '"') else text


def split_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``NAME[:key=value...]`` as its name and options as typed, each once with one value (the library's too)"""
    kept = {str(m.start()): m for m in QUOTED.finditer(spec)}  # quoted values, by place: aside while ':' splits
    raw = QUOTED.sub(lambda m: f"=\0{m.start()}\0" if m[2] else "=", spec).split(":")  # '' no value; path: to .csv
    k = max((i for i in range(2, len(raw) + 1) if "=" not in ":".join(raw[1:i])  # before any option
             and ":".join(raw[:i]).strip().lower().endswith((".csv", ".npz"))), default=1)
    name, *parts = (part.strip() for part in [re.sub("\0([0-9]+)\0", lambda m: kept[m[1]][0][1:],  # a file's
                                                      ":".join(raw[:k])), *raw[k:]])  # name='x'.csv, as typed
    if not name or not all(part.partition("=")[0].strip() for part in parts):  # ":target=y", "nguyen1:", "a::b=1"
        raise TaskError(*(t.format("an option's" if name else "the task's", spec) for t in SPEC_WORDS["nameless"]))
    typed = dict[str, str]()
    for key, eq, value in (map(str.strip, part.partition("=")) for part in parts):
        if why := "twice" if key in typed else "open" if value[:1] in ("'", '"') else "="[:"=" in value] if value \
                else "colon" if typed and not eq else "empty":  # colon: y:m of target=y:m, a value holding ':'
            fix = mended(name, typed, last := list(typed or [key])[-1], f"{typed.get(last)}:{key}")
            raise TaskError(*(t.format(key, spec, fix, SPEC_WORDS["empty"][1]) for t in SPEC_WORDS[why]), option=key)
        if (end := re.match("\0([0-9]+)\0", value)) and value[end.end():]:  # 'y:m'x: not y:mx ('y:k='z': not closed)
            q, why = kept[end[1]], "open" if re.search(r":[^:=]+=$", kept[end[1]][2]) else "after"
            raise TaskError(*(t.format(key, spec, mended(name, typed, key, q[2] + value[end.end():]), q.end() + 1)
                              for t in SPEC_WORDS[why]), option=key)
        typed[key] = re.sub("\0([0-9]+)\0", lambda m: kept[m[1]][2], value)  # its quoted value, if any, back
    return name, typed


def task_hint(name: str, names: Any) -> str:
    """An unknown task's hint's start: its spec mended where options follow a name by not ':' (``nguyen1,n_train=5``)"""
    head, *options = re.split(r"[,;\s]+", name)
    ok = options and "=" in options[0] and (head in names or head.lower().endswith((".csv", ".npz")))
    return f"options follow the name after ':', as in {shlex.quote(':'.join([head, *options]))}; " if ok else \
        did_you_mean(name, names)


def parse_spec(spec: str, defaults: dict[str, Any], names: Any = None, kind: str = "") -> tuple[str, Any]:
    """``NAME[:key=value...]``: a name in ``names`` (if any), ``defaults`` updated (tuple: a choice); else TaskError"""
    if (q := (s := spec.strip())[:1]) in ("'", '"'):  # '"data.csv":target=y': the shell's quotes, typed again
        raise TaskError(*(t.format(shlex.quote(s.replace(q, "", 2)), s) for t in SPEC_WORDS["quoted"]))  # the library's
    name, typed = split_spec(spec)  # its form first, then its words: as the library checks them
    if names is not None and name not in names:  # a script loads the kind of task it was exported for
        why = ": this script loads built-in tasks, not data files" if name.lower().endswith((".csv", ".npz")) else ""
        hint = f"{task_hint(name, names)}its tasks: {', '.join(sorted(names))}; another: mlevolve export --task TASK"
        raise TaskError(f"unknown task '{name}'{why}", hint)
    return name, spec_options(name, typed, defaults, kind)


def spec_options(name: str, typed: dict[str, Any], defaults: dict[str, Any], kind: str = "") -> dict[str, Any]:
    """``defaults`` (a tuple: its choices, the first the default) updated by options ``typed`` of task ``name``: each
    one it takes (all names first: a hint mends a value only in a spec whose names hold), then key by key one of its
    choices, an integer in its range (:func:`int_option`); else TaskError"""
    options = {k: v[0] if isinstance(v, tuple) else v for k, v in defaults.items()}
    for key in (k for k in typed if k not in options):
        of, why = ONLY.get(key, (kind, ""))  # an option another kind's task reads, a flag: the hint says whose
        raise TaskError(*(t.format(key, name, name, kind and f", {kind}", kind and f" of {kind}", ", ".join(defaults)
                                   or f"none, so write just {name}", did_you_mean(key, defaults) if of in kind else why)
                          for t in SPEC_WORDS["unknown"]), option=key)
    for key, value in typed.items():
        if isinstance(defaults[key], tuple) and value not in defaults[key]:  # e.g. problem=, fitness=
            raise TaskError(*choice_error(key, typed, name, defaults[key], kind), option=key)
        options[key] = int_option(key, typed, name, defaults[key], kind) if key in OPTION_RANGES else value
    return options


def spec_name(spec: str, defaults: dict[str, Any]) -> str:  # nguyen1 : n_train = 3e1 is nguyen1:n_train=30
    """Task ``spec``'s one name (the library's too): its name, then the options off their ``defaults``, as read"""
    (name, options), bare = parse_spec(spec, defaults), parse_spec(spec.split(":")[0], defaults)[1]
    return ":".join([name, *(f"{key}={spec_value(value)}" for key, value in options.items() if value != bare[key])])


def choice_error(key: str, given: dict[str, Any], name: str, choices: tuple[str, ...], kind: str) -> tuple[str, ...]:
    """(message, hint) of ``key`` of ``given`` not in ``choices`` (the library's too); the hint mends the spec"""
    value, ok = given[key], [c for c in choices if c]
    by, valid = CHOICE_CONTEXT.get((kind, key), ("", {}))
    ok = list(valid.get(stated := str(given.get(by, "")), ok))  # stated in the spec: only its choices
    of = " or ".join(ok) + (f" (with {by}={stated})" if stated in valid else "")
    if valid and stated not in valid:  # left to the data: each with its value
        of = "; ".join(f"{' or '.join(v)} for {by}={k}" for k, v in valid.items()) + f" ({by} detected from the data)"
    fix = closest(str(value), ok) or ok[0]
    return tuple(w.format(key=key, value=value, name=name, kind=kind and f", {kind},", of=of,
                          mean=did_you_mean(str(value), ok), fix=mended(name, given, key, fix))
                 for w in CHOICE_WORDS)


def int_option(key: str, given: dict[str, Any], name: str, default: int | None, kind: str = "") -> int:
    """Option ``key`` of ``given`` (text, or an int) as an integer (:func:`read_int`) in its range (a kind's: LEAST)"""
    lo, hi, why = LEAST.get((kind, key), (*OPTION_RANGES[key], ""))  # a formula's n_train=1 was told 2, then 2 refused
    try:
        number = read_int(str(value := given[key]))
    except ValueError:  # not by the rule
        number = lo - 1
    if not (number if (every := default is None) else hi) >= number >= lo:  # every row's top: the file's rows (its
        fix = mended(name, given, key, default)  # reader checks them); a default of None: the option left out
        message, hint = map(str.format_map, RANGE_WORDS[3:1:-1] if every else RANGE_WORDS[:2], [locals()] * 2)
        if re.fullmatch(r"[0-9]{1,3}(,[0-9]{3})+", grouped := str(value).strip()):  # 1,000: thousands separated
            plain = int(grouped.replace(",", ""))  # the integer meant: the spec with it, where in range
            hint = f"write {mended(name, given, key, plain)}" if lo <= plain <= hi else hint
            message += ": it has no thousands separator"
        raise TaskError(message, hint, option=key)
    return number
