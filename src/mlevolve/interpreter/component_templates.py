"""Source text of the drop-in component modules (``components.py`` fills in the names).

Each template is Python that imports only the standard library, numpy, torch and (for a learner)
scikit-learn: it is copied into a module that must work without mlevolve.  ``$name`` fields are
filled with ``string.Template``; the generated function a template calls is the code generator's.
"""

from __future__ import annotations

import datetime
from string import Template
from typing import Any

import numpy as np

from mlevolve.interpreter.standalone.common import NUMBER, comma_fix
from mlevolve.interpreter.standalone.formula import _float64 as _float64  # the script's too: one source

_NUMBER = NUMBER  # the name the copied _text_numbers reads, in an exported module as here

OPTIMIZER = Template('''class $cls(torch.optim.Optimizer):
    """The .mlev update rule ``$name`` as a ``torch.optim.Optimizer``.

    Each parameter keeps its own state ($state_doc, zero at first) and a step count
    ``state["step"]`` (a float tensor, 1 on the first step).  $lr_doc
    The rule, its state and its scalars (``lr``, the step count, its constants) compute in the
    parameter's precision, float32 at least: a half-precision parameter's update is rounded once,
    when it is written back; a float64 parameter's is float64-precise.  Raises ValueError for a
    negative ``lr`` and RuntimeError for a sparse gradient or a complex parameter.
    """

    KEPT = frozenset({$keys})  # each parameter's state

    def __init__(self, params: Any, lr: float = $lr_name) -> None:
        $check_rate(lr)
        super().__init__(params, {"lr": lr})

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """torch's, keeping the state in float32 at least: torch casts it to each parameter's dtype, which for
        a half-precision parameter rounds the saved float32 state (``v`` of small gradients to 0).  Raises
        ValueError for another optimizer's state (keys other than $keys)."""
        for values in state_dict["state"].values():
            if odd := sorted(set(values) - self.KEPT):  # torch.optim.Adam's exp_avg: a KeyError at the next step
                raise ValueError(f"the state {', '.join(odd)} is not $cls's, which keeps "
                                 f"{', '.join(sorted(self.KEPT))}")
        super().load_state_dict(state_dict)
        for saved, group in zip(state_dict["param_groups"], self.param_groups, strict=True):
            for index, w in zip(saved["params"], group["params"], strict=True):
                work = torch.promote_types(w.dtype, torch.float32)
                for key, value in state_dict["state"].get(index, {}).items():
                    if key != "step" and torch.is_tensor(value) and value.is_floating_point():
                        self.state[w][key] = value.to(device=w.device, dtype=work).clone()

    @torch.no_grad()
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter that has a gradient; returns the closure's loss, if given."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:  # every refusal before any parameter moves: no step is taken half
$check_line            for w in group["params"]:
                if w.grad is not None and (w.grad.is_sparse or w.is_complex()):
                    what = "sparse gradients" if w.grad.is_sparse else "complex parameters (see torch.view_as_real)"
                    raise RuntimeError(f"$cls does not support {what}")
        for group in self.param_groups:
$lr_line            for w in group["params"]:
                if w.grad is None:
                    continue
                work = torch.promote_types(w.dtype, torch.float32)  # float16's 0.001 * g * g underflows to 0
                state = self.state[w]
                if not state:
                    state["step"] = torch.tensor(0.0)
$init
                state["step"] += 1
$t_line                $result = $rule(w.to(work), w.grad.to(work)$args)
                w.copy_(torch.broadcast_to(new, w.shape))
$store
        return loss
''')


RATE_CHECK = '''def _check_rate(lr: Any) -> None:
    """Raise ValueError unless ``lr`` is a learning rate: a number (or a tensor) of at least 0 (a str raised a
    comparison's TypeError, a fresh-user pass)."""
    if isinstance(lr, bool) or not isinstance(lr, numbers.Real | torch.Tensor):
        raise ValueError(f"invalid learning rate: {lr!r}, not a number")
    if not lr >= 0.0:
        raise ValueError(f"invalid learning rate: {lr}")
'''


LR_LAMBDA = Template('''def $name(total_steps: int, base_lr: float | None = None) -> Callable[[int], float]:
    """The .mlev schedule ``$schedule`` for ``torch.optim.lr_scheduler.LambdaLR``.

    The schedule gives the learning rate at training progress t = step / total_steps in [0, 1];
    LambdaLR multiplies the group's initial ``lr`` by this factor, so build the optimizer with
    ``lr=base_lr`` (default ``$lr_name``, the schedule's peak rate) and step the scheduler once per
    optimizer step.  Raises ValueError unless ``total_steps`` is an integer >= 1 and the base rate a positive number,
    and (the factor) at a step where the schedule's rate is negative or NaN, or infinite before the last (t < 1), as
    mlevolve's run fails there.
    """
    if not isinstance(total_steps, numbers.Integral) or isinstance(total_steps, bool) or total_steps < 1:
        raise ValueError(f"total_steps must be an integer of at least 1, got {total_steps!r}")  # 10.5 was taken
    if base_lr is not None and (not isinstance(base_lr, numbers.Real) or isinstance(base_lr, bool)):
        raise ValueError(f"base_lr must be a positive number, got {base_lr!r}")  # "10" raised a comparison's TypeError
    base = $lr_name if base_lr is None else base_lr
    if not base > 0.0:
        raise ValueError(f"base_lr must be positive, got {base:g}" if base_lr is not None else
                         f"the schedule's peak rate on [0, 1] is {base:g}, not positive, which no torch optimizer "
                         "takes: " + ("pass a positive base_lr to follow the schedule's rates anyway" if base == 0.0
                                      else "its rates are negative or NaN, and a rate is a number of at least 0"))

    def factor(step: int) -> float:
        rate = float($schedule(torch.tensor(min(step, total_steps) / total_steps)))
        # LambdaLR takes either; the optimizer then ascends, or its step is not finite.  t = 1 (LambdaLR's last call,
        # after the last step) is no step mlevolve trains: 0.0002 / (1 - t) trains, infinite only there.
        if not rate >= 0.0 or (rate == math.inf and step < total_steps):
            raise ValueError(f"the schedule's learning rate is {rate:g} at step {step} of {total_steps}: a rate is "
                             + ("a number of at least 0" if rate != math.inf else "a finite number"))
        return rate / base

    return factor
''')


LAYER = Template('''class $cls(nn.Module):
    """``$fn`` $role."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.as_tensor($fn(x), device=x.device)
        return torch.broadcast_to(out, x.shape)
''')


AUGMENT = Template('''class $cls(nn.Module):
    """``$fn`` as a batch transform (a module without parameters): a batch (N, F) in, one of the same shape out.

    In training mode only, as mlevolve augments training batches only: in ``eval()`` mode it returns the batch
    unchanged, as ``nn.Dropout`` does, so a model with it in front (``nn.Sequential($cls(), model)``) is
    evaluated on the data itself.
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training:  # an integer or bool batch in float32, as training mode returns it
            return x if torch.is_floating_point(x) else x.to(torch.float32)
        out = torch.as_tensor($fn(x), device=x.device)
        return torch.broadcast_to(out, x.shape)
''')


LOSS = Template('''class $cls(nn.Module):
    """The .mlev loss ``$fn`` with a ``reduction``, like torch's own losses.

    ``task="classification"`` (default): ``input`` are logits (N, C); ``target`` is class indices
    (N,) or class probabilities (N, C); the loss sees p = softmax(input) and y = one-hot(target).
    ``task="regression"``: ``input`` and ``target`` are (N,) or (N, K) and the loss sees them as
    they are (a target (N,) beside predictions (N, 1), as ``build``'s network makes, as (N, 1)).
    The elementwise values are summed over the outputs; ``reduction`` then gives their
    mean over the batch (``"mean"``, what mlevolve trains with), their sum (``"sum"``) or the
    per-example values (N,) (``"none"``).  Raises ValueError for another reduction or task, for
    a target of another shape (which would broadcast against ``input``, silently or not), and in
    classification for an input that is not (N, C) or a class index outside 0 to C - 1; TypeError
    for an input or target that is not a tensor.
    """

    def __init__(self, reduction: str = "mean", task: str = "classification") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none") or task not in ("classification", "regression"):
            raise ValueError(f"reduction must be mean, sum or none and task classification or regression, "
                             f"not {reduction!r} and {task!r}")
        self.reduction = reduction
        self.task = task

    def forward(self, input: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        for name, value in (("input", input), ("target", target)):
            if not isinstance(value, torch.Tensor):  # as torch's own losses take them
                raise TypeError(f"{name} must be a torch.Tensor, got {type(value).__name__}")
        given = tuple(target.shape)  # the target as given: a message names it, not its one-hot form
        if self.task == "classification":
            if input.dim() != 2:  # softmax over dim 1 raised IndexError for (N,), and mixed examples for (N, C, K)
                raise ValueError(f"input {tuple(input.shape)}: in classification, input is logits (N, C)")
            rounded = input.dtype if input.is_floating_point() else torch.float32  # the result's, as the function's
            p = torch.softmax(input, dim=1, dtype=torch.promote_types(rounded, torch.float32))  # softmax of Long raised
            if not torch.is_floating_point(target):
                outside = target[(target < 0) | (target >= input.shape[1])]
                if len(outside):  # one_hot's words named neither the class nor how many there are
                    raise ValueError(f"target holds class {int(outside[0])}: input {tuple(input.shape)} has "
                                     f"{input.shape[1]} classes, indices 0 to {input.shape[1] - 1}")
                target = F.one_hot(target.long(), input.shape[1])
            y = target.to(p.dtype)
        elif target.dim() == 1 and input.shape == (len(target), 1):
            p, y = input, target[:, None]
        else:
            p, y = (input[:, None], target[:, None]) if input.dim() == 1 else (input, target)
        if y.shape != p.shape:  # float class indices (N,) against (N, C): a (N, N) loss where C == N
            what = ("class probabilities (N, C) or class indices (N,) as integers"
                    if self.task == "classification" else "shaped as input")
            raise ValueError(f"target {given} for input {tuple(input.shape)}: a target is {what}")
        values = torch.as_tensor($fn(p, y), device=p.device)
        values = torch.broadcast_to(values, p.shape).flatten(1).sum(1)  # (N,), an empty batch's too
        if self.reduction != "none":
            values = values.sum() if self.reduction == "sum" else values.sum() / len(p)
        return values.to(rounded) if self.task == "classification" else values  # float16 logits: rounded once
''')


OBJECTIVE = Template('''def $name($params) -> torch.Tensor:
    """The scalar objective mlevolve's $loop minimises:
    ``$fn`` $how."""
    values = torch.as_tensor($fn($params), device=$first.device)
    values = torch.broadcast_to(values, $first.shape)
    return $reduce
''')


BUILD = Template('''def $name(n_features: int, n_classes: int = 1) -> nn.Module:
    """The network ``$model`` with a linear head to ``n_classes`` outputs (1 for regression), as mlevolve
    trains it.  Its lazy layers are sized by one call on a (2, n_features) batch of zeros.  Raises ValueError
    where ``n_features`` or ``n_classes`` is not a positive integer."""
    for name, size in (("n_features", n_features), ("n_classes", n_classes)):
        if not isinstance(size, numbers.Integral) or isinstance(size, bool) or size < 1:
            raise ValueError(f"{name} must be a positive integer, got {size!r}")  # build(0) built a net of nothing
    model = nn.Sequential($model(), nn.LazyLinear(n_classes))
    with torch.no_grad():
        model.eval()
        model(torch.zeros(2, n_features))
    model.train()
    return model
''')


ESTIMATOR = Template('''class $cls(RegressorMixin, BaseEstimator):
    """The .mlev learner ``$learner`` as a scikit-learn regressor, trained online like AutoML-Zero.

    ``fit(X, y)``: X (n, F), y (n,); starting from $start, every example in order goes through
    ``predict`` and then ``learn`` (the state update), ``epochs`` times.  ``predict(X)``: (n,) from
    the final state.  ``standardize`` (default True): as ``mlevolve run`` scores a learner on a data file, fit
    standardises each feature and the target with the training data's mean and standard deviation (a constant
    column only centred; the values then rounded to float32, as the run stores them), the learner sees those, and
    predict gives its predictions back in the target's units; False trains on the numbers as given (as the
    built-in families ``linear``, ``affine``, ``teacher`` give features ~ N(0, 1)).  A prediction in fit that is
    not finite is a ValueError naming the example (the learner diverged: mlevolve's run fails it there), as
    scikit-learn's SGDRegressor refuses an overflow; one in predict is a RuntimeWarning naming the first row, as
    NumPy warns of invalid values.  ``random_state`` seeds the random primitives the learner may use, as
    scikit-learn's convention has it: an int reproduces fit and predict; a numpy Generator or
    RandomState (or None) is drawn from in fit only, which also draws the seed of predict's primitives
    (``predict_seed_``), so that a fitted model predicts the same every time.
    Attributes after fit: ``state_`` (the memory $state_names, in standardised units), ``predict_seed_``,
    ``n_features_in_``, ``x_scaling_`` and ``y_scaling_`` (each column's (scale, mean, std): a value v is
    standardised as (v / scale - mean) / std; None where ``standardize`` is False or in a classification).
    ``problem``: "classification" fits two classes as the run does: y's two values (``classes_``) read as labels 0
    and 1, not standardised, and learn() seeing sigmoid(predict); predict gives the raw score (> 0: ``classes_[1]``)
    and score the accuracy, as the run's val_accuracy; "regression": score is R².  The default:
    $problem_doc.
    """

    def __init__(self, epochs: int = 1, random_state: int | None = 0, standardize: bool = True,
                 problem: str = "$problem") -> None:
        self.epochs = epochs
        self.random_state = random_state
        self.standardize = standardize
        self.problem = problem

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.regressor_tags.poor_score = True  # an evolved learner promises no score on arbitrary data
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> $cls:
        """Train on ``X`` (n, F) and ``y`` (n,); returns self.  ``sample_weight`` (n,): honoured where it is exactly
        (scikit-learn's meaning): equal positive weights are the unweighted fit, and a weight of 0 leaves
        its row out; weights that differ otherwise raise ValueError (the online updates are unweighted)."""
        if self.problem not in ("regression", "classification"):
            raise ValueError(f"problem must be 'regression' or 'classification', got {self.problem!r}")
        classify = self.problem == "classification"
        self.classes_ = np.unique(labels := _labels(y)) if classify else None  # as the run: labels 0.0/1.0
        if self.classes_ is not None and len(self.classes_) != 2:
            raise ValueError(f"problem='classification' fits two classes; y has {len(self.classes_)}")
        y = (labels == self.classes_[1]).astype(np.float64) if classify else _text_numbers(y, "y")  # unscaled
        X = _unique_columns(_text_numbers(X, "X"))
        X, y = validate_data(self, X, y, y_numeric=True, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)  # numbers written as text (y_numeric converts object arrays only)
        if sample_weight is not None:
            X, y, _ = _weighted_rows(X, y, _text_numbers(sample_weight, "sample_weight"),
                                     "the learner's online updates are unweighted")
        if not isinstance(self.epochs, numbers.Integral) or isinstance(self.epochs, bool) or self.epochs < 1:
            raise ValueError(f"epochs must be a positive integer, got {self.epochs!r}")  # np.int64 is one
        seed = self.random_state  # NumPy's words named no parameter: "expected non-negative integer"
        if not (seed is None or isinstance(seed, np.random.Generator | np.random.RandomState)
                or (isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0)):
            raise ValueError(f"random_state must be None, an integer of at least 0 or a numpy Generator or "
                             f"RandomState, got {seed!r}")
        if not isinstance(self.standardize, bool | np.bool_):
            raise ValueError(f"standardize must be True or False, got {self.standardize!r}")
        self.x_scaling_ = self.y_scaling_ = None
        if self.standardize:  # as mlevolve run standardises a data file's train rows (its own _scaling, _scaled)
            self.x_scaling_, self.y_scaling_ = _scaling(X), None if classify else _scaling(y[:, None])
            X = _scaled(X, self.x_scaling_).astype(np.float64)
            y = y if classify else _scaled(y[:, None], self.y_scaling_)[:, 0].astype(np.float64)
        rng = np.random.default_rng(seed)  # a Generator or RandomState: its own draws, consumed here only
        setup, predict, learn = $methods(X.shape[1])
        shapes = [_SHAPES[t](1, X.shape[1]) for t in $types]
        with np.errstate(all="ignore"):
            if setup is not None:
                init = setup(rng)
                init = init if len(shapes) > 1 else (init,)
                state = [np.broadcast_to(np.asarray(s, np.float64), shape).copy()
                         for s, shape in zip(init, shapes, strict=True)]
            else:
                state = [np.zeros(shape) for shape in shapes]
            seen = np.empty(len(y))  # an epoch's predictions, checked once it ends (a check a row cost 20%)
            for epoch in range(self.epochs):
                for row, (x, target) in enumerate(zip(X, y, strict=True)):
                    p = predict(*state, x[None], rng)
                    seen[row:row + 1] = p
                    new = learn(*state, x[None], target[None], 1.0 / (1.0 + np.exp(-p)) if classify else p, rng)
                    state = [np.broadcast_to(s, shape).copy() for s, shape in
                             zip(new if len(shapes) > 1 else (new,), shapes, strict=True)]
                if not np.isfinite(seen).all():  # NaN from there on: refused, as mlevolve's run fails it
                    raise ValueError(
                        f"the learner diverged: its prediction for row {np.flatnonzero(~np.isfinite(seen))[0]} of X "
                        f"is not finite (epoch {epoch + 1} of {self.epochs}); " + (
                            "scale the features and target, or keep standardize=True" if not self.standardize
                            else "fewer epochs may stop before it"))
        self.state_ = [s[0] for s in state]  # predict's draws: an int's own, else one seed drawn from it here
        self.predict_seed_ = int(seed) if isinstance(seed, numbers.Integral) else int(rng.integers(2**63))
        return self

    def predict(self, X: Any) -> Any:
        check_is_fitted(self)
        X = validate_data(self, _unique_columns(_text_numbers(X, "X")), reset=False, dtype=np.float64)
        _, predict, _ = $methods(X.shape[1])
        if self.x_scaling_ is not None:
            X = _scaled(X, self.x_scaling_).astype(np.float64)
        with np.errstate(all="ignore"):
            out = predict(*(s[None] for s in self.state_), X, np.random.default_rng(self.predict_seed_))
            out = np.broadcast_to(np.asarray(out, np.float64), (X.shape[0],)).copy()
            if self.y_scaling_ is not None:  # back in the target's units
                scale, mean, std = (float(v[0]) for v in self.y_scaling_)
                out = (out * std + mean) * scale
        if not np.isfinite(out).all():
            bad = np.flatnonzero(~np.isfinite(out))
            warnings.warn(f"{len(bad)} of {len(out)} predictions are not finite (the first, row {bad[0]} of X, is "
                          f"{out[bad[0]]}): the learner overflows or is undefined there", RuntimeWarning, stacklevel=2)
        return out

    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """scikit-learn's R² of predict(X) against y (a classification's accuracy), y and sample_weight checked as fit
        checks them.  R² of y and predict(X) over y's largest magnitude, as R² is a ratio: the squares of a target
        ~1e160 overflowed to NaN, where mlevolve run scores in standardised units."""
        weight, pred = _text_numbers(sample_weight, "sample_weight"), self.predict(X)
        if self.classes_ is not None:  # a classification's: the run's val_accuracy
            return float(np.average((pred > 0) == (_labels(y) == self.classes_[1]), weights=weight))
        y = _text_numbers(y, "y")
        with np.errstate(all="ignore"):  # y that is no array of numbers: r2_score says so, in scikit-learn's words
            size = np.max(np.abs(y), initial=0.0) if np.asarray(y).dtype.kind in "fiu" and np.size(y) else 0.0
        size = size if 0 < size < np.inf else 1.0
        return float(r2_score(np.asarray(y) / size if size != 1.0 else y, pred / size, sample_weight=weight))


_SHAPES = {
    "Scalar": lambda n, dim: (n,),
    "Vector": lambda n, dim: (n, dim),
    "Matrix": lambda n, dim: (n, dim, dim),
}
''')


FORMULA = Template('''$srepr_name = $srepr
$latex_name = $latex


def $sympy_name() -> Any:
    """The formula as a SymPy expression (needs sympy; real symbols), its constants as `mlevolve show --sympy
    --digits 0` prints them: a fitted constant a Float of the float64 value the function uses (never a fraction),
    whole numbers exact (``sympy.nsimplify(expr, rational=True)`` makes every constant an exact rational).  SymPy's
    algebra, not float64's: where the function is NaN (a log of a negative number) the expression may be defined
    (``sigmoid(log(x))`` is ``1/(1 + 1/x)`` for every x)."""
    import sympy

    return sympy.sympify($srepr_name)
''')


def _weighted_rows(X: Any, y: Any, sample_weight: Any, unweighted: str) -> tuple[Any, Any, Any]:
    """``X`` and ``y`` as a fit under ``sample_weight`` trains on them, and the index of each row kept: a row of weight
    0 left out (scikit-learn's meaning: as if it were not there), the rest unweighted where their weights are equal;
    else ValueError, saying that ``unweighted`` (what of the fit is unweighted).  The exported learner regressor's
    rule, copied into the learner's module (mlevolve.SymbolicRegressor's search is weighted: estimator._weighted)."""
    from sklearn.utils.validation import _check_sample_weight

    weights = _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)
    kept = weights > 0  # all 0: scikit-learn refuses them ("must contain at least one non-zero number")
    low, high = float(weights[kept].min()), float(weights[kept].max())
    if low != high:
        raise ValueError(f"sample_weight with weights that differ (from {low:g} to {high:g}) is not supported: "
                         f"{unweighted}; equal weights, and zeros (which leave their rows out), are honoured exactly")
    return (X, y, np.arange(len(y))) if kept.all() else (X[kept], y[kept], np.flatnonzero(kept))


def _labels(y: Any) -> Any:
    """A classification's ``y`` as its labels: numbers where every cell reads as one (:func:`_text_numbers`: ``"1"`` is
    1.0), else text, as ``mlevolve run`` reads a data file's column of text labels (``yes``/``no``: np.unique's sorted
    order, the second the class 1, as the run's); a ValueError at a cell that is not text among text labels (missing:
    None, NaN), or as :func:`_text_numbers` says where no cell is text."""
    try:
        return np.asarray(_text_numbers(y, "y"), dtype=np.float64)
    except ValueError:
        cells = np.asarray(y, dtype=object).ravel()
        odd = [i for i, c in enumerate(cells) if not isinstance(c, str)]
        if len(odd) == len(cells):
            raise
        if odd:
            raise ValueError(f"y must hold class labels of one kind: y[{odd[0]}] is {cells[odd[0]]!r} among text "
                             "labels (a missing value: drop its row)") from None
        return cells.astype(str)


def _text_numbers(data: Any, name: str) -> Any:
    """``data``, or a ValueError at its first cell that is NaN or an infinity (as a number, or as text that reads as
    one: scikit-learn's error was many lines naming no cell) or missing (None, pandas' ``<NA>`` of a nullable
    column, ``NaT``), at its first cell of text that is no number as a data
    file's cell is one (NumPy's float, as Python's, reads ``1_000`` and other scripts' digits (``１２``), which the
    data files' reader refuses), or at its first date or time (a datetime64 or timedelta64 array, a DataFrame's
    datetime column: NumPy's own error named neither the cell nor the column, "The DType <class
    'numpy.dtypes.DateTime64DType'> could not be promoted").  Each names the cell ``X[i, j]`` and a DataFrame's
    column.  mlevolve.SymbolicRegressor's check, for fit and predict, copied into an exported learner's module (with
    ``_NUMBER``, the data files' number rule: standalone.common.NUMBER)."""
    # a pandas nullable column (Int64, Float64, boolean, string) read as objects, so that its missing cell is said as
    # written, <NA>, in X and y alike (np.asarray makes it NaN, even as objects); by the dtype's na_value type's name,
    # as the module imports no pandas
    dtypes: Any = getattr(data, "dtypes", None)
    kinds = dtypes.tolist() if hasattr(dtypes, "tolist") and not isinstance(dtypes, np.dtype) else [
        getattr(data, "dtype", None)]
    nullable = any(type(getattr(d, "na_value", None)).__name__ == "NAType" for d in kinds)
    cells = data if isinstance(data, np.ndarray) else data.to_numpy(dtype=object) if nullable else np.asarray(data)
    columns = [str(c) for c in getattr(data, "columns", ())]  # a DataFrame's: its cell's column named too

    def place(at: tuple[int, ...]) -> str:
        return f"{name}[{', '.join(map(str, at))}]" + (
            f" (column {columns[at[1]]!r})" if len(at) == 2 and at[1] < len(columns) else "")

    def missing(at: tuple[int, ...], shown: str) -> ValueError:  # NaN, None, pandas' <NA> and NaT alike
        return ValueError(f"{name} must hold finite numbers: {place(at)} is {shown} (a missing value: drop its row "
                          "or fill it in first)")

    def not_finite(at: tuple[int, ...], value: float) -> ValueError:
        return missing(at, "NaN") if value != value else ValueError(
            f"{name} must hold finite numbers: {place(at)} is "
            f"{'-' * (value < 0)}inf (an infinity: drop its row, or clip or transform its column)")

    if cells.dtype.kind in "fiub":  # numbers: the first that is not finite
        if len(bad := np.argwhere(~np.isfinite(cells.astype(np.float64)))):
            at = tuple(int(i) for i in bad[0])
            raise not_finite(at, float(cells[at]))
        return data
    if cells.dtype.kind not in "OUSMm" or not cells.ndim:  # what validate_data refuses in its words (y=None too)
        return data
    for at, cell in np.ndenumerate(cells):
        # a missing cell: None, pandas' NA (a nullable Int64, boolean or string column's) and NaT, by their type's
        # name (an exported module imports no pandas), NumPy's NaT: scikit-learn's error was many lines
        if cell is None or type(cell).__name__ in ("NAType", "NaTType") or (
                isinstance(cell, np.datetime64 | np.timedelta64) and np.isnat(cell)):
            raise missing(at, "None" if cell is None else str(cell))
        if isinstance(cell, str) and not _NUMBER.fullmatch(cell.strip()):
            fix = comma_fix(cell.strip())  # a comma locale's 0,5 or 1,000: said as a data file's cell is
            raise ValueError(f"{name} must hold numbers: {place(at)}: {cell.strip()!r} is not a number (" + (
                f"write {fix}: a number's decimal point is '.', and it has no thousands separator" if fix else
                "a number written as text is ASCII digits, as 1000 or 1e3, as in a data file: no _ or other scripts' "
                "digits") + ")")
        if isinstance(cell, datetime.date | datetime.timedelta | np.datetime64 | np.timedelta64):
            raise ValueError(f"{name} must hold numbers: {place(at)} is a date or time, {cell}: convert it to "
                             "numbers first (a date's days since the first, (d - d.min()).dt.days; a duration's "
                             "seconds, d.dt.total_seconds())")
        if isinstance(cell, str | float | int | np.number) and not isinstance(cell, complex | np.complexfloating):
            value = float(cell)  # (text: a number, as the data files' rule reads it, nan and 1e999 too)
            if value - value != 0:
                raise not_finite(at, value)
    return data


def _unique_columns(X: Any, why: str = "") -> Any:
    """``X``, or a ValueError in mlevolve's words where two of a DataFrame's columns have one name (scikit-learn
    refuses it in narwhals' words, a DuplicateError); ``why``: what the names are for, said after the fix."""
    columns = [str(c) for c in getattr(X, "columns", ())]
    if (twice := next((c for i, c in enumerate(columns) if c in columns[:i]), None)) is not None:
        raise ValueError(f"X has two columns named {twice!r}: give each column its own name{why}")
    return X
