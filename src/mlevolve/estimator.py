"""The formula search as a scikit-learn estimator: ``SymbolicRegressor().fit(X, y).predict(X)``, used as
gplearn's ``SymbolicRegressor`` and PySR's ``PySRRegressor`` are (scikit-learn's estimator API:
https://scikit-learn.org/stable/developers/develop.html).

``fit`` runs :func:`mlevolve.api.evolve` on a formula of ``X``'s columns (parameters named after a DataFrame's
columns where the language takes them, else ``x0``, ``x1``, ... by position), on a CSV of ``X`` and ``y`` read by
the rules of every data file
(:mod:`mlevolve.interpreter.standalone.data`): a 60/20/20 split seeded by ``random_state``, the train and
validation rows the points the search fits (fitness: their R²), the test rows held out (``metrics_["test_r2"]``).
``sample_weight`` weights the search (the data file's ``weight=`` column, docs/data.md): weighted least squares in
the constants' fit, weighted MSE and R² (scikit-learn's) in the fitness and every metric.
``predict`` evaluates the best formula found, constants fitted and written in, by the path that scored it
(:func:`~mlevolve.interpreter.fastpath.formula_function`), so on the fitted points it gives the run's own numbers.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import re
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted, validate_data

from mlevolve.dsl.errors import MlevError, SettingError
from mlevolve.interpreter.component_templates import _text_numbers, _unique_columns
from mlevolve.report.data import DEFAULT_SELECTION, MODEL_SELECTIONS
from mlevolve.report.data import selected as selected  # the rule, named here for the estimator's users
from mlevolve.results import shown_metric, shown_program


class SymbolicRegressor(RegressorMixin, BaseEstimator):  # type: ignore[misc]
    """Symbolic regression by mlevolve's formula search, as a scikit-learn regressor.

    ``budget``: candidate formulas proposed (constant fitting's evaluations come on top, as ``mlevolve evolve``
    counts them); ``population``, ``algorithm``: the search's (None: ``mlevolve evolve``'s defaults);
    ``grammar``: a grammar file (the search space, e.g. ``benchmarks/sr_peers.toml`` or one ``mlevolve meta``
    wrote; None or "base": the base grammar); ``random_state``: the seed of the split and the search (an int: the same
    data and seed give the same formula; None or a ``numpy.random.RandomState``: one seed drawn from it);
    ``fit_constants``: linear scaling and Levenberg-Marquardt on each candidate's literals (Keijzer 2003;
    Operon's and PySR's practice); ``prune``: the best pruned by edits the run's scoring cannot tell from it;
    ``db``: the run's SQLite archive, kept for ``mlevolve show``, ``report`` and ``export`` (its data beside it
    as ``DB.csv``, never over another file of that name; a second ``fit`` with the same data and a larger
    ``budget`` resumes it, a smaller one gives the best of the run's first ``budget`` candidates with a UserWarning,
    other data is refused: leave it None in a cross-validation); None: a temporary one; ``verbose``: print the
    run's progress and, at its end, its Pareto front (each formula's index, size, train and test R² and
    expression, the one chosen marked), on stderr; ``max_samples``: the fitted rows at most, drawn with the seed
    where there are more (a data file's ``n_train``, docs/data.md: a fit's cost is linear in its rows; the held-out
    rows are the same), 3 at least (the linear scaling fits 2 exactly); None: all.
    ``max_time``: the search's wall-clock limit in seconds (``mlevolve evolve --max-time``; PySR's
    ``timeout_in_seconds``), a positive finite number; None, the default: ``budget`` alone ends it.  The fit then
    ends early with the best found so far (``summary_["time_limit"]`` says so), which depends on the clock; the
    search goes on past the limit to its first formula that succeeds, or ``population`` that fail (then a
    ValueError naming ``max_time``).  A second ``fit`` with the same ``db`` goes on from there with a fresh
    allowance, counted once its archive is read back (as start-up, however many candidates it holds).

    After ``fit``: ``program_`` (the best program, ``.mlev`` text, every digit: the model), ``expression_`` (its
    formula as ``mlevolve show --sympy`` prints it, its decimals to ``SHOWN_DIGITS`` (4) significant digits as every
    text for reading is: text for people, where :meth:`sympy` is the model, every digit; a column named as a SymPy
    constant or function, ``E``, ``I``, ``pi``, ``sin``, prints as that name, which ``sympy.sympify`` would read as
    the constant: take :meth:`sympy`'s expression for algebra), ``metrics_`` (``train_r2``, ``test_r2``,
    ``train_mse``, ``test_mse``...),
    ``summary_`` (the run's counts: ``candidates``, ``evaluated``, ``fit_evaluations``...), ``n_features_in_``,
    ``grammar_path_`` (the grammar file predict reads, by its absolute path; None: the base grammar), ``front_`` (the
    run's Pareto front of fitness against size, smallest first, its last the fittest: each a dict of ``size``,
    ``fitness``, ``score`` (PySR's: the log train MSE lost per node), ``metrics``, ``program``, ``expression`` and
    ``hash`` (its archive's: ``mlevolve export DB --hash H`` exports it where ``db`` kept the archive), as
    ``mlevolve best DB --front`` lists it, and ``pruned_from``; ``predict(X, index=i)`` and ``sympy(index=i)`` take
    ``front_[i]``).  Where the run pruned an entry (the fittest, or a ``model_selection`` rule's answer: docs/evolve.md,
    pruning), its ``program``, ``expression``, ``metrics``, ``fitness`` and ``hash`` are the pruned formula's, the one
    ``mlevolve best`` hands out for it, and ``pruned_from`` its candidate's hash (None elsewhere); ``size`` and
    ``score`` stay the front's, of the candidate the rule ranks.
    ``model_selection``: which formula of the front ``program_``, ``expression_``, ``metrics_`` and ``predict`` are
    (its entry's, pruned where the run pruned it: ``predict(X)`` is ``predict(X, index=i)`` of the entry chosen), as
    PySR's: ``best`` (the default, as PySR's) the highest score of those whose train MSE is at most 1.5 times the
    least (a smaller formula where more nodes buy little), ``accuracy`` the fittest, ``score`` the highest score
    (:func:`mlevolve.report.data.selected`).  On the peers' 17 problems, 3 seeds at 2,000 candidates
    (``benchmarks/model_selection.py``), ``best`` recovered 15 of 51 where ``accuracy`` recovered 2 with 10% noise
    on the targets, and the same 44 of 51
    without.  The command line answers by the same rule (``--select``, default ``best``: ``mlevolve export DB
    --best`` writes ``program_``'s formula where ``db`` kept the archive; :func:`mlevolve.api.answer`).
    A ``fit`` that raises leaves the estimator unfitted (``predict`` raises NotFittedError), never with the last
    fit's formula and this one's columns.  ``fit`` raises ValueError for data that cannot be searched (too few
    rows, a constant target, values beyond 1e150: the data files' rules, in their words, after ``n_samples = N,
    n_features = F``; a cell that is no number, text or a date or time, or that is NaN, missing or an infinity, in X or
    y, at its ``X[i, j]`` and a DataFrame's column, as written (a nullable column's ``<NA>``), in one line, predict's
    and score's alike) or a setting's mistake (a budget
    below 1, an unknown algorithm, no such grammar file, a db in no folder); a setting of the wrong type
    (``budget="5"``) is scikit-learn's ``InvalidParameterError``, a TypeError too.
    """

    def __init__(self, budget: int = 10_000, population: int | None = None, algorithm: str | None = None,
                 grammar: str | Path | None = None, random_state: int = 0, fit_constants: bool = True,
                 prune: bool = True, db: str | Path | None = None, verbose: bool = False,
                 max_samples: int | None = None, model_selection: str = DEFAULT_SELECTION,
                 max_time: float | None = None) -> None:
        self.budget = budget
        self.population = population
        self.algorithm = algorithm
        self.grammar = grammar
        self.random_state = random_state
        self.fit_constants = fit_constants
        self.prune = prune
        self.db = db
        self.verbose = verbose
        self.max_samples = max_samples
        self.model_selection = model_selection
        self.max_time = max_time

    def _check_parameters(self) -> None:
        """Refuse, as a ValueError naming it, a ``random_state``, ``verbose``, ``grammar`` or ``db`` of a kind ``fit``
        cannot use (scikit-learn's or the OS's errors named none: "1.5 cannot be used to seed", "expected str, bytes
        or os.PathLike object, not int"; ``verbose="no"`` printed the run, as a string is true).  A value of the wrong
        type is scikit-learn's ``InvalidParameterError``, a TypeError as well as a ValueError, as its own estimators
        raise for one (and ``evolve``'s :class:`SettingTypeError` is)."""
        from mlevolve.interpreter.standalone.spec import MIN_TRAIN_POINTS

        seed = self.random_state
        if isinstance(seed, bool) or not (seed is None or isinstance(seed, int | np.integer | np.random.RandomState)):
            raise InvalidParameterError(
                f"random_state must be None, an int or a numpy.random.RandomState, got {seed!r}")
        most, least = self.max_samples, MIN_TRAIN_POINTS
        if most is not None and (isinstance(most, bool) or not isinstance(most, int | np.integer)
                                 or not least <= most):  # its top, the data's rows: checked as the data is read
            whole = isinstance(most, int | np.integer) and not isinstance(most, bool)  # else a wrong type
            raise (ValueError if whole else InvalidParameterError)(
                f"max_samples must be None (every row) or an integer from {least} to the data's fitting rows, "
                f"got {most!r}" + (
                f" (the linear scaling a + b * f fits {least - 1} rows exactly: every formula would score "
                "train_r2 1)" if whole and most < least else ""))
        verbose: object = self.verbose  # annotated bool, given anything
        if isinstance(verbose, str) or not isinstance(verbose, int | np.integer | np.bool_):
            raise InvalidParameterError(f"verbose must be True or False (or an int: 0 quiet), got {verbose!r}")
        if self.model_selection not in MODEL_SELECTIONS:
            raise ValueError(f"model_selection must be 'accuracy', 'best' or 'score', got {self.model_selection!r}")
        for name in ("grammar", "db"):
            path = getattr(self, name)
            if path is not None and (not isinstance(path, str | os.PathLike) or not str(path).strip()):
                raise (ValueError if isinstance(path, str) else InvalidParameterError)(
                    f"{name} must be the path of a file (a str or pathlib.Path), got {path!r}")
            if path is not None and Path(path).is_dir():
                raise ValueError(f"{name} is a folder, not a file: {path!r}")
        if self.db is not None and (kind := _not_an_archive(Path(self.db))):  # it said "exists without its data file"
            raise ValueError(f"db must name a run's archive (the SQLite file a fit writes and a later fit resumes, "
                             f"e.g. 'run.db'), got {str(self.db)!r}: {kind}")

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> SymbolicRegressor:
        """Search a formula of ``X`` (n, F) for ``y`` (n,); returns self.

        ``sample_weight`` (n,): each row's weight, finite and at least 0 (scikit-learn's meaning: an integer weight k
        is the row given k times, 0 the row left out): the search is weighted least squares, its linear scaling,
        Levenberg-Marquardt and fitness (weighted R²) and ``metrics_`` (weighted MSE and R², as scikit-learn's
        ``r2_score(..., sample_weight=)``) on the fitted and the held-out rows alike (:func:`_weighted`).  Equal
        weights are the unweighted search, bit for bit (a common weight changes no least-squares fit and no R²)."""
        from mlevolve.api import RunInterrupted, best, check_output, evolve, formula_sympy, parse
        from mlevolve.dsl.errors import MlevError
        from mlevolve.dsl.printer import format_shown_expr
        from mlevolve.gp.engine import EvolveConfig
        from mlevolve.grammar.spec import load_grammar
        from mlevolve.interpreter.algebra import formula_display
        from mlevolve.results import SHOWN_DIGITS

        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, name)  # the last fit's: a fit that raises leaves the estimator unfitted, not half-fitted
        self._check_parameters()
        X = _unique_columns(_text_numbers(X, "X"), _NAMED)
        X, y = validate_data(self, X, _text_numbers(y, "y"), y_numeric=True, dtype=np.float64)
        try:  # text targets (y_numeric converts object arrays only); numbers written as text are numbers
            y = np.asarray(y, dtype=np.float64)
        except ValueError as err:
            raise ValueError(f"y must hold numbers: {err}") from None
        # (rows repeated or weighted: one row each, its weight their sum; weights written as the data's weight column)
        X, y, caller_rows, weights = _weighted(X, y, sample_weight)
        seed = self.random_state if isinstance(self.random_state, int | np.integer) else \
            check_random_state(self.random_state).randint(np.iinfo(np.int32).max)  # None, a RandomState: one draw
        try:
            spec = load_grammar(self.grammar)
            if self.db is not None:
                check_output(self.db, "db")
        except MlevError as err:
            raise ValueError(_said(err)) from err
        program, names = _program(getattr(self, "feature_names_in_", None), X.shape[1])
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(self.db) if self.db is not None else Path(tmp) / "run.db"
            data, columns, written = _data_file(db, X, y, names, weights)
            task = f"{data}:target={columns[0]}" + (f":weight={columns[1]}" if weights is not None else "")
            rows = "" if self.max_samples is None else f":n_train={int(self.max_samples)}"
            if (refused := _other_max_samples(db, task, self.max_samples)) is not None:
                raise ValueError(refused)
            try:
                result = evolve(program, ["f"], f"{task}{rows}", budget=self.budget, db=db,
                                init="random", seed=int(seed), quiet=not self.verbose, fit=self.fit_constants,
                                prune=self.prune, grammar=spec,
                                population=EvolveConfig.population if self.population is None else self.population,
                                algorithm=EvolveConfig.algorithm if self.algorithm is None else self.algorithm,
                                max_time=self.max_time)
            except RunInterrupted as stop:  # Ctrl-C: its archive is kept only where db names it
                if self.db is not None:
                    raise
                raise KeyboardInterrupt(f"interrupted after {stop.saved:,} candidates; their archive was temporary "
                                        "and is gone (give db= to keep a run that a fit with the same db resumes)"
                                        ) from None
            except SettingError as err:  # a setting's mistake, in its words, by the estimator's name of it
                said = _said(err.rename(lambda name: _PARAMETERS.get(name, name)))  # a wrong type: a TypeError too
                raise (InvalidParameterError if isinstance(err, TypeError) else ValueError)(said) from err
            except MlevError as err:  # scikit-learn's callers catch ValueError
                raise ValueError(_in_arrays(_said(err), data, X.shape, caller_rows)) from err
            finally:  # refused before an archive was made: the data file written for it goes too
                if written and not db.exists():
                    data.unlink(missing_ok=True)
            front = best(db, digits=0, front=True, select=self.model_selection) \
                if result["best_program"] is not None else []  # (db: while it is)
        if result["best_program"] is None:  # after a time limit, a search cut short is why, not only the data
            limit = result.get("time_limit")
            raise ValueError("every candidate formula failed on this data" + (
                f": {result['candidates']:,} of budget={self.budget:,} before the time limit max_time="
                f"{limit['max_time']:g} stopped the search (a longer max_time searches further)" if limit else ""))
        if result.get("archived", 0) > result["candidates"]:  # a view of the archive's run: its first candidates
            warnings.warn(f"db {self.db} already holds {result['archived']:,} candidates, more than budget="
                          f"{self.budget}: nothing new was evaluated, and the formula is the best of its first "
                          f"{result['candidates']:,} (budget={result['archived']} gives the whole run's best)",
                          UserWarning, stacklevel=2)
        # the program as every command shows it (results.shown_program: simplified by the exact rules, so the same
        # values bit for bit: x0 - 2.575, not x0 + -2.575), every digit kept: predict evaluates this text
        self.program_: str = shown_program(result["best_program"])
        self.metrics_: dict[str, Any] = result["best_metrics"]
        left_out = ("best_program", "db", "task")  # the program is program_; the others name temporary files
        self.summary_: dict[str, Any] = {k: v for k, v in result.items()  # None: a value that does not apply
                                         if isinstance(v, int | float | str | None) and k not in left_out}
        limit = result.get("time_limit")  # stopped by max_time: its limit and the budget it stopped short of
        self.summary_["time_limit"] = None if limit is None else dict(limit)
        def expression(text: str) -> str:  # as `show --sympy` prints it (SHOWN_DIGITS); the formula's text where
            program = parse(text)  # SymPy cannot decide (a 0/0, a comparison of infinities: UNDECIDABLE), too deep
            formula = next(d for d in program.definitions if d.kind == "formula")
            try:
                return formula_display(formula, formula_sympy(program, grammar=spec), SHOWN_DIGITS)[0]
            except MlevError:
                assert formula.body is not None  # a formula has one
                return format_shown_expr(formula.body)  # as program_ writes it

        self.expression_: str = expression(self.program_)
        self.front_: list[dict[str, Any]] = [_entry(c, expression) for c in front]
        # the rule's pick as the command line makes it (`best --front --select`): on the candidates, before a prune
        chosen = next((i for i, c in enumerate(front) if c["pick"]), len(front) - 1)
        if chosen != len(self.front_) - 1:  # not the fittest: its answer, pruned where the run kept a prune of it
            entry = self.front_[chosen]
            self.program_, self.metrics_, self.expression_ = entry["program"], entry["metrics"], entry["expression"]
        if self.verbose:  # the end of the run, as PySR's hall of fame: the front, the formula chosen marked
            print(_front_table(self.front_, chosen, self.model_selection), file=sys.stderr)
        # the grammar file by its absolute path: a model unpickled elsewhere (another working folder) predicts too
        grammar = None if self.grammar == "base" else self.grammar  # load_grammar's name of the base grammar
        self.grammar_path_: str | None = None if grammar is None else str(Path(grammar).resolve())
        return self

    def predict(self, X: Any, index: int | None = None) -> Any:
        """The best formula's values on ``X`` (n, F): an (n,) float64 array (NaN or inf where the formula is
        undefined there, as NumPy computes it).  ``index``: those of ``front_[index]`` instead (PySR's ``index``:
        a smaller formula of the Pareto front); a ValueError where there is no such entry."""
        check_is_fitted(self, "program_")
        program = self._program(index)
        X = validate_data(self, _unique_columns(_text_numbers(X, "X"), _NAMED), reset=False, dtype=np.float64)
        try:
            function = _function(program, self.grammar_path_)
        except MlevError as err:  # the grammar file it was fitted in is gone or changed
            raise ValueError(_said(err)) from err
        with np.errstate(all="ignore"):
            out = np.asarray(function(*X.T), dtype=np.float64)
        return np.broadcast_to(out, (X.shape[0],)).copy()

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """scikit-learn's R² of :meth:`predict` on ``X`` (n, F) against ``y`` (n,); ``y`` and ``sample_weight`` checked
        as ``fit`` checks them (a missing, non-finite or text cell a ValueError at its place, ``y[i]``, in fit's
        words: scikit-learn's said "Input contains NaN" of no cell)."""
        return float(super().score(X, _text_numbers(y, "y"), _text_numbers(sample_weight, "sample_weight")))

    def sympy(self, index: int | None = None) -> Any:
        """The best formula (``index``: ``front_[index]``'s, as :meth:`predict` takes it) as a SymPy expression of real
        symbols named as its parameters, the one form every SymPy expression the project hands out takes
        (:func:`~mlevolve.interpreter.algebra.formula_expr`, as the exported ``sympy_expr()``): a fitted constant a
        ``sympy.Float`` of every digit predict uses (as PySR's ``sympy()``; 6.29, never 629/100), whole numbers exact
        (:func:`~mlevolve.interpreter.algebra.literal`; ``sympy.nsimplify(expr, rational=True)`` makes every constant
        exact).  SymPy's algebra, not float64's:
        off the data's range an expression may be defined where ``predict`` is NaN (``sigmoid(log(z))`` is
        ``1/(1 + 1/z)`` for every z, the log of a negative z NaN in NumPy).  A ValueError where the formula has no SymPy
        form that means what float64 computes (one holding ``zoo`` or ``I``: ``expression_`` is then its text)."""
        from mlevolve.api import check, parse
        from mlevolve.grammar.spec import load_grammar
        from mlevolve.interpreter.algebra import formula_expr

        check_is_fitted(self, "program_")
        try:
            checked = check(parse(self._program(index)), load_grammar(self.grammar_path_))
            return formula_expr(next(d for d in checked.definitions if d.kind == "formula"))
        except MlevError as err:  # the grammar file it was fitted in is gone or changed, as for predict
            raise ValueError(_said(err)) from err

    def _program(self, index: int | None) -> str:
        """``program_``, or ``front_[index]``'s program; a ValueError where there is no such entry."""
        if index is None:
            return self.program_
        held = len(self.front_)
        if isinstance(index, bool) or not isinstance(index, int | np.integer) or not -held <= index < held:
            raise ValueError(f"index must be an integer from {-held} to {held - 1} (the Pareto front, front_, holds "
                             f"{held:,} formulas), got {index!r}")
        return str(self.front_[index]["program"])

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.non_deterministic = False  # the same data and random_state give the same formula
        return tags


def _entry(c: dict[str, Any], expression: Any) -> dict[str, Any]:
    """An entry of :attr:`SymbolicRegressor.front_` from one of ``api.best(front=True)``: ``size`` and ``score`` as
    the front ranks it (its candidate's), and the program ``predict(X, index=i)`` evaluates, as ``program_`` is (the
    archive's text, no task line: the data is a temporary file), with its ``expression``, ``metrics``, ``fitness``
    and ``hash``: the prune the run kept of it as an answer (``pruned_into``), as every command hands it out, where
    there is one; ``pruned_from`` the candidate's hash where the entry is a prune (the fittest's, or an answer's),
    else None."""
    into = c.get("pruned_into")
    shown = into if into is not None else c
    origin = c["hash"] if into is not None else c["parents"][0] if c["source"] == "pruned" and c["parents"] else None
    return {"size": c["size"], "fitness": shown["fitness"], "score": c["score"], "metrics": shown["metrics"],
            "program": shown_program(shown["stored"]), "expression": expression(shown["stored"]), "hash": shown["hash"],
            "pruned_from": origin}


def _front_table(front: list[dict[str, Any]], chosen: int, selection: str) -> str:
    """The Pareto front ``front`` (:attr:`SymbolicRegressor.front_`) as lines for a person: each entry's index (for
    ``predict(X, index=i)``), size, R² on the fitted and the held-out rows and expression, ``chosen`` marked."""
    def r2(entry: dict[str, Any], key: str) -> str:
        value = entry["metrics"].get(key)
        return "-" if value is None else shown_metric(value)

    rows = [(str(i), str(e["size"]), r2(e, "train_r2"), r2(e, "test_r2"), e["expression"]) for i, e in enumerate(front)]
    head = ("index", "size", "train_r2", "test_r2", "expression")
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(4)]
    lines = [f"Pareto front ({len(front):,} formulas, smallest first; '<-' the one model_selection={selection!r} "
             "chose: program_, predict(X)):"]
    for i, row in enumerate([head, *rows]):
        cells = "  ".join(c.rjust(w) for c, w in zip(row[:4], widths, strict=True))
        lines.append(f"  {cells}  {row[4]}" + ("  <-" if i - 1 == chosen else ""))
    return "\n".join(lines)


def _weighted(X: Any, y: Any, sample_weight: Any) -> tuple[Any, Any, Any, Any]:
    """``X`` (n, F) and ``y`` (n,) as :meth:`SymbolicRegressor.fit` searches them under ``sample_weight`` (n,) or None,
    the caller's index of each row searched, and their weights, or None where they are all equal (the unweighted
    search: a common weight changes no least-squares fit, no fitted constant and no R²).

    scikit-learn's meaning of a weight, exactly: a row of weight 0 is left out (it is in no split), and rows that are
    the same (``X`` and ``y``) are one row of their weights' sum, so an integer weight k is the row given k times
    (``check_sample_weight_equivalence_on_dense_data``): where weights differ or rows repeat, the rows searched are
    the distinct ones in sorted order (a split and a search of the rows, not of their order), each at the index of
    its first in the caller's; other data is searched as given, bit for bit, and so are rows repeated so often that
    fewer than 7 are distinct (too few to hold 2 out: ``MIN_FILE_ROWS``), each with its own weight.  Weights not
    finite, negative or all 0: scikit-learn's ValueError (``_check_sample_weight``)."""
    from sklearn.utils.validation import _check_sample_weight

    from mlevolve.interpreter.standalone.data_formula import MIN_FILE_ROWS

    weights = _check_sample_weight(sample_weight if sample_weight is None else _text_numbers(sample_weight,
                                   "sample_weight"), X, dtype=np.float64, ensure_non_negative=True)
    kept = np.flatnonzero(weights > 0)  # all 0: scikit-learn refuses them ("must contain at least one non-zero number")
    table = np.column_stack([X[kept], y[kept]])
    unique, first, inverse = np.unique(table, axis=0, return_index=True, return_inverse=True)
    equal = bool((weights[kept] == weights[kept][0]).all())
    if (equal and len(unique) == len(table)) or len(unique) < MIN_FILE_ROWS:  # as given
        return X[kept], y[kept], kept, None if equal else weights[kept]
    summed = np.bincount(inverse.reshape(-1), weights=weights[kept], minlength=len(unique))
    return unique[:, :-1], unique[:, -1], kept[first], None if bool((summed == summed[0]).all()) else summed


def _in_arrays(text: str, data: Path, shape: tuple[int, int], rows: Any) -> str:
    """An error of a run on the data file ``data`` (X and y, written by :func:`_data_file`) in the estimator's words:
    a place in the file (``DATA:ROW:COL``, its header the first row) is ``X[i, j]`` or ``y[i]``, the file itself
    "the data", after ``n_samples = N, n_features = F`` where the error is the data's; a flag is its parameter.
    ``rows``: the caller's index of each row of the file (rows of sample_weight 0 are not in it; a row repeated is
    in it once, at its first index).  (A column after
    ``y`` is the weights': ``sample_weight[i]``.)"""
    def place(found: re.Match[str]) -> str:
        k, j = int(found[1]) - 2, int(found[2]) - 1 if found[2] else None
        i = int(rows[k]) if 0 <= k < len(rows) else k
        return f"row {i} of X and y" if j is None else f"X[{i}, {j}]" if j < shape[1] else \
            f"y[{i}]" if j == shape[1] else f"sample_weight[{i}]"

    said = re.sub(re.escape(str(data)) + r":(\d+)(?::(\d+))?", place, text)
    said = said.removeprefix(f"{data}: ").replace(str(data), "the data").replace("--db", "db")
    said = re.sub(r"\bn_train\b", "max_samples", said)  # the data file's option is the estimator's parameter
    said = said.replace("or leave it out to use every row", "or None to use every row")  # its every row: None
    order = np.asarray(rows)  # rows left out, or repeated rows searched once (:func:`_weighted`): the count searched
    n = f"{shape[0]}" if np.array_equal(order, np.arange(len(order))) else \
        f"{shape[0]} (the rows of sample_weight > 0)" if bool((np.diff(order) > 0).all()) else \
        f"{shape[0]} (the distinct rows of sample_weight > 0)"
    return f"n_samples = {n}, n_features = {shape[1]}: {said}" if str(data) in text else said


_NAMED = " (a formula's parameters are named after them)"  # what X's column names are for, said where two are one
_PARAMETERS = {"seed": "random_state", "fit": "fit_constants"}  # evolve's settings the estimator names otherwise


def _not_an_archive(db: Path) -> str | None:
    """Why ``db`` cannot name a run's archive, or None: a data file's or a program's name, there or not (the CLI's
    ``--db`` refuses both), or an existing file that is no SQLite database (a text file, a grammar) and not empty
    (SQLite makes an empty file an archive)."""
    from mlevolve.dsl.errors import DATA_SUFFIXES, SQLITE, file_kind

    if db.name.lower().endswith(DATA_SUFFIXES):  # there or not: every command that reads an archive refuses the name
        return "a data file's name (fit reads X and y; it writes their copy beside the archive itself)"
    if db.name.lower().endswith(".mlev"):
        return "a .mlev program's name"
    if not db.is_file() or not db.stat().st_size or (kind := file_kind(db)) == SQLITE:
        return None
    return kind or "not an SQLite database"


def _said(err: MlevError) -> str:
    """``err``'s place (a file it names), message and hint, as one line."""
    return (f"{err.file}: " if err.file else "") + err.message + (f" ({err.hint})" if err.hint else "")


def _program(features: Any, n: int) -> tuple[Any, list[str]]:
    """The starting program (its formula the first column) and its parameters' names (:func:`parameter_names`)."""
    from mlevolve.api import check, parse

    def made(names: list[str]) -> Any:
        return check(parse("algorithm symbolic_regression\nformula f(" + ", ".join(f"{n}: Scalar" for n in names)
                           + f") -> Scalar =\n  {names[0]}\n", "<SymbolicRegressor>"))

    def takes(name: str) -> bool:  # as a parameter of that very name (the parser reads "x " as x)
        try:
            return bool(made([name]).definitions[0].params[0].name == name)
        except MlevError:
            return False

    given = [str(f) for f in features] if features is not None else [f"x{i}" for i in range(n)]
    with contextlib.suppress(MlevError):  # every name taken as it is: the usual case, one check
        program = made(given)
        if [p.name for p in program.definitions[0].params] == given:
            return program, given
    names = parameter_names(given, takes)
    return made(names), names


def parameter_names(columns: list[str], takes: Any) -> list[str]:
    """The parameters' names of columns named ``columns``: a name the language takes (``takes(name)``) as it is;
    else the name with each run of other characters than ASCII letters, digits and ``_`` written ``_`` (``x 2`` is
    ``x_2``, ``2nd`` is ``x_2nd``), or where that is no name either (a keyword, an empty name) ``x`` and the column's
    position (``x1``).  A name that is another column's, or an earlier column's, gets a numbered suffix (``x_2_2``):
    only on such a clash, and never a name that a column keeps."""
    kept = {name for name in columns if takes(name)}
    names: list[str] = []
    for i, name in enumerate(columns):
        if name in kept and name not in names:
            names.append(name)
            continue
        readable = re.sub(r"[^A-Za-z0-9_]+", "_", name)
        readable = f"x_{readable}" if readable[:1].isdigit() else readable
        base = readable if readable.strip("_") and takes(readable) else f"x{i}"  # not "_" alone (a column "é")
        candidate, k = base, 1
        while candidate in names or (candidate in kept and candidate != name):
            k += 1
            candidate = f"{base}_{k}"
        names.append(candidate)
    return names


def _data_file(db: Path, X: Any, y: Any, names: list[str], weights: Any = None) -> tuple[Path, tuple[str, str], bool]:
    """``X`` and ``y`` written as ``DB.csv`` beside the archive ``db`` (columns ``names``, the target and, where
    ``weights`` (n,) is not None, the weights, every float64 to its 17 digits: the file reads back exactly), the
    target's and the weight column's names (the data file's ``target=`` and ``weight=``), and whether the file was
    written anew (not there before: :meth:`SymbolicRegressor.fit` removes it where no archive was made).  A
    ValueError where the archive exists and its data file holds other data (a resume searches the same points;
    ``evolve`` would refuse the changed file, after it was overwritten), and where there is no archive yet but a
    file of that name holds other bytes: the user's own file, which was overwritten."""
    target, weight = "y", "sample_weight"
    while target in names:
        target += "_"
    while weight in (*names, target):
        weight += "_"
    text = io.StringIO()
    columns = [X, y] if weights is None else [X, y, weights]
    np.savetxt(text, np.column_stack(columns), fmt="%.17g", delimiter=",",
               header=",".join([*names, target] + [weight] * (weights is not None)), comments="")
    path = db.with_name(db.name + ".csv")
    same = path.is_file() and path.read_bytes() == text.getvalue().encode("utf-8")
    if db.is_file() and db.stat().st_size and not same:  # an empty file is no archive yet: SQLite makes it one
        raise ValueError(f"{db} holds a run on other data than {path} would: give another db, or delete both"
                         if path.exists() else f"{db} exists without its data file {path}; give another db")
    if path.exists() and not same:
        raise ValueError(f"{path} exists and is not a run's data: a db writes its data beside it as DB.csv, and "
                         f"this file is left as it is; give another db, or move {path} away")
    path.write_text(text.getvalue(), encoding="utf-8")
    return path, (target, weight), not same


def _other_max_samples(db: Path, task: str, max_samples: int | None) -> str | None:
    """Where the archive ``db`` holds a fit of this data (task ``task``) with another ``max_samples`` (its task's
    ``n_train``), the refusal in the estimator's words, as another setting's (evolve's named the data file's
    ``n_train`` under the data's ``n_samples = N`` prefix); else None (no archive yet, or not one: evolve says)."""
    from mlevolve.gp.archive import Archive

    if not db.is_file():
        return None
    try:
        with Archive.read(db) as archive:
            stored = archive.meta().get("task")
    except MlevError:
        return None
    fitted = re.fullmatch(re.escape(task) + r"(?::n_train=(\d+))?", stored) if isinstance(stored, str) else None
    if fitted is None:
        return None
    was = None if fitted[1] is None else int(fitted[1])
    if was == (None if max_samples is None else int(max_samples)):
        return None
    return (f"{db}: archive was made with other settings (max_samples: archive has {was}, now {max_samples}) "
            f"(rerun with max_samples {was} to resume, or pass another db)")


@functools.lru_cache(maxsize=16)
def _function(program: str, grammar: str | None) -> Any:
    """The formula of program text ``program`` as a NumPy function of its columns, by the fast path that scored it."""
    from mlevolve.api import check, parse
    from mlevolve.grammar.spec import load_grammar
    from mlevolve.interpreter.fastpath import formula_function

    spec = load_grammar(grammar)
    return formula_function(check(parse(program), spec), spec)
