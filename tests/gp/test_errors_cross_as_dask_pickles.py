"""Every error a user can cause crosses a process boundary as Dask pickles it (issue: tblib74).

Dask's ``distributed`` calls ``tblib.pickling_support.install()`` as it is imported: every exception class then
defined gets a pickler in ``copyreg.dispatch_table`` (which wins over the class's own ``__reduce__``) that pickles
the exception's ``__context__``, ``__cause__`` and ``__traceback__`` too; ``distributed.core.error_message`` does
the same for a task's error and its causes.  An error raised inside an ``except`` block whose caught exception cannot
be pickled (Lark's, which holds the parser's callbacks) could not cross from a Dask worker, nor be pickled in any
process that had imported ``distributed``.  Here a wide corpus of user errors, raised through the public API (bad
``.mlev`` texts of each kind, bad grammar files, bad data files, bad settings), is pickled so, each of its class with
its text and fields; and a candidate that fails with an unpicklable context on a worker is a failure (data), from the
pool and from ``--dask local:1``.
"""

from __future__ import annotations

import ast
import copyreg
import pickle
import random
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mlevolve import api
from mlevolve.dsl.errors import MlevError, MlevErrors, portable, portable_errors
from tests.conftest import EXAMPLES, ROOT

pickling_support = pytest.importorskip("tblib.pickling_support")


@pytest.fixture
def as_dask_pickles() -> Iterator[None]:
    """tblib's pickling installed for every exception class, as importing ``distributed`` installs it; the
    table the test found is restored after (the registration is global)."""
    before = dict(copyreg.dispatch_table)
    pickling_support.install()
    try:
        yield
    finally:
        copyreg.dispatch_table.clear()
        copyreg.dispatch_table.update(before)


def _raised(call: Callable[[], Any]) -> MlevError | None:
    """The MlevError ``call`` raises, None where it raises none."""
    try:
        call()
    except MlevError as err:
        return err
    return None


def _mutants(text: str, rng: random.Random, n: int) -> Iterator[str]:
    """``n`` texts of ``text`` each with one character deleted, doubled or replaced by one of the language's."""
    alphabet = "()=:,+-*/.<>!$#@_ 0123456789\nabxyzeLSTV"
    for _ in range(n):
        i = rng.randrange(len(text))
        yield rng.choice([text[:i] + text[i + 1:], text[:i] + text[i] + text[i:],
                          text[:i] + rng.choice(alphabet) + text[i + 1:]])


def _nested(op: str, depth: int) -> str:
    """A formula ``op(op(...(x)))``, ``depth`` calls deep."""
    return "algorithm a\nformula f(x: Scalar) -> Scalar =\n  " + f"{op}(" * depth + "x" + ")" * depth + "\n"


def _shown(text: str) -> tuple[str, str]:
    """A formula's SymPy form as ``show --sympy`` shows it (text, LaTeX)."""
    from mlevolve.interpreter.algebra import formula_display

    return formula_display(api.check(text).definitions[0], api.formula_sympy(text))


def _program_errors() -> list[MlevError]:
    """Syntax and type errors of every kind: the golden corpora of tests/dsl/test_errors.py, and one-character
    mutants of every example program (a fixed seed: the same corpus each run)."""
    from tests.dsl import test_errors as golden

    made: list[MlevError | None] = [*golden._errors_of_every_kind()]
    made += [golden._parse_error(body) for body in golden._PARSE_FAILURES]
    made += [_raised(lambda t=typo, s=slot: api.parse(golden.HEAD + golden._LEARNER.format(**{**golden._WORDS,
                                                                                                s: t})))
             for slot, typo in golden._TYPOS]
    for op, depth in (("sin", 400), ("exp", 1000)):  # too deep for SymPy's evaluation, for its printers
        made.append(_raised(lambda o=op, n=depth: _shown(_nested(o, n))))
    rng = random.Random(74)
    for path in sorted(EXAMPLES.glob("*.mlev")):
        made += [_raised(lambda t=text: api.check(t)) for text in _mutants(path.read_text(), rng, 40)]
    return [err for err in made if err is not None]


def _grammar_errors(folder: Path) -> list[MlevError]:
    """A grammar file's every mistake (the cases of tests/grammar/test_grammar_files.py), loaded."""
    from mlevolve.grammar.spec import load_grammar
    from tests.grammar.test_grammar_files import CASES

    made = []
    for k, (text, _, _) in enumerate(CASES):
        path = folder / f"g{k}.grammar.toml"
        path.write_text(text)
        made.append(_raised(lambda p=path: load_grammar(p)))
    return [err for err in made if err is not None]


def _data_errors(folder: Path) -> list[MlevError]:
    """A data file's every mistake (the files of tests/cli/test_export_data_files.py), loaded as run() loads it."""
    from mlevolve.api.running import _prepare
    from mlevolve.api.taskdata import _load_task
    from tests.cli.test_export_data_files import BAD, _files

    _files(folder)
    program = str(EXAMPLES / "quartic.mlev")

    def load(spec: str) -> None:
        _, checked, name = _prepare(program, spec, None)
        _load_task(checked, name, 0, program, spec)

    made = [_raised(lambda s=f"{folder}/{spec}": load(s)) for spec in BAD]
    return [err for err in made if err is not None]


def _setting_errors(folder: Path) -> list[MlevError]:
    """Bad settings: a run's resources, an evolve's keywords that the algorithm ignores, a meta configuration's TOML."""
    from mlevolve.gp.backends import Resources
    from tests.cli.test_ignored_settings import CASES

    quartic = str(EXAMPLES / "quartic.mlev")
    made = [_raised(Resources(workers=-1).check), _raised(Resources(timeout=-1.0).check),
            _raised(Resources(dask="local:1", workers=2).check)]
    made += [_raised(lambda k=keywords: api.evolve(quartic, ["f"], budget=4, db=folder / "r.db", quiet=True, **k))
             for keywords, _, _, _ in CASES]
    for k, text in enumerate(['program = 3\n', 'program = "missing.mlev"\n', '[meta\n', 'nope = 1\n']):
        path = folder / f"m{k}.toml"
        path.write_text(text)
        made.append(_raised(lambda p=path: api.meta(p, folder / f"{p.stem}.db", quiet=True)))
    made.append(_raised(lambda: api.run(quartic, task="no_such_task")))
    return [err for err in made if err is not None]


def _same(made: BaseException, err: BaseException) -> None:
    assert type(made) is type(err) and str(made) == str(err) and made.args == err.args
    if isinstance(err, MlevError):
        assert isinstance(made, MlevError)
        assert (made.message, made.span, made.hint, made.file) == (err.message, err.span, err.hint, err.file)


CORPORA: dict[str, Callable[[Path], list[MlevError]]] = {
    "program": lambda _: _program_errors(), "grammar": _grammar_errors, "data": _data_errors,
    "settings": _setting_errors}


@pytest.mark.parametrize("corpus", CORPORA)
def test_every_user_error_pickles_as_dask_pickles_it(corpus: str, tmp_path: Path, as_dask_pickles: None) -> None:
    """Each error of the corpus, pickled with tblib installed for every class as ``distributed`` installs it (and
    for the error and its causes, as ``distributed.core.error_message`` does), comes back of its class, with its
    text and fields."""
    errors = CORPORA[corpus](tmp_path)
    assert len(errors) >= 4, errors  # the corpus is what it says: errors were raised
    failed = []
    for err in errors:
        pickling_support.install(err)
        try:
            made = pickle.loads(pickle.dumps(err))
        except Exception as why:  # collected, so that every failing error is named at once
            failed.append(f"{type(err).__name__}: {err.message!r}: {type(why).__name__}: {why}")
            continue
        _same(made, err)
        _same(pickle.loads(pickle.dumps(portable(err))), err)  # as a worker function raises it (portable_errors)
    assert not failed, "\n".join(failed)


# ------------------------------------------------------------------------------------------ the process boundary
class Unpicklable(Exception):
    """A library's exception that holds what cannot be pickled (as Lark's holds its parser's callbacks)."""

    def __init__(self) -> None:
        super().__init__("held")
        self.hold = threading.Lock()  # no pickler, cloudpickle (Dask's second try) included, takes a lock


def _raised_in_a_handler() -> None:
    """A user error raised while an unpicklable exception is handled: that exception is its ``__context__``."""
    try:
        raise Unpicklable
    except Unpicklable:
        raise MlevError("bad value 3", None, "give 2", "f.toml") from None


def _several_in_a_handler() -> None:
    """Errors of several definitions, each raised in such a handler, raised together."""
    errors = []
    for _ in range(2):
        try:
            _raised_in_a_handler()
        except MlevError as err:
            errors.append(err)
    raise MlevErrors(errors)


def _unpicklable_argument() -> None:
    raise ValueError(threading.Lock())


def _raw_job(kind: str) -> int:
    """A worker function (as Dask runs one) that raises one of the errors above, as it is raised."""
    {"handler": _raised_in_a_handler, "several": _several_in_a_handler, "argument": _unpicklable_argument}[kind]()
    return 0


@portable_errors
def _worker_job(kind: str) -> int:
    """:func:`_raw_job` raising its error portable (a module-level function of its own, as Dask pickles one by its
    name)."""
    return _raw_job(kind)


@pytest.mark.parametrize("kind", ["handler", "several"])
def test_a_worker_functions_error_crosses_of_its_class_with_its_text(kind: str, as_dask_pickles: None) -> None:
    """Unwrapped, the error cannot be pickled as Dask pickles it (its context holds a lock); raised by a worker
    function (``portable_errors``) it comes back of its class, with its text and fields, and no context."""
    with pytest.raises(MlevError) as raw:
        _raw_job(kind)
    pickling_support.install(raw.value)
    with pytest.raises(Exception, match=r"pickle"):
        pickle.dumps(raw.value)
    with pytest.raises(MlevError) as crossed:
        _worker_job(kind)
    pickling_support.install(crossed.value)
    made = pickle.loads(pickle.dumps(crossed.value))
    _same(made, raw.value)
    assert made.__context__ is None and made.__cause__ is None
    if kind == "several":
        assert isinstance(made, MlevErrors) and [e.message for e in made.errors] == ["bad value 3", "bad value 3"]
        assert all(e.__context__ is None for e in made.errors)


def test_an_error_that_cannot_be_pickled_at_all_crosses_as_its_text(as_dask_pickles: None) -> None:
    with pytest.raises(RuntimeError, match=r"^ValueError: <unlocked _thread\.lock object") as err:
        _worker_job("argument")
    assert str(pickle.loads(pickle.dumps(err.value))) == str(err.value)


def test_an_interrupt_passes_a_worker_function_as_it_is() -> None:
    @portable_errors
    def stopped() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        stopped()


class ContextFactory:
    """Builds :class:`ContextEvaluator`s (hashable by value, as a Dask worker keeps its evaluators by factory)."""

    def __call__(self) -> ContextEvaluator:
        return ContextEvaluator()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ContextFactory)

    def __hash__(self) -> int:
        return 74


class ContextEvaluator:
    """Fails a program holding ``cos`` with a user error whose context cannot be pickled; scores the rest."""

    supports_hurdle = False

    def fingerprint(self, program: object, key: str) -> tuple[None, None]:
        return None, None

    def evaluate(self, program: object, key: str, quick: bool = False) -> Any:
        from mlevolve.dsl.printer import format_program
        from mlevolve.results import Outcome

        if "cos(" in format_program(program):  # type: ignore[arg-type]
            _raised_in_a_handler()
        return Outcome({"fitness": 1.0})


def _answers(backend: Any) -> dict[int, Any]:
    from mlevolve.gp.backends import Request
    from tests.gp.test_parallel import CRASH, PROGRAM, _drain

    try:
        for job, text in enumerate([PROGRAM.format(k=1), CRASH, PROGRAM.format(k=2)]):
            backend.submit(Request(job, "evaluate", text, f"key{job}"))
        return _drain(backend, 3, limit=120)
    finally:
        backend.close()


@pytest.mark.slow
@pytest.mark.parametrize("where", ["pool", "dask"])
def test_a_candidate_whose_error_has_an_unpicklable_context_fails_as_data(where: str) -> None:
    """A candidate that raises a user error while an unpicklable exception is handled, on a pool worker and on a
    ``--dask local:1`` worker (where tblib pickles contexts), is a failure with the error's text; the worker goes on
    to score the rest."""
    from mlevolve.gp.backends import ProcessPool
    from mlevolve.results import Outcome

    if where == "dask":
        pytest.importorskip("distributed")
        from mlevolve.gp.dask_backend import DaskBackend

        backend: Any = DaskBackend(ContextFactory(), "local:1", timeout=60)
    else:
        backend = ProcessPool(ContextFactory(), workers=1, timeout=60)
    results = _answers(backend)
    assert sorted(results) == [0, 1, 2]
    failed = results.pop(1)
    assert isinstance(failed, Outcome) and failed.failure is not None
    assert (failed.failure.reason, failed.failure.where) == ("MlevError: bad value 3", "training")
    assert all(isinstance(r, Outcome) and r.failure is None for r in results.values())


@pytest.mark.slow
def test_a_dask_tasks_error_comes_back_of_its_class() -> None:
    """A Dask task (a worker function) that raises a user error whose context cannot be pickled: Dask sent it as a
    bare ``Exception`` of its repr; raised portable, it comes back an MlevError with its text and hint."""
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        bare = client.submit(_raw_job, "handler", pure=False).exception()
        crossed = client.submit(_worker_job, "handler", pure=False).exception()
    assert type(bare) is Exception
    assert isinstance(crossed, MlevError) and (crossed.message, crossed.hint) == ("bad value 3", "give 2")


# ------------------------------------------------------------------------------------------ where errors are raised
# Exceptions whose handler must not raise a new error: Lark's (they hold the parser and its callbacks) and SymPy's
# undecidable ones by name, and a RecursionError (its traceback's 1,000 frames run past pickle's recursion limit).
_HELD = {"RecursionError", "UNDECIDABLE", "UnexpectedInput", "UnexpectedToken", "UnexpectedCharacters",
         "UnexpectedEOF", "VisitError", "LarkError"}


def _raised_in_handlers(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """``(line, caught)`` of each ``raise`` of a new error inside an ``except`` of one of :data:`_HELD` (a bare
    ``raise`` and re-raising the caught error pass: they raise what was caught)."""
    for handler in ast.walk(tree):
        if not isinstance(handler, ast.ExceptHandler) or handler.type is None:
            continue
        caught = {n.id for n in ast.walk(handler.type) if isinstance(n, ast.Name)} & _HELD
        for node in (n for statement in handler.body for n in ast.walk(statement)):
            if isinstance(node, ast.Raise) and node.exc is not None and caught and not (
                    isinstance(node.exc, ast.Name) and node.exc.id == handler.name):
                yield node.lineno, ", ".join(sorted(caught))


def test_no_error_is_raised_while_an_exception_that_cannot_cross_is_handled() -> None:
    """A structural guard of the kind: raised inside such a handler (even ``from None``), an error carries the handled
    exception as its ``__context__``, which tblib pickles; raised after the handler, it carries none."""
    found = [f"{path.relative_to(ROOT)}:{line}: raised while {caught} is handled"
             for path in sorted((ROOT / "src" / "mlevolve").rglob("*.py"))
             for line, caught in _raised_in_handlers(ast.parse(path.read_text(encoding="utf-8")))]
    assert not found, "\n".join(found)


def test_the_structural_guard_finds_a_raise_in_such_a_handler() -> None:
    tree = ast.parse("try:\n    f()\nexcept (RecursionError, ValueError) as err:\n"
                     "    raise MlevError('deep') from None\n"
                     "try:\n    g()\nexcept UnexpectedInput as err:\n    raise err\n")
    assert list(_raised_in_handlers(tree)) == [(4, "RecursionError")]
