"""Component kinds and whole-program checking.

A kind (``activation``, ``loss``, ``optimizer``...) fixes the signature of a definition: its
parameters' types, its result type, and what names its body may use.  Kinds are rows of the table
``KINDS``; a new kind is a new row here and a place in one training regime's ``kinds``
(:data:`mlevolve.interpreter.regimes.REGIMES`; a test checks that each kind has exactly one).

A *slot* is one body that evolution may rewrite: a definition's body, or one method of a learner
(``linreg.learn``).  Each slot knows its environment and result type, which is all the typed
generator and the GP operators need.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass

from mlevolve.dsl.check import Primitives, UnknownSymbol, check_expr, check_ranges
from mlevolve.dsl.errors import MlevError, MlevErrors, type_hint
from mlevolve.dsl.ir import Call, Definition, Expr, Let, Param, Program, Ref, Span
from mlevolve.dsl.parse import KEYWORDS
from mlevolve.dsl.traverse import walk
from mlevolve.dsl.types import (
    BASE_TYPES,
    INT,
    LAYER,
    MATRIX,
    SCALAR,
    TENSOR,
    VECTOR,
    TupleType,
    Type,
    type_str,
    with_article,
)
from mlevolve.messages import counted

LEARNER_MEMORY = (SCALAR, VECTOR, MATRIX)


@dataclass(frozen=True, slots=True)
class KindSpec:
    """The signature a definition of one kind must have.

    ``params`` are the parameter types in order; ``rest`` (if set) is the type of any further
    parameters; ``validate`` does what a fixed list cannot (optimizer state, learner methods).
    """

    name: str
    doc: str
    params: tuple[Type, ...] = ()
    result: Type | None = None
    rest: Type | None = None
    min_params: int | None = None
    validate: Callable[[Definition], None] | None = None
    types: frozenset[str] = frozenset({SCALAR, TENSOR})  # the types a body may compute with
    names: tuple[str, ...] = ()  # the documented names of the first parameters, which bind by position
    aliases: tuple[frozenset[str], ...] = ()  # common other names of each of ``names``' roles
    # Names of another quantity than any role's, each with what it reads as and what the place holds instead: a
    # `done` flag where the discount goes (1 at a terminal state where gamma is 0) trained a DQN wrongly, silently.
    misnomers: tuple[tuple[frozenset[str], str, str], ...] = ()
    # Whether its body runs in float32 (a torch regime's kinds; a NumPy regime's run in float64): a literal written
    # there must be one float32 holds (:func:`mlevolve.dsl.check.check_ranges`).  A test checks it by the regimes.
    float32: bool = True

    def role(self, name: str) -> int | None:
        """The position whose documented name or common alias ``name`` is, in any case (``Target`` is a loss's
        ``y``)."""
        name = name.lower()
        return next((i for i, n in enumerate(self.names)
                     if name == n.lower() or (i < len(self.aliases) and name in self.aliases[i])), None)

    def signature(self) -> str:
        parts = [type_str(t) for t in self.params]
        if self.rest is not None:
            parts.append(f"{type_str(self.rest)}...")
        return f"({', '.join(parts)}) -> {type_str(self.result) if self.result else '...'}"


def _fail(d: Definition, msg: str, hint: str, span: Span | None = None) -> MlevError:
    return MlevError(f"{d.kind} '{d.name}': {msg}", span or d.span, hint)


def _validate_optimizer(d: Definition) -> None:
    """(w: Tensor, g: Tensor, [lr: Scalar], [t: Scalar], state: Tensor...) -> (Tensor, state...)."""
    hint = "an optimizer is (w: Tensor, g: Tensor, [lr: Scalar], [t: Scalar], m: Tensor, ...) -> " \
           "(Tensor, Tensor, ...): the new weight, then each new state"
    if len(d.params) < 2 or any(p.type != TENSOR for p in d.params[:2]):
        raise _fail(d, "the first two parameters must be the weight and gradient, both Tensor", hint)
    state = 0
    for p in d.params[2:]:
        if p.name in ("lr", "t") and p.type != SCALAR:  # it read as a state tensor: "the result must be ..."
            raise _fail(d, f"'{p.name}' is the {'learning rate' if p.name == 'lr' else 'step'}, a Scalar, not "
                        f"{type_str(p.type)}", f"write {p.name}: Scalar; {hint}", p.span)
        if p.type == SCALAR and p.name in ("lr", "t"):
            if state:
                raise _fail(d, f"'{p.name}' must come before the state parameters", hint, p.span)
        elif p.type == TENSOR:
            state += 1
        elif p.type == SCALAR:  # the runtime passes lr and t by name
            meant = next((n for n, words in _OPTIMIZER_SCALARS.items() if p.name.lower() in words), "lr or t")
            taken = meant in {q.name for q in d.params}  # `eta` beside `lr`: one learning rate is passed
            raise _fail(d, f"a Scalar parameter is the learning rate 'lr' or the step 't', not '{p.name}'",
                        f"drop it: {meant} is passed once" if taken else
                        f"rename it to {meant} (passed by name, in lower case); {hint}", p.span)
        else:
            raise _fail(d, f"parameter '{p.name}: {type_str(p.type)}' is not allowed", hint, p.span)
    want: Type = TupleType((TENSOR,) * (state + 1)) if state else TENSOR
    if d.result != want:
        raise _fail(d, f"with {counted(state, 'state parameter')} the result must be {type_str(want)}, "
                       f"not {type_str(d.result or '?')}", hint)


def learner_state_type(d: Definition) -> Type:
    types = tuple(p.type for p in d.params)
    return types[0] if len(types) == 1 else TupleType(types)


def _validate_learner(d: Definition) -> None:
    """Memory in Scalar/Vector/Matrix state; predict(x: Vector) -> Scalar; learn(x, y, p) -> state."""
    if not d.params:
        raise _fail(d, "a learner needs at least one state variable", "learner l(state w: Vector) ...")
    for p in d.params:
        if not p.state or p.type not in LEARNER_MEMORY:
            raise _fail(d, f"'{p.name}' must be declared `state {p.name}: Scalar|Vector|Matrix`",
                        "a learner's parameters are its memory", p.span)
    state = learner_state_type(d)
    want = {"setup": ((), state), "predict": ((VECTOR,), SCALAR), "learn": ((VECTOR, SCALAR, SCALAR), state)}
    seen: set[str] = set()
    for m in d.methods:
        if m.kind in seen:
            raise _fail(d, f"method '{m.kind}' is defined twice", "one of each method", m.span)
        seen.add(m.kind)
        params, result = want[m.kind]
        got = tuple(p.type for p in m.params)
        if got != params or m.result != result or any(p.state for p in m.params):
            sig = "(" + ", ".join(type_str(t) for t in params) + f") -> {type_str(result)}"
            found = "(" + ", ".join(("state " * p.state) + type_str(p.type) for p in m.params) + \
                f") -> {type_str(m.result or '?')}"
            raise _fail(d, f"method {m.kind} must be {m.kind}{sig}, not {m.kind}{found}",
                        f"predict(x: Vector) -> Scalar; learn(x: Vector, y: Scalar, p: Scalar) -> state; "
                        f"setup() -> state; the state here is {type_str(state)}", m.span)
    for required in ("predict", "learn"):
        if required not in seen:
            raise _fail(d, f"missing method '{required}'", "a learner has predict and learn (setup is optional)")


def _aliases(words: str) -> frozenset[str]:
    return frozenset(words.split())


# A learner's methods whose parameters bind by position, as a kind's do (`learn(x, p, y)` stepped away from the target).
LEARNER_METHODS: Mapping[str, KindSpec] = {
    "learn": KindSpec("learn", "the example x, its target y and the prediction p that predict made of x",
                      names=("x", "y", "p"),
                      aliases=(_aliases("features inputs input"),
                               _aliases("target targets label labels truth y_true true"),
                               _aliases("pred preds prediction predictions yhat y_hat y_pred output outputs out"))),
}


# The names an optimizer's Scalar goes by elsewhere (any case), each of lr and t; the runtime passes these two by name.
_OPTIMIZER_SCALARS = {"lr": _aliases("lr learning_rate learningrate rate eta alpha step_size stepsize"),
                      "t": _aliases("t step steps iteration iter it k time timestep")}


# What PyTorch's LambdaLR and others pass a schedule, a count; a .mlev schedule is passed the progress t in [0, 1].
_SCHEDULE_STEPS = _aliases("step steps n_step num_steps global_step iteration iterations iter n_iter epoch epochs "
                           "timestep timesteps")

_LOGVAR = ("the 4th parameter is logvar, log(sigma^2): the variance is exp(logvar), the standard deviation "
           "exp(0.5 * logvar)")

KINDS: Mapping[str, KindSpec] = {k.name: k for k in (
    KindSpec("activation", "an elementwise nonlinearity", (TENSOR,), TENSOR),
    KindSpec("loss", "elementwise loss of prediction p against target y (summed over outputs, "
                     "averaged over the batch); p is the softmax for classification", (TENSOR, TENSOR), TENSOR,
             names=("p", "y"), aliases=(_aliases("pred preds prediction predictions yhat y_hat y_pred output "
                                                 "outputs out probs input"),
                                        _aliases("target targets label labels truth y_true true")),
             # `loss l(logits, y) = ...`: p is the softmax, not the logits; a log-softmax written on it, silently
             misnomers=((_aliases("logit logits logp log_p logprob logprobs log_prob log_probs"),
                         "the logits or log-probabilities, but a loss is passed p: the softmax probabilities "
                         "(classification) or the prediction (regression)",
                         "the 1st parameter is p, already the softmax: write -(y * log(p + 1e-7)) for "
                         "cross-entropy, with p: Tensor"),)),
    KindSpec("augment", "a transformation of a training batch", (TENSOR,), TENSOR),
    KindSpec("schedule", "learning rate as a function of training progress t in [0, 1]", (SCALAR,), SCALAR,
             misnomers=((_OPTIMIZER_SCALARS["lr"], "the learning rate, but a schedule is passed the training "
                         "progress t in [0, 1] and returns the rate", "write schedule s(t: Scalar) -> Scalar = ..., "
                         "e.g. 0.05 * (1.0 - t)"),
                        # `schedule s(step) = 0.1 * exp(-0.001 * step)`: PyTorch's LambdaLR passes a step count;
                        # here that decays by 0.1% over the whole run, silently
                        (_SCHEDULE_STEPS, "a step count, but a schedule is passed the training progress t in "
                         "[0, 1] (step / steps, 0 at the first step)", "write schedule s(t: Scalar) -> Scalar = "
                         "..., with t the fraction of training done, e.g. 0.05 * exp(-3.0 * t)"))),
    KindSpec("formula", "a function of scalar inputs (symbolic regression)", (), SCALAR, rest=SCALAR, min_params=1,
             types=frozenset({SCALAR}), float32=False),
    KindSpec("model", "a network as a composition of layers (a linear head is added for the task)", (), LAYER,
             types=frozenset({LAYER, INT, SCALAR})),
    KindSpec("optimizer", "an update rule: new weight and new state from weight, gradient and state",
             validate=_validate_optimizer, names=("w", "g"),
             aliases=(_aliases("weight weights param params theta"), _aliases("grad grads gradient gradients dw"))),
    KindSpec("learner", "an AutoML-Zero learner: state, predict and learn, trained one example at a time",
             validate=_validate_learner, types=frozenset(LEARNER_MEMORY), float32=False),
    # Objectives of reinforcement learning and generative modelling: elementwise, averaged by the runtime.
    KindSpec("pg_loss", "policy-gradient objective per step: log-probability of the action taken, discounted "
                        "return, advantage (normalised, no gradient), value estimate and policy entropy",
             (TENSOR,) * 5, TENSOR, names=("logp", "ret", "adv", "value", "entropy"),
             aliases=(_aliases("logprob logprobs log_prob log_probs"), _aliases("returns return_ g"),
                      _aliases("advantage advantages"), _aliases("values v baseline"), _aliases("ent h")),
             misnomers=((_aliases("prob probs probability probabilities pi action_prob action_probs"),
                         "a probability, but a pg_loss is passed the log-probability of the action taken",
                         "the 1st parameter is logp, already the log: write logp * adv, not log(prob) * adv"),
                        (_aliases("logit logits"), "the policy's logits, but a pg_loss is passed the "
                         "log-probability of the action taken", "the 1st parameter is logp, log softmax(logits) "
                         "at the action taken"))),
    KindSpec("td_loss", "temporal-difference objective per transition: Q(s, a), max Q of the target network at "
                        "s' (no gradient), reward, and discount (gamma, 0 at a terminal state)",
             (TENSOR,) * 4, TENSOR, names=("q", "target", "reward", "discount"),
             aliases=(_aliases("q_value qvalue q_sa"), _aliases("q_target target_q next_q max_q"),
                      _aliases("r rewards"), _aliases("gamma")),
             misnomers=((_aliases("done dones terminal terminals terminated is_terminal"), "a done flag (1 at a "
                         "terminal state), but no td_loss is passed one",
                         "the 4th parameter is the discount: gamma, 0 at a terminal state (each task's gamma: "
                         "`mlevolve tasks`); write reward + discount * target, not (1 - done)"),)),
    KindSpec("vae_loss", "VAE objective per point and dimension: data x, decoder mean recon, encoder mean mu "
                         "and log-variance logvar (latent size = data size)", (TENSOR,) * 4, TENSOR,
             names=("x", "recon", "mu", "logvar"),
             aliases=(_aliases("data"), _aliases("x_hat xhat reconstruction"), _aliases("mean"),
                      _aliases("log_var logsigma2")),
             misnomers=((_aliases("sigma std stddev sd scale var variance sigma2 sigma_sq sigma_squared"),
                         "the encoder's standard deviation or variance, but a vae_loss is passed its log-variance",
                         _LOGVAR),
                        (_aliases("logstd log_std logsigma log_sigma logscale log_scale"), "the log of the encoder's "
                         "standard deviation, but a vae_loss is passed its log-variance, twice that", _LOGVAR))),
    KindSpec("flow_loss", "normalizing-flow objective per point and dimension: the latent z and the "
                          "log-Jacobian logdet of the flow, per dimension", (TENSOR,) * 2, TENSOR,
             names=("z", "logdet"),
             aliases=(_aliases("latent"), _aliases("log_det ldj logjac log_jacobian")),
             misnomers=((_aliases("logp log_prob logprob log_likelihood loglik nll"), "the log-likelihood, but a "
                         "flow_loss is passed the latent z and the log-Jacobian logdet",
                         "write the objective from them: the NLL per dimension is 0.5 * square(z) + 0.9189385 - "
                         "logdet"),)),
)}


def _check_roles(d: Definition, params: tuple[Param, ...], spec: KindSpec, written: str, of: str = "") -> None:
    """Refuse a parameter named for another place than its own (``loss l(y, p)``: y as the prediction;
    ``optimizer o(m, g, w)``: m as the weight), or for a quantity no place holds; ``written`` is the definition (or
    method) as the hint writes it, ``of`` what follows a parameter's name in the message (`` of learn``)."""
    for i, p in enumerate(params):
        misread = next(((reads, hint) for names, reads, hint in spec.misnomers if p.name.lower() in names), None)
        if misread is not None:
            raise _fail(d, f"parameter '{p.name}'{of} reads as {misread[0]}", misread[1], p.span)
        role = spec.role(p.name)
        if role is not None and role != i:
            what = f"'{p.name}'" if p.name == spec.names[role] else f"'{p.name}' (a name for '{spec.names[role]}')"
            place = f"'{spec.names[i]}'" if i < len(spec.names) else f"parameter {i + 1}"
            raise _fail(d, f"parameter {what}{of} is in the place of {place}: its parameters bind by position",
                        f"write {written}({', '.join(spec.names)}{', ...' * bool(spec.validate)}): "
                        f"{spec.doc}", p.span)


def _check_signature(d: Definition) -> None:
    spec = KINDS.get(d.kind)
    if spec is None:
        close = difflib.get_close_matches(d.kind, list(KINDS), n=1)
        raise MlevError(f"unknown component kind '{d.kind}'", d.span,
                        f"did you mean '{close[0]}'?" if close else f"kinds: {', '.join(KINDS)}")
    if (d.kind == "learner") != bool(d.methods):
        raise _fail(d, "only a learner has methods" if d.methods else "a learner has methods, not a body",
                    "learner l(state w: Vector) predict(...) -> Scalar = ... learn(...) -> Vector = ...")
    for p in (*d.params, *(q for m in d.methods for q in m.params)):
        for t in (p.type.items if isinstance(p.type, TupleType) else (p.type,)):
            if t not in BASE_TYPES:
                raise MlevError(f"unknown type '{type_str(t)}' of parameter '{p.name}'", p.type_span or p.span,
                                type_hint(type_str(t), list(BASE_TYPES)))
        if p.state and d.kind != "learner":
            raise _fail(d, "only a learner has `state` parameters", "remove `state`", p.span)
    for owner in (d, *d.methods):  # a result's type too: it read as the kind's signature, not as a type unknown
        result = owner.result.items if isinstance(owner.result, TupleType) else (owner.result,)
        if unknown := next((type_str(t) for t in result if t is not None and t not in BASE_TYPES), None):
            raise _fail(d, f"unknown type '{unknown}' of {'the' if owner is d else owner.kind + chr(39) + 's'} result",
                        type_hint(unknown, list(BASE_TYPES)), owner.span)
    _check_roles(d, d.params, spec, f"{d.kind} {d.name}")
    for m in d.methods:  # `learn(x, p, y)`: p as the target, a step away from it, silently
        if m.kind in LEARNER_METHODS:
            _check_roles(d, m.params, LEARNER_METHODS[m.kind], m.kind, f" of {m.kind}")
    if spec.validate is not None:
        spec.validate(d)
        return
    got = tuple(p.type for p in d.params)
    fixed = len(spec.params)
    ok = got[:fixed] == spec.params and (
        len(got) == fixed if spec.rest is None else all(t == spec.rest for t in got[fixed:]))
    if spec.min_params is not None and len(got) < spec.min_params:
        ok = False
    if not ok or d.result != spec.result:
        found = f"({', '.join(type_str(t) for t in got)}) -> {type_str(d.result) if d.result else '...'}"
        raise _fail(d, f"must have the signature {spec.signature()}, not {found}", f"{d.kind}: {spec.doc}")


@dataclass(frozen=True, slots=True)
class Slot:
    """One evolvable body: ``name`` is the definition's name, or ``learner.method``."""

    name: str
    kind: str
    env: Mapping[str, Type]
    result: Type
    body: Expr
    types: frozenset[str] = frozenset()  # the types its body may compute with (empty: any)


def slots(program: Program) -> list[Slot]:
    """Every body of the program with the environment it is checked in, in file order."""
    layers = {d.name: LAYER for d in program.definitions if d.kind == "activation"}
    out: list[Slot] = []
    for d in program.definitions:
        if d.kind == "learner":
            memory = {p.name: p.type for p in d.params}
            for m in d.methods:
                assert m.body is not None and m.result is not None
                env = {**memory, **{p.name: p.type for p in m.params}}
                out.append(Slot(f"{d.name}.{m.kind}", m.kind, env, m.result, m.body, KINDS["learner"].types))
        elif d.body is not None and d.result is not None:
            env = dict(layers) if d.kind == "model" else {p.name: p.type for p in d.params}
            out.append(Slot(d.name, d.kind, env, d.result, d.body, KINDS[d.kind].types))
    return out


def _check_names(d: Definition) -> None:
    names: dict[str, Span | None] = {}
    if not (d.name.isidentifier() and d.name.isascii()):
        raise _fail(d, "a name is letters, digits and '_' (ASCII), not starting with a digit", "rename it")
    for p in (*d.params, *(q for m in d.methods for q in m.params)):
        if not (p.name.isidentifier() and p.name.isascii()):
            raise _fail(d, f"parameter {p.name!r} is not a name", "a name is letters, digits and '_' (ASCII)",
                        p.span)
        if p.name in KEYWORDS:
            raise _fail(d, f"'{p.name}' is a keyword and cannot be a name", "rename it", p.span)
    for p in d.params:
        if p.name in names:
            raise _fail(d, f"parameter '{p.name}' is declared twice", "rename one", p.span)
        names[p.name] = p.span
    for m in d.methods:  # one scope each: the learner's state and the method's parameters (a clash was a traceback)
        own: set[str] = set()
        for p in m.params:
            if p.name in names or p.name in own:
                raise _fail(d, f"parameter '{p.name}' of {m.kind} is " + (
                    "declared twice" if p.name in own else "also a state variable of the learner"),
                    "rename one: a method's parameters and the learner's state share its scope", p.span)
            own.add(p.name)


def check_program(program: Program, prims: Primitives, *, written: bool = False) -> Program:
    """Check every definition; raise :class:`MlevErrors` listing one error per faulty definition.

    ``written``: the program is one a person wrote (a file, text in code), whose literal arguments must also be
    in their primitive's range (:func:`mlevolve.dsl.check.check_ranges`); a program a search made, or an
    archive keeps, runs such a value clamped."""
    errors: list[MlevError] = []
    first: dict[str, Definition] = {}
    for d in program.definitions:
        if d.name in first:
            span = first[d.name].span
            line = span.line if span else "?"
            errors.append(MlevError(f"duplicate definition '{d.name}'", d.span,
                                    f"'{d.name}' is first defined on line {line}"))
            continue
        first[d.name] = d
        try:
            _check_names(d)
            _check_signature(d)
            _check_grammar_types(d, prims)
        except MlevError as err:
            errors.append(err)
    if errors:
        raise MlevErrors(errors)
    faulty: set[str] = set()
    for slot in slots(program):
        owner = slot.name.split(".")[0]
        if owner in faulty:
            continue
        owner_def = program.get(owner)
        assert owner_def is not None
        try:
            check_expr(slot.body, slot.env, prims, slot.result, slot.types)
            if written:
                check_ranges(slot.body, KINDS[owner_def.kind].float32)
        except MlevError as err:
            faulty.add(owner)
            where = f"{owner_def.kind} '{owner}'" + (f", method {slot.kind}" if "." in slot.name else "")
            message, hint = err.message, err.hint
            if isinstance(err, UnknownSymbol) and (used := program.get(err.symbol)) is not None:  # a definition
                message, hint = (_called(used, owner), CALLED_HINT) if err.called else (_named(used, owner), hint)
            elif isinstance(err, UnknownSymbol) and not err.called and prims.overloads(err.symbol):  # `x + sin`
                message, hint = _uncalled(err.symbol, owner_def.kind == "model" and all(
                    o.result != LAYER for o in prims.overloads(err.symbol)),
                    all(not o.args for o in prims.overloads(err.symbol)), _layer_of(err.symbol, prims))
            elif isinstance(err, UnknownSymbol) and owner_def.kind == "model" and (
                    (call := _value_call_on(slot.body, err.symbol, prims)) is not None):  # seq(dense(16), relu(x))
                message, hint = _uncalled(call.op, True, layer=_layer_of(call.op, prims))
                err = MlevError(message, call.span, hint)
            errors.append(MlevError(f"in {where}: {message}", err.span, hint))
    if errors:
        raise MlevErrors(errors)
    return program


def _leaves(t: Type) -> tuple[str, ...]:
    """The base types of ``t`` (a tuple type's items, flattened)."""
    return (t,) if isinstance(t, str) else tuple(x for item in t.items for x in _leaves(item))


def _check_grammar_types(d: Definition, prims: Primitives) -> None:
    """Refuse ``d`` where its signature (a parameter, learner state, method, or its result; a model's ``Layer``) has
    a type that the grammar ``prims`` lacks: no body of it could be checked, drawn or run there, and the checker would
    say instead that an op of the grammar's types does not take it (``'mul' expects (Vector, Vector)``).  Located
    at the parameter's type where one has it; the grammar named by its file (``origin``) where it was loaded from one.
    Primitives without ``types`` (the protocol asks only for ``overloads``) are not asked."""
    have = getattr(prims, "types", None)
    if have is None:
        return
    params = (*d.params, *(p for m in d.methods for p in m.params))
    results = (d.result, *(m.result for m in d.methods), *((LAYER,) if d.kind == "model" else ()))
    for p in params:
        if (lacked := next((t for t in _leaves(p.type) if t not in have), None)) is not None:
            raise _lacking(d, lacked, have, prims, f"its parameter '{p.name}'", p.type_span or p.span)
    for r in results:
        if r is not None and (lacked := next((t for t in _leaves(r) if t not in have), None)) is not None:
            raise _lacking(d, lacked, have, prims, "its result")


def _lacking(d: Definition, lacked: str, have: Collection[str], prims: Primitives, what: str,
             span: Span | None = None) -> MlevError:
    origin = getattr(prims, "origin", None)
    grammar = f"grammar {origin}" if origin else "the grammar"
    return _fail(d, f"{what} is {with_article(lacked)}, a type that {grammar} lacks",
                 f"its types: {', '.join(have)}; add {lacked!r} to the types of {grammar} with the ops and literals "
                 f"that make one, or use the base grammar, which has every type", span)


def _value_call_on(body: Expr, name: str, prims: Primitives) -> Call | None:
    """The call in a model's ``body`` of a primitive of values (none of its forms gives a Layer) on the name
    ``name`` not in scope (`relu(x)` in a layer position: a model has no values to name); None if there is none."""
    for node in walk(body):
        if isinstance(node, Call) and any(isinstance(a, Ref) and a.name == name for a in node.args) and \
                prims.overloads(node.op) and all(o.result != LAYER for o in prims.overloads(node.op)):
            return node
    return None


CALLED_HINT = ("write the computation where it is used (a model names an activation without arguments: "
               "seq(dense(16), act))")


def _called(called: Definition, owner: str) -> str:
    """What definition ``called``, called in ``owner``'s body as if a primitive, is ("unknown primitive 'f'" of a
    recursive ``f`` misled: the program defines ``f``)."""
    if called.name == owner:
        return f"'{owner}' is the {called.kind} being defined, not a primitive: a definition cannot call itself"
    return (f"'{called.name}' is {called.kind} '{called.name}' of this program, not a primitive: definitions cannot "
            "call one another")


def _named(named: Definition, owner: str) -> str:
    """What definition ``named``, named in ``owner``'s body where it is not in scope, is ("unknown name 'net'" of a
    model naming itself misled: the program defines ``net``)."""
    if named.name == owner:
        return f"'{owner}' is the {named.kind} being defined: a definition cannot use itself"
    return f"'{named.name}' is {named.kind} '{named.name}' of this program, which '{owner}' cannot use"


def _layer_of(primitive: str, prims: Primitives) -> str | None:
    """The grammar's layer primitive that applies ``primitive`` (``relu_layer`` of ``relu``), if it has one: a
    nullary production of ``NAME_layer`` whose result is a Layer."""
    layer = f"{primitive}_layer"
    return layer if any(not o.args and o.result == LAYER for o in prims.overloads(layer)) else None


def _uncalled(primitive: str, in_model: bool, nullary: bool = False,
              layer: str | None = None) -> tuple[str, str]:
    """The message and hint of ``primitive`` named without arguments ("unknown name 'relu'" of `seq(dense(16), relu)`
    misled: relu is a primitive of the grammar); ``in_model``: a function of values named in a model, as a layer;
    ``nullary``: it takes no arguments (`relu_layer` was told "it takes arguments", to be called as relu_layer(...));
    ``layer``: the grammar's layer primitive that applies it (`seq(dense(8), relu)`'s hint named an activation to
    define, not relu_layer(), which the grammar has)."""
    if in_model:
        own = f"define activation a(x: Tensor) -> Tensor = {primitive}(x), then write seq(dense(16), a)"
        return (f"'{primitive}' is a primitive, not a layer: a model names activations",
                f"write {layer}(), the layer that applies {primitive}: seq(dense(16), {layer}()); or {own}"
                if layer is not None else own)
    if nullary:
        return f"'{primitive}' is a primitive, not a name: it is called, with no arguments", \
            f"call it, as {primitive}()"
    return f"'{primitive}' is a primitive, not a name: it takes arguments", f"call it, as {primitive}(...)"


def slot_body(program: Program, name: str) -> Expr:
    """The body of slot ``name`` (``def`` or ``learner.method``): :func:`slots`' ``body`` of that
    slot, without building every slot.  Raises ``KeyError`` where the program has no such slot."""
    owner, _, method = name.partition(".")
    d = program.get(owner)
    m = d if d is None or not method else d.method(method)
    if m is None or m.body is None or (not method and d is not None and d.kind == "learner"):
        raise KeyError(name)
    return m.body


def replace_slot(program: Program, name: str, body: Expr) -> Program:
    """The program with the body of slot ``name`` (``def`` or ``learner.method``) replaced (the
    definition named, the first of that name: a checked program names each once).  Raises
    ``KeyError`` where the program has no definition of that name.  Variation makes every child
    here: one pass over the definitions, the rest of the tuple shared by slicing."""
    owner, _, method = name.partition(".")
    definitions = program.definitions
    k = 0
    while k < len(definitions) and definitions[k].name != owner:
        k += 1
    if k == len(definitions):
        raise KeyError(name)
    d = definitions[k]
    if method:
        new = d.with_methods(tuple(m.replace_body(body) if m.kind == method else m for m in d.methods))
    else:
        new = d.replace_body(body)
    return program.with_definitions((*definitions[:k], new, *definitions[k + 1:]))


def _written_bodies(program: Program, evolved: Collection[str]) -> Iterator[tuple[Definition, Definition, Expr]]:
    """Each definition of ``program`` and each learner's method with a body, as ``(definition, owner of the body,
    body)`` in file order, but the slots ``evolved`` (``l.learn``, ``loss``: :func:`slots`' names), whose body is a
    seed the search rewrites: what a warning about a body as written may be said of."""
    for d in program.definitions:
        for owner in (d, *d.methods):
            if owner.body is not None and (f"{d.name}.{owner.kind}" if owner is not d else d.name) not in evolved:
                yield d, owner, owner.body


def unread_lets(program: Program, evolved: Collection[str] = ()) -> list[MlevError]:
    """A warning-to-be for each ``let`` of ``program`` whose name its body never reads (``let m2 = 0.9 * m + g in
    (w - lr * m, m)``: a typo of the name used, and the bound value dropped, silently; the simplifier removes such a
    let, so a run trains without it).  At the name, in preorder of each definition's (or method's) body; one an inner
    ``let`` of its name hides (``let a = 2.0 in let a = 3.0 in a``) at the hiding let's name, as :func:`hidden_params`
    says of a parameter, naming the outer one's line:column; none of the slots ``evolved``, as :func:`unread_inputs`."""
    out: list[MlevError] = []
    for d, owner, body in _written_bodies(program, evolved):
        where = f"{d.kind} '{d.name}'" + (f", method {owner.kind}" if owner is not d else "")
        lets, read, hider = _let_reads(body)
        for node, was_read, inner in zip(lets, read, hider, strict=True):
            if was_read:
                continue
            if inner is not None:  # `let a = 2.0 in let a = 3.0 in a`: the second hides it
                out.append(MlevError(
                    f"in {where}: let '{inner.name}' hides let '{node.name}' ({_at(node.span)}) before it is "
                    "read: its value is dropped", inner.span or node.span,
                    f"rename this let (was another name meant?), read {node.name} in its value to rebind it (let "
                    f"{node.name} = 2.0 * {node.name} in ...), or remove the outer binding"))
                continue
            out.append(MlevError(
                f"in {where}: let '{node.name}' is never used: its value is dropped", node.span,
                f"use {node.name} after its `in` (was another name written where {node.name} was meant?), "
                "or remove the binding"))
    return out


def _let_reads(body: Expr) -> tuple[list[Let], list[bool], list[Let | None]]:
    """Each ``let`` of ``body`` in preorder, whether its body reads its name (:func:`reads`), and the first ``let`` of
    its body binding the same name (:func:`_hiding_let`), in one walk: each name resolved to its innermost binding as
    the walk enters and leaves a ``let``'s body.  Linear in ``body``'s size (a ``reads`` per let was quadratic: 3,000
    nested lets took 25 s)."""
    lets: list[Let] = []
    read: list[bool] = []
    hider: list[Let | None] = []
    bound: dict[str, list[int]] = {}  # a name to the lets binding it around the node walked, innermost last
    stack: list[Expr | tuple[str, int]] = [body]  # a node, or ("enter"/"leave", a let's index)
    while stack:
        item = stack.pop()
        if isinstance(item, tuple):
            step, k = item
            names = bound.setdefault(lets[k].name, [])
            if step == "enter":
                names.append(k)
            else:
                names.pop()
        elif isinstance(item, Let):
            k = len(lets)
            outer = bound.get(item.name)
            if outer and hider[outer[-1]] is None:
                hider[outer[-1]] = item
            lets.append(item)
            read.append(False)
            hider.append(None)
            stack += [("leave", k), item.body, ("enter", k), item.value]
        elif isinstance(item, Ref):
            if at := bound.get(item.name):
                read[at[-1]] = True
        else:
            stack.extend(reversed(item.children()))
    return lets, read, hider


def _at(span: Span | None) -> str:
    """Where a node named in a message is, as a diagnostic's own place reads: ``line 4:7`` (line:column)."""
    return "line ?" if span is None else f"line {span.line}:{span.column}"


@dataclass(frozen=True, slots=True)
class Needed:
    """Inputs of a kind (or a learner's method) of which its body must read at least one, by position (parameters
    bind by position, whatever their names): ``what`` they are, and the ``effect`` of a body that reads none."""

    at: tuple[int, ...]
    what: str
    effect: str


# What each kind's body (and each learner method's) must read to learn from the data, with the reason; every other
# input may go unread on purpose, and why is said beside the kind.  A test checks every kind and method is a key.
NEEDED: Mapping[str, tuple[Needed, ...]] = {
    "activation": (Needed((0,), "its input", "the model's output no longer depends on the data past it"),),
    "augment": (Needed((0,), "the batch", "training sees a constant in place of the data"),),
    "loss": (Needed((0,), "the prediction", "the loss has no gradient: the model never trains"),
             Needed((1,), "the target", "it cannot fit the task's targets")),
    "optimizer": (Needed((0,), "the weight", "each step's weight forgets the one before: nothing accumulates"),
                  Needed((1,), "the gradient", "the weights never follow the loss")),  # lr (a fixed step), t and a
    # state may go unread: plain SGD reads no state, and a momentum rule no t
    "schedule": (),  # a constant learning rate is a schedule that never reads t
    "formula": (),  # a formula reads the inputs it needs: symbolic regression selects among them
    "model": (),  # no parameters
    "learner": (),  # no body: its methods have theirs
    "setup": (),  # no parameters
    "predict": (),  # a constant (a learned bias, the learner's memory) is a baseline that needs no x
    "learn": (Needed((1,), "the target", "the learner cannot fit the task's targets"),),  # x and p may go unread: a
    # bias learns from y - predict, and p is predict's, which learn may recompute from x
    "pg_loss": (Needed((0,), "the log-probability of the action taken", "the policy gets no gradient"),
                Needed((1, 2), "the return or the advantage", "the reward never reaches the policy")),  # value and
    # entropy are optional terms: a critic's loss and a bonus (REINFORCE reads neither; ret or value alone is normal)
    "td_loss": (Needed((0,), "Q(s, a)", "Q gets no gradient: nothing trains"),
                Needed((2,), "the reward", "the values never see the task's reward")),  # target and discount may
    # go unread: a myopic (gamma 0) Q learns the reward alone
    "vae_loss": (Needed((0,), "the data", "the decoder is fit to nothing"),
                 Needed((1,), "the decoder's mean", "the decoder gets no gradient")),  # mu and logvar, the KL term,
    # may go unread: an autoencoder is a VAE without it (beta 0)
    "flow_loss": (Needed((0,), "the latent", "the objective does not see the data"),
                  Needed((1,), "the log-Jacobian", "the flow may shrink every point to 0: no likelihood")),
}


def unread_inputs(program: Program, evolved: Collection[str] = ()) -> list[MlevError]:
    """A warning-to-be for each input a definition as written needs but never reads (:data:`NEEDED`): ``loss
    l(p, y) = square(p)``, ``optimizer o(w, g, lr) = w - lr * w``, ``learn(x, y, p) = w + 0.1 * p * x``, ``td_loss
    t(q, target, reward, discount) = square(reward + discount * target)`` passed check and trained on nothing,
    silently (fresh-user passes).  At the (first) parameter, in file order; none of the slots ``evolved`` (``l.learn``,
    ``loss``), whose body is a seed the search rewrites (``learn(x, y, p) = w`` to evolve from)."""
    out: list[MlevError] = []
    for d, owner, body in _written_bodies(program, evolved):
        for needed, params in _unread_needed(d, owner, body):
            names = " or ".join(p.name for p in params)
            where = f"{d.kind} '{d.name}'" + (f", method {owner.kind}," if owner is not d else "")
            hidden = [f"let '{let.name}' at {_at(let.span)} hides it"
                      for p in params if (let := _hiding_let(body, p.name)) is not None][:1]
            out.append(MlevError(f"{where} never reads {names}, {needed.what}: {needed.effect}", params[0].span,
                                 "; ".join([*hidden, f"use {names} in the body, or remove the definition"])))
    return out


def _unread_needed(d: Definition, owner: Definition, body: Expr) -> Iterator[tuple[Needed, list[Param]]]:
    """Each :data:`NEEDED` group of ``owner``'s inputs (``d`` itself, or one of its learner methods) of which
    ``body`` reads none, with those parameters."""
    for needed in NEEDED.get(owner.kind if owner is not d else d.kind, ()):
        params = [owner.params[i] for i in needed.at if i < len(owner.params)]
        if params and not any(reads(body, p.name) for p in params):
            yield needed, params


def _hiding_let(body: Expr, name: str) -> Let | None:
    """The first ``let`` of ``body`` (in preorder) that binds ``name``, or None."""
    return next((node for node in walk(body) if isinstance(node, Let) and node.name == name), None)


def hidden_params(program: Program, evolved: Collection[str] = ()) -> list[MlevError]:
    """A warning-to-be for each parameter a ``let`` of the same name hides before the body reads it (``formula f(x:
    Scalar) -> Scalar = let x = 2.0 in x * x``: the input is dropped, silently, where an unread formula input is no
    matter), at that ``let``'s name: a parameter's counterpart of :func:`unread_lets`' outer ``let`` that an inner one
    of its name hides (``let a = 2.0 in let a = 3.0 in a``).  A ``let`` that reads the parameter in its value (``let x
    = x * 2.0 in ...``) rebinds it and is no matter.  None of a parameter :func:`unread_inputs` names (its warning's
    hint names the ``let``), nor of the slots ``evolved``."""
    out: list[MlevError] = []
    for d, owner, body in _written_bodies(program, evolved):
        told = {p.name for _, params in _unread_needed(d, owner, body) for p in params}
        where = f"{d.kind} '{d.name}'" + (f", method {owner.kind}" if owner is not d else "")
        for param in owner.params:
            let = _hiding_let(body, param.name)
            if let is None or param.name in told or reads(body, param.name):
                continue
            out.append(MlevError(
                f"in {where}: let '{let.name}' hides parameter '{param.name}' before it is read: the input is dropped",
                let.span, f"rename the let (was another name meant?), or read {param.name} in its value to rebind it "
                          f"(let {param.name} = 2.0 * {param.name} in ...)"))
    return out


def written_warnings(program: Program, evolved: Collection[str] = ()) -> list[MlevError]:
    """The warnings-to-be of ``program``'s bodies as written (:func:`unread_inputs`, :func:`hidden_params`, then
    :func:`unread_lets`), none of the slots ``evolved``: what ``check`` says of a program a person wrote, and
    ``evolve`` of the bodies it keeps."""
    return [*unread_inputs(program, evolved), *hidden_params(program, evolved), *unread_lets(program, evolved)]


def reads(body: Expr, name: str) -> bool:
    """Whether ``body`` reads the name ``name`` of its scope (a ``let`` of the same name hides it in its body)."""
    stack = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, Ref):
            if node.name == name:
                return True
        elif isinstance(node, Let):
            stack.append(node.value)
            if node.name != name:
                stack.append(node.body)
        else:
            stack.extend(node.children())
    return False


@dataclass(frozen=True, slots=True)
class Idle:
    """A definition whose body cannot reach the score as the program stands: ``error`` says why, at the
    definition; ``always``: whatever the other bodies become (no evolved body could read it either)."""

    name: str
    error: MlevError
    always: bool
    by: str  # the definition that would use it


def idle(program: Program, evolved: Collection[str] = ()) -> list[Idle]:
    """The definitions of a (checked, supervised) program that have no effect on what is trained and scored,
    the bodies of slots ``evolved`` taken as any their environment allows: an activation that the model
    never names (a layer only by name), and a schedule where the update rule never reads ``lr`` (the
    schedule sets the rate that the rule takes as ``lr``)."""
    out: list[Idle] = []
    model = next((d for d in program.definitions if d.kind == "model"), None)
    rule = next((d for d in program.definitions if d.kind == "optimizer"), None)
    for d in program.definitions:
        if d.kind == "activation" and model is not None and model.body is not None and model.name not in evolved \
                and not reads(model.body, d.name):
            out.append(Idle(d.name, MlevError(
                f"activation '{d.name}' has no effect: model '{model.name}' never uses it",
                d.span, f"use it in a layer of the model, e.g. seq(dense(16), {d.name}), or remove it"),
                False, model.name))
        elif d.kind == "schedule" and rule is not None and rule.body is not None:
            takes = any(p.name == "lr" for p in rule.params)
            if takes and (rule.name in evolved or reads(rule.body, "lr")):
                continue
            what = "never reads lr" if takes else "takes no lr"
            out.append(Idle(d.name, MlevError(
                f"schedule '{d.name}' has no effect: optimizer '{rule.name}' {what}, the rate the schedule sets",
                d.span, "use lr in the update rule (e.g. w - lr * g" + ("" if takes else ", with lr: Scalar after g")
                + "), or remove the schedule"), not takes, rule.name))
    return out
