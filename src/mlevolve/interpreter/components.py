"""Drop-in components: one definition of a program as a standalone Python module.

``export_component(program, name, spec)`` writes the module text for definition ``name``, in the
form a user of PyTorch, scikit-learn or SymPy expects of that kind (see ``FORMS``):

- ``optimizer``: a ``torch.optim.Optimizer`` subclass (per-parameter state, parameter groups, ``lr``
  from the group, ``state_dict`` round trip) and, when the program has a ``schedule``, ``lr_lambda``
  for ``torch.optim.lr_scheduler.LambdaLR``;
- ``activation``: the function and an ``nn.Module`` for ``nn.Sequential``; ``loss``: the elementwise
  function and an ``nn.Module`` with ``reduction``; ``model``: a factory ``build(n_features,
  n_classes)``; ``augment``: the batch transform and an ``nn.Module``;
- ``learner``: a scikit-learn regressor (``BaseEstimator``, ``RegressorMixin``);
- ``formula``: the NumPy function, its SymPy expression and its LaTeX;
- ``pg_loss``, ``td_loss``, ``vae_loss``, ``flow_loss``: the elementwise function and the scalar
  objective the training loop minimises.

The bodies are the code generator's own (:func:`mlevolve.interpreter.codegen.function_lines`), so
a component computes what ``mlevolve run`` computes.  A module imports only the standard library,
numpy and torch (plus scikit-learn for a learner; SymPy only inside ``sympy_expr()`` of a formula).
The hand-written parts are templates in ``component_templates``; helper layers a model needs
(``Lambda``, ``Residual``...) are copied whole from the runtime, which is standalone by design.
A formula's SymPy form is :mod:`mlevolve.interpreter.algebra`'s.
"""

from __future__ import annotations

import builtins
import inspect
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlevolve.dsl.errors import MlevError, did_you_mean
from mlevolve.dsl.ir import Definition, Program, Ref
from mlevolve.dsl.kinds import KINDS, reads
from mlevolve.dsl.printer import format_definition
from mlevolve.dsl.traverse import walk
from mlevolve.dsl.types import LAYER, Type, type_str
from mlevolve.grammar.spec import GrammarSpec
from mlevolve.interpreter import component_templates as templates
from mlevolve.interpreter import runtime
from mlevolve.interpreter.algebra import UNDECIDABLE, formula_display, formula_expr, sympy_of, too_deep, undecidable
from mlevolve.interpreter.codegen import (
    _ZEROS,
    WIDTH,
    Backend,
    doc_literal,
    float64_prelude,
    function_lines,
    packed,
    wrapped_text,
)
from mlevolve.interpreter.names import ESCAPE, py_local
from mlevolve.interpreter.standalone import common, data


@dataclass(frozen=True)
class Form:
    """What a kind becomes: a one-line description and the function that writes the module body."""

    description: str
    write: Callable[[_Module], None]


class _Module:
    """The pieces of one component module: its definitions, names in use, body and public names."""

    def __init__(self, program: Program, definition: Definition, spec: GrammarSpec) -> None:
        self.program = program
        self.d = definition
        self.spec = spec
        self.body: list[str] = []
        self.public: list[str] = []
        self.usage = ""
        self.shapes = ""
        self.description = ""  # what the module is, where it differs from its kind's ``Form.description``
        self.sources: list[Definition] = [definition]
        self.taken: set[str] = set(_MODULE_NAMES)
        self.signatures: dict[str, str] = {}  # generated function -> its parameter list

    def name(self, wanted: str) -> str:
        """A module-level name not yet used (a trailing ``_`` is added until it is free)."""
        while wanted in self.taken:
            wanted += "_"
        self.taken.add(wanted)
        return wanted

    def function(self, d: Definition, doc: str, backend: Backend = "torch",
                 prelude: dict[str, str] | None = None) -> str:
        """Emit the generated function of definition ``d`` (its parameters first rebound to the code ``prelude``
        gives for them); return its Python name."""
        assert d.body is not None and d.result is not None
        env: dict[str, Type]
        if d.kind == "model":
            env = {a.name: LAYER for a in self.program.definitions if a.kind == "activation"}
            params: list[str] = []
        else:
            env = {p.name: p.type for p in d.params}
            params = [p.name for p in d.params]
        lines = function_lines(d.name, params, d.body, env, self.spec, backend, doc, prelude=prelude,
                               widen=backend == "torch" and d.kind != "optimizer")  # a rule's inputs are widened
        self.body.append("\n".join(lines))
        return self.emitted(lines)

    def emitted(self, lines: list[str]) -> str:
        """The name in generated ``lines``' ``def NAME(...):`` (the code generator's choice, its parameters packed
        on lines of their own where they are many), now taken."""
        end = next(i for i, line in enumerate(lines) if line.rstrip().endswith("):"))
        head = re.sub(r"\(\s*", "(", re.sub(r",?\s*\):$", "):", " ".join(line.strip() for line in lines[:end + 1])))
        match = _DEF.match(head)
        assert match is not None, head
        self.taken.add(match[1])
        self.signatures[match[1]] = match[2]
        return match[1]


_DEF = re.compile(r"def (\w+)\((.*)\):$")


def _peak_rate(sched: str) -> str:
    """The text of ``LR``, the optimizer's default rate and LambdaLR's base: schedule ``sched``'s largest finite rate
    on t = 0, 0.001, ..., 1 (its rate at the start where that is the largest: a decay's; a warmup starts at 0, which
    left the optimizer still and LambdaLR's factor a division by 0: a fresh-user pass).  Finite: 0.0002 / (1 - t),
    which mlevolve trains with (its t stays below 1), made LR inf and every rate LambdaLR set NaN, silently.  In
    float64: a cosine's 0.05 read 0.05000000074505806 from float32 (its LambdaLR factor keeps the runs' float32)."""
    return (f"max((rate for rate in (float({sched}(torch.tensor(i / 1000, dtype=torch.float64)))\n"
            "                       for i in range(1001)) if math.isfinite(rate)), default=math.nan)"
            "  # in float64: 0.05 reads 0.05")


def _camel(name: str) -> str:
    text = "".join(part[:1].upper() + part[1:] for part in name.split("_") if part)
    return text if text.isidentifier() else "Component"


# ------------------------------------------------------------------------------------------- optimizer
def _optimizer(m: _Module) -> None:
    d = m.d
    rule = m.function(d, f"optimizer {d.name}: the update rule, elementwise")
    names = [p.name for p in d.params[2:]]
    state = [n for n in names if n not in ("lr", "t")]
    keys = {n: (n if n != "step" else "step_") for n in state}
    schedule = next((s for s in m.program.definitions if s.kind == "schedule"), None)
    sched = ""
    if schedule is not None:
        m.sources.append(schedule)
        sched = m.function(schedule, f"schedule {schedule.name}: the learning rate at progress t in [0, 1]")
    cls = m.name(_camel(d.name))
    lr_name = m.name("LR")
    if schedule is not None:
        lr_value = _peak_rate(sched)
    else:
        rate = runtime.SupervisedProgram(model=runtime.default_model, optimizer=_no_adam).learning_rate(0.0)
        lr_value = f"{float(rate):.6g}"
        lr_value += "  # mlevolve's rate for an update rule without a schedule"
    m.body.append(f"{lr_name} = {lr_value}")
    slot = {n: f'state["{keys[n]}"]' for n in state}
    # lr and t are locals of step(), made in the parameter's working precision as the rule's constants are
    args = "".join(f", {slot.get(n, n + '.to(work)' if n == 'lr' else n)}" for n in names)
    result = ", ".join(["new", *(f"s_{i}" for i in range(len(state)))])
    init = "\n".join(f"{' ' * 20}{slot[n]} = torch.zeros_like(w, dtype=work)" for n in state) or f"{' ' * 20}pass"
    store = "\n".join(f"{' ' * 16}new_state = torch.as_tensor(s_{i}, dtype=work, device=w.device)\n"
                      f"{' ' * 16}{slot[n]} = torch.broadcast_to(new_state, w.shape).clone()"
                      for i, n in enumerate(state))
    state_doc = ", ".join(f"``{slot[n]}``" for n in state) or "none besides the step count"
    t_line = f"{' ' * 16}t = state[\"step\"].to(work)\n" if "t" in names else ""
    check = m.name("_check_rate")  # the rate's one check, __init__'s and each step's
    m.body.append(templates.RATE_CHECK.replace("def _check_rate(", f"def {check}(", 1))
    check_line = (f"{' ' * 12}{check}(group[\"lr\"])  # a scheduler's rate: a negative one would ascend the loss\n"
                  if "lr" in names else "")
    lr_line = f"{' ' * 12}lr = torch.as_tensor(float(group[\"lr\"]), dtype=torch.float64)\n" if "lr" in names else ""
    if "lr" in names and d.body is not None and reads(d.body, "lr"):
        lr_doc = ("``lr`` is read from the parameter\n    group on every step, so schedulers and "
                  "``add_param_group`` work as for any torch optimizer.")
    else:  # a scheduler would change a rate that nothing reads: the docstring promised it worked
        lr_doc = (f"The rule {'never reads' if 'lr' in names else 'takes no'} ``lr``: the\n    group's "
                  "``lr`` has no effect, so a learning-rate scheduler changes nothing.")
    m.body.append(templates.OPTIMIZER.substitute(cls=cls, rule=rule, name=d.name, state_doc=state_doc, lr_doc=lr_doc,
                                                 keys=", ".join(repr(k) for k in ("step", *keys.values())),
                                                 lr_name=lr_name, init=init, result=result, args=args, store=store,
                                                 t_line=t_line, lr_line=lr_line, check_line=check_line,
                                                 check_rate=check))
    m.public += [cls, lr_name]
    usage = f"    opt = {cls}(model.parameters())\n"
    if schedule is not None:
        lam = m.name("lr_lambda")
        m.body.append(templates.LR_LAMBDA.substitute(name=lam, lr_name=lr_name, schedule=sched))
        m.public.append(lam)
        usage += f"    sched = torch.optim.lr_scheduler.LambdaLR(opt, {lam}(total_steps))  # the .mlev schedule\n"
    m.usage = usage + f"    loss.backward(); opt.step(); {'sched.step(); ' * (schedule is not None)}opt.zero_grad()"
    if schedule is None:  # no lr_lambda is written: the docstring promised one
        m.description = "a torch.optim.Optimizer subclass"
    scalars = [f"{n} {'is ' * (i == 0)}{what}" for i, (n, what) in enumerate(
        (n, what) for n, what in (("lr", "the learning rate (parameter units per gradient unit)"),
                                  ("t", "the step count (1 on the first step)")) if n in names)]
    kind = "both 0-d float tensors" if len(scalars) == 2 else "a 0-d float tensor"
    m.shapes = ("The update rule is elementwise: w and g (a parameter and its gradient) and every state tensor "
                "have the parameter's shape" + (f"; {' and '.join(scalars)}, {kind}." if scalars else "."))


def _no_adam(*args: Any) -> Any:
    """A stand-in update rule: the runtime's default rate for any rule but its own Adam."""
    raise AssertionError("never called")


def _schedule(m: _Module) -> None:
    """A schedule alone (a file without an update rule, which mlevolve then trains with Adam at its rate): the
    function, its peak rate (``LR``) and the LambdaLR factor; with an update rule it is that one's part."""
    sched = m.function(m.d, f"schedule {m.d.name}: the learning rate at progress t in [0, 1]")
    lr_name, lam = m.name("LR"), m.name("lr_lambda")
    m.body.append(f"{lr_name} = {_peak_rate(sched)}")
    m.body.append(templates.LR_LAMBDA.substitute(name=lam, lr_name=lr_name, schedule=sched))
    m.public += [sched, lr_name, lam]
    rule = next((x.name for x in m.program.definitions if x.kind == "optimizer"), None)
    how = f"its update rule is {rule!r} (export it: it carries this schedule)" if rule else "as mlevolve trains it"
    m.usage = (f"    opt = torch.optim.Adam(model.parameters(), lr={lr_name})  # {how}\n"
               f"    sched = torch.optim.lr_scheduler.LambdaLR(opt, {lam}(total_steps))\n"
               "    loss.backward(); opt.step(); sched.step(); opt.zero_grad()")
    m.shapes = ("t is training progress in [0, 1] (step / total steps, 0 on the first step), a 0-d float tensor; "
                "the result is the learning rate there (parameter units per gradient unit).")


# ----------------------------------------------------------------------------- elementwise torch kinds
def _activation(m: _Module) -> None:
    fn = m.function(m.d, f"activation {m.d.name}: elementwise, any shape")
    cls = m.name(_camel(m.d.name))
    m.body.append(templates.LAYER.substitute(cls=cls, fn=fn, role="as a layer without parameters (for "
                                             "``nn.Sequential``); any input shape"))
    m.public += [fn, cls]
    m.usage = f"    net = nn.Sequential(nn.Linear(64, 32), {cls}(), nn.Linear(32, 10))\n    y = {fn}(x)"
    m.shapes = "Elementwise: the output has the input's shape (any), in the input's units."


def _augment(m: _Module) -> None:
    fn = m.function(m.d, f"augment {m.d.name}: a batch (N, F) to a batch of the same shape")
    cls = m.name(_camel(m.d.name))
    m.body.append(templates.AUGMENT.substitute(cls=cls, fn=fn))  # identity in eval mode: mlevolve never augments
    m.public += [fn, cls]                                           # what it validates or tests on
    m.usage = (f"    xb = {fn}(xb)  # on each training batch only, as mlevolve does\n"
               f"    model = nn.Sequential({cls}(), model)  # or as a layer: the identity in eval() mode")
    m.shapes = ("x: a training batch (N, F) of standardised features; the result has the same shape.  Random "
                "primitives\n(noise) draw from torch's global generator: seed it with torch.manual_seed.")


def _loss(m: _Module) -> None:
    fn = m.function(m.d, f"loss {m.d.name}: elementwise over (N, C)")
    cls = m.name(_camel(m.d.name) + "Loss")
    m.body.append(templates.LOSS.substitute(cls=cls, fn=fn))
    m.public += [fn, cls]
    m.usage = f"    criterion = {cls}(reduction=\"mean\")\n    loss = criterion(model(x), labels)"
    m.shapes = ("p and y are (N, C): the softmax of the logits and the one-hot targets (classification), or the "
                "prediction\nand target (regression); the elementwise values are in the loss's own units "
                "(nats for a log-likelihood).")


_OBJECTIVES = {
    "pg_loss": ("policy-gradient loop", "averaged over the steps of a batch of episodes",
                "logp, ret, adv, value, entropy: each (T,), one entry per step of a batch of whole episodes: the "
                "log-probability\n(nats) of the action taken, the discounted return, the advantage (normalised, "
                "no gradient), the value\nestimate (return units) and the policy's entropy (nats).", "values.mean()"),
    "td_loss": ("DQN loop", "averaged over a minibatch of transitions",
                "q, target, reward, discount: each (B,), one entry per transition of a replay minibatch: Q(s, a), "
                "max Q of\nthe target network at s' (no gradient), the reward, and the discount (gamma, 0 at a "
                "terminal state);\nq, target and reward are in return units.", "values.mean()"),
    "vae_loss": ("VAE loop", "summed over dimensions and averaged over the batch",
                 "x, recon, mu, logvar: each (N, D): the data, the decoder's mean, the encoder's mean and "
                 "log-variance\n(the latent has the data's size D); the values are nats per point and dimension "
                 "(up to constants).", "values.sum() / len(values)"),
    "flow_loss": ("normalizing-flow loop", "summed over dimensions and averaged over the batch",
                  "z, logdet: each (N, D): the latent the flow maps a batch to, and log|dz/dx| per dimension; the "
                  "values\nare nats per point and dimension.", "values.sum() / len(values)"),
}


def _objective(m: _Module) -> None:
    loop, how, shapes, reduce = _OBJECTIVES[m.d.kind]
    fn = m.function(m.d, f"{m.d.kind} {m.d.name}: elementwise")
    name = m.name(f"{fn.rstrip('_')}_objective")
    params = m.signatures[fn]
    m.body.append(templates.OBJECTIVE.substitute(name=name, params=params, loop=loop, fn=fn, how=how,
                                                 first=params.split(",")[0], reduce=reduce))
    m.public += [fn, name]
    m.usage = f"    loss = {name}({params})\n    loss.backward()"
    m.shapes = shapes


# ------------------------------------------------------------------------------------------------ model

_LAYERS = (runtime.Lambda, runtime.Residual, runtime.LayerNorm, runtime.dropout)


def _model(m: _Module) -> None:
    for a in m.program.definitions:
        if a.kind == "activation":
            m.sources.insert(0, a)
            m.function(a, f"activation {a.name}: elementwise")
    fn = m.function(m.d, f"model {m.d.name}: the body, without the head")
    generated = "\n".join(m.body)
    for obj in _LAYERS:
        if re.search(rf"\b{obj.__name__}\(", generated):
            m.body.append(inspect.getsource(obj))
    build = m.name("build")
    m.body.append(templates.BUILD.substitute(name=build, model=fn))
    m.public += [build, fn]
    m.usage = f"    model = {build}(n_features=64, n_classes=10)\n    logits = model(x)"
    m.shapes = "x: (N, n_features) float32; the result: logits (N, n_classes), or predictions (N, 1) for regression."


# ---------------------------------------------------------------------------------------------- learner
def _learner(m: _Module) -> None:
    d = m.d
    memory = {p.name: p.type for p in d.params}
    methods = m.name("_methods")
    lines = [f"def {methods}(DIM: int) -> tuple[Any, Any, Any]:",
             '    """The learner\'s methods for DIM input features (state first, then inputs, then rng)."""']
    found: dict[str, str] = {}
    for meth in d.methods:
        assert meth.body is not None and meth.result is not None
        env = {**memory, **{p.name: p.type for p in meth.params}}
        params = ([] if meth.kind == "setup" else list(memory)) + [p.name for p in meth.params]
        sig = ", ".join(f"{p.name}: {type_str(p.type)}" for p in meth.params)
        doc = f"{meth.kind}({sig}) -> {type_str(meth.result)}"
        # setup may read the memory, which is zeros then (as mlevolve's runtime starts it): bound at its top
        read = {n.name for n in walk(meth.body) if isinstance(n, Ref)}
        prelude = {n: _ZEROS[type_str(t)] for n, t in memory.items() if n in read} if meth.kind == "setup" else None
        text = function_lines(f"{d.name}_{meth.kind}", params, meth.body, env, m.spec, "numpy", doc, tail=("rng",),
                              prelude=prelude)
        lines += ["    " + line for line in text] + [""]
        found[meth.kind] = m.emitted(text)
    lines.append(f"    return {found.get('setup', 'None')}, {found['predict']}, {found['learn']}")
    m.body.append("\n".join(lines))
    if any(re.search(r"\bdraw\(", line) for line in lines):
        m.body.append(inspect.getsource(runtime.draw))
    cls = m.name(_camel(d.name))
    m.taken.update(("_SHAPES", "_weighted_rows", "_labels", "_text_numbers", "_NUMBER", "_unique_columns", "comma_fix",
                    "DECIMAL_COMMA", "GROUPED", "_scaling", "_scaled"))
    types = "(" + "".join(f'"{type_str(t)}",' + " " for t in memory.values()).rstrip() + ")"
    start = "its setup" if "setup" in found else "zeros"
    state_names = ", ".join(f"{n}: {type_str(t)}" for n, t in memory.items())
    problem, why = _problem(m.program.task)
    m.body.append(templates.ESTIMATOR.substitute(cls=cls, learner=d.name, methods=methods, types=types, start=start,
                                                 state_names=state_names, problem=problem,
                                                 problem_doc=f"{problem!r}, {why}"))
    m.body.append(inspect.getsource(templates._weighted_rows))  # sample_weight as mlevolve.SymbolicRegressor reads it
    number = f"# a number written as text, as a data file's\n_NUMBER = re.compile({templates._NUMBER.pattern!r})\n" + \
        "\n".join(f"{n} = re.compile({getattr(common, n).pattern!r})" for n in ("DECIMAL_COMMA", "GROUPED")) + \
        "\n\n\n" + inspect.getsource(common.comma_fix).rstrip()  # a decimal comma said as a data file's is
    m.body.append(number + "\n\n\n" + inspect.getsource(templates._text_numbers))  # text, dates: as the estimator
    m.body.append(inspect.getsource(templates._labels))  # a classification's labels, text too, as the run reads them
    m.body.append(inspect.getsource(templates._unique_columns))  # a DataFrame's columns of one name: likewise
    m.body += [inspect.getsource(f) for f in (data._scaling, data._scaled)]  # the run's standardisation, its source
    m.public.append(cls)
    m.usage = f"    est = {cls}().fit(X_train, y_train)\n    y_pred = est.predict(X_test)"
    m.shapes = ("X: (n, F) float64 features, y: (n,) targets; the memory is Scalar (), Vector (F,) or Matrix (F, F); "
                "predictions\nare in the target's units (fit standardises X and y as mlevolve run does; predict "
                "undoes it).")


def _problem(task: str | None) -> tuple[str, str]:
    """The problem kind mlevolve run reads a learner's ``task`` as (a family's, or a data file's as the run reads it),
    and why: regression where the task is not given or cannot be read now."""
    from mlevolve.interpreter import tasks

    if task is None:
        return "regression", "the program names no task"
    try:
        info = tasks.load_learner_data(task) if tasks.is_data_file(task) else tasks.task_info(task.split(":")[0])
    except MlevError:
        return "regression", "the program's task not readable at export"
    return info.problem, "as mlevolve run reads the program's task"


# ---------------------------------------------------------------------------------------------- formula
def _formula(m: _Module) -> None:
    fn = m.function(m.d, f"formula {m.d.name}: elementwise over arrays, in float64", backend="numpy",
                    prelude=_float64_inputs(m))
    args = m.signatures[fn]
    assert m.d.body is not None
    read = {n.name for n in walk(m.d.body) if isinstance(n, Ref)}
    if any(p.name not in read for p in m.d.params):  # a constant's values are one number, not the inputs' shape
        _shaped(m, fn, args)
    m.usage = f"    y = {fn}({args})  # numpy arrays of one shape"
    m.shapes = (f"{args}: numpy arrays, lists or numbers of one shape, computed in float64 (as mlevolve scores a "
                f"formula);\nthe result has that shape, in the target's units; an input that is not real numbers "
                f"raises TypeError.")
    try:
        srepr, latex, text = _symbolic(m.d)
    except MlevError as err:  # too deep for SymPy: the NumPy function alone
        m.public.append(fn)
        m.shapes += f"\nNo SymPy form: {err.message}."
        return
    names = {k: m.name(k) for k in ("SYMPY", "LATEX", "sympy_expr")}
    m.body.append(templates.FORMULA.substitute(srepr_name=names["SYMPY"], srepr=_string(srepr),
                                               latex_name=names["LATEX"], latex=_string(latex),
                                               sympy_name=names["sympy_expr"]))
    m.public += [fn, names["sympy_expr"], names["LATEX"]]
    m.usage += f"\n    expr = {names['sympy_expr']}()"
    m.shapes += f"\nAs an expression: {text}"


def _float64_inputs(m: _Module) -> dict[str, str]:
    """The formula's prelude (:func:`~mlevolve.interpreter.codegen.float64_prelude`, the exported script's and a
    run's too) by ``_float64``, whose source the module gets, under a name no parameter has."""
    params = {p.name: py_local(p.name) for p in m.d.params}
    helper = m.name("_float64")
    while helper in params.values():
        helper = m.name(helper + "_")
    m.body.append(inspect.getsource(templates._float64).replace("def _float64(", f"def {helper}(", 1))
    return float64_prelude(list(params), helper)


def _shaped(m: _Module, fn: str, args: str) -> None:
    """Make ``fn``, the formula's generated function, one whose result has its inputs' (broadcast) shape, as the
    module promises: the generated code's values have the shape of the parameters it reads, and a formula that reads
    not all of them (a constant, ``2.0``, reads none) gave one number for arrays of inputs.  The wrapper binds no
    local of its own (a parameter may be named ``out`` or ``shape``): a helper does the shaping."""
    names = [a.strip() for a in args.split(",") if a.strip()]

    def free(wanted: str) -> str:
        name = m.name(wanted)
        while name in names:
            name = m.name(name + "_")
        return name

    inner, helper = free(f"_{fn}_values"), free("_in_shape")
    m.body[-1] = m.body[-1].replace(f"def {fn}(", f"def {inner}(", 1)
    head, call = f"def {fn}({args}):", f"    return {helper}({inner}({args}), {args})"
    if max(len(head), len(call)) > WIDTH:  # many columns: the arguments packed, on lines of their own
        listed = "\n".join(packed([a + "," for a in names], "        "))
        head = f"def {fn}(\n{listed}\n):"
        call = f"    return {helper}(\n    {inner}(\n{listed}\n    ),\n{listed}\n    )"
    m.body.append(f"""{head}
    \"\"\"formula {m.d.name}: elementwise over arrays, the result in the inputs' shape\"\"\"
{call}


def {helper}(out: Any, *inputs: Any) -> Any:
    \"\"\"``out`` broadcast to the shape of ``inputs`` (numbers in: a number out).\"\"\"
    shape = np.broadcast_shapes(*(np.shape(x) for x in inputs))
    return out if np.shape(out) == shape else np.broadcast_to(out, shape).copy()
""")


# sympify parses SYMPY with Python's parser, which allows 200 nested brackets; a margin for Symbol(...)
_MAX_NESTING = 190


def _symbolic(d: Definition) -> tuple[str, str, str]:
    """A formula's SymPy expression as handed out (:func:`formula_expr`, every digit) as srepr, LaTeX and plain text;
    :class:`MlevError` when it is too deep for SymPy (whose expressions and printers recurse) or for ``sympify``."""
    import sympy

    error: MlevError | None = None
    try:
        expr = sympy_of(d)
        srepr, (text, latex) = sympy.srepr(formula_expr(d)), formula_display(d, expr)
    except RecursionError:  # srepr's
        error = too_deep(d, "SymPy's printers")
    except MlevError:  # a ValueError too (too deep for SymPy): the mistake already in its words
        raise
    except UNDECIDABLE as err:
        error = undecidable(d, err)
    if error is not None:  # after the handler: tblib pickles a context's 1,000 frames past pickle's recursion limit
        raise error
    depth = level = 0
    for ch in srepr:
        level += (ch == "(") - (ch == ")")
        depth = max(depth, level)
    if depth > _MAX_NESTING:
        raise MlevError(f"formula '{d.name}' nests {depth} calls deep, too deep for sympify", d.span,
                        "simplify it, or use the NumPy function")
    return srepr, latex, text


def _string(text: str, width: int = 96) -> str:
    """A string literal for ``text``, split over lines of at most ``width`` characters when long."""
    if len(text) <= width:
        return repr(text)
    return "(\n" + "".join(f"    {text[i:i + width]!r}\n" for i in range(0, len(text), width)) + ")"


# ------------------------------------------------------------------------------------------------ table
FORMS: dict[str, Form] = {
    "optimizer": Form("a torch.optim.Optimizer subclass (with the schedule as a LambdaLR factor)", _optimizer),
    "schedule": Form("a function and its factor for torch.optim.lr_scheduler.LambdaLR", _schedule),
    "activation": Form("a function and an nn.Module", _activation),
    "loss": Form("a function and an nn.Module with reduction", _loss),
    "model": Form("an nn.Module factory build(n_features, n_classes)", _model),
    "augment": Form("a batch transform (function and nn.Module)", _augment),
    "learner": Form("a scikit-learn regressor", _learner),
    "formula": Form("a NumPy function with its SymPy expression and LaTeX", _formula),
    **{kind: Form("an elementwise function and the scalar objective over tensors", _objective)
       for kind in _OBJECTIVES},
}


def components(program: Program) -> list[tuple[str, str]]:
    """The (name, kind) of every definition of ``program`` that has a component form."""
    return [(d.name, d.kind) for d in program.definitions if d.kind in FORMS]


def _available(program: Program) -> str:
    found = components(program)
    if not found:
        return "this program has no definition with a component form"
    return "components: " + ", ".join(f"{name} ({kind})" for name, kind in found)


_IMPORTS = (  # (pattern in the body, import line, section): section 0 the standard library, 1 the others
    (r"\bCallable\b", "from collections.abc import Callable", 0),
    (r"\bAny\b", "from typing import Any", 0),
    (r"\bdatetime\.", "import datetime", 0),
    (r"\bre\.compile\(", "import re", 0),
    (r"\bmath\.", "import math", 0),
    (r"\bnumbers\.", "import numbers", 0),
    (r"\bwarnings\.", "import warnings", 0),
    (r"\bnp\.", "import numpy as np", 1),
    (r"\btorch\.", "import torch", 1),
    (r"\bF\.", "import torch.nn.functional as F", 1),
    (r"\bBaseEstimator\b", "from sklearn.base import BaseEstimator, RegressorMixin", 1),
    (r"\bvalidate_data\(", "from sklearn.utils.validation import check_is_fitted, validate_data", 1),
    (r"\br2_score\(", "from sklearn.metrics import r2_score", 1),
    (r"\bnn\.", "from torch import nn", 1),
)


def _imports(body: str) -> str:
    """The import block the body needs, in isort's order (plain imports before ``from`` imports)."""
    sections: list[list[str]] = [[], []]
    for pattern, line, section in _IMPORTS:
        if re.search(pattern, body):
            sections[section].append(line)
    blocks = ["from __future__ import annotations"]
    for lines in sections:
        if lines:
            blocks.append("\n".join(sorted(lines, key=lambda s: (s.startswith("from "), s.split()[1]))))
    return "\n\n".join(blocks)


# Names a component module imports or copies from the runtime, and the builtins: none is redefined.
_MODULE_NAMES = frozenset({"annotations", "torch", "nn", "F", "np", "math", "numbers", "sympy", "Any", "Callable",
                           "BaseEstimator", "RegressorMixin", "check_is_fitted", "validate_data", "Lambda", "Residual",
                           "LayerNorm", "dropout", "draw", "DIM", "re", "datetime",
                           "warnings"}) | frozenset(dir(builtins))


def export_component(program: Program, name: str, spec: GrammarSpec) -> str:
    """The text of a standalone module for definition ``name`` of the checked ``program``.

    The module imports no mlevolve.  Raises :class:`MlevError` when ``name`` is not a definition of
    the program (the hint lists the components there are).
    """
    d = program.get(name)
    if d is None:
        raise MlevError(f"no definition '{name}' in program '{program.name}'",
                        hint=did_you_mean(name, (x.name for x in program.definitions)) + _available(program))
    form = FORMS[d.kind]  # every kind has one (a test holds the table to the kinds)
    m = _Module(program, d, spec)
    form.write(m)
    _public_aliases(m)
    body = "\n\n\n".join(part.strip() for part in m.body)
    source = "\n\n".join(format_definition(x) for x in m.sources)
    prose = [f"{d.name}: the {d.kind} of mlevolve program {program.name!r} as a drop-in component: "
             f"{m.description or form.description}.",
             f"Shapes and units.  {m.shapes}",
             f"{'An' if d.kind[0] in 'aeiou' else 'A'} {d.kind} in mlevolve is {KINDS[d.kind].doc}.  This module "
             f"needs {_NEEDS.get(d.kind, 'torch')} and the standard library; no mlevolve.",
             "Use::"]
    doc = "\n\n".join(textwrap.fill(" ".join(par.split()), width=100) for par in prose)
    doc = (f'"""{doc_literal(doc)}\n\n{wrapped_text(m.usage, "")}\n\nThe definition, in the mlevolve language:\n\n'
           f'{wrapped_text(doc_literal(source), "")}\n"""')  # a formula of many columns: its long lines wrapped
    order = sorted(m.public, key=lambda n: (0 if n.isupper() else 1 if n[0].isupper() else 2, n))
    exports = "__all__ = [" + ", ".join(f'"{n}"' for n in order) + "]"
    return "\n\n".join([doc, _imports(body), exports + "\n", body]).rstrip() + "\n"


def _public_aliases(m: _Module) -> None:
    """Export each public function the code generator escaped (a definition named ``F``, ``abs`` or ``data``: its
    function is ``_u_F``, a private name, which ``__all__`` listed, a fresh-user pass) under its own name, with a
    trailing ``_`` while that is taken (``F_``, ``abs_``), as the module's other names are."""
    for i, name in enumerate(m.public):
        if name.startswith(ESCAPE):
            alias = m.name(name[len(ESCAPE):])
            m.body.append(f"{alias} = {name}  # the definition's name (in the code above, {name})")
            m.public[i] = alias
            m.usage = re.sub(rf"\b{re.escape(name)}\b", alias, m.usage)


_NEEDS = {"learner": "numpy, scikit-learn (1.6 or later)", "formula": "numpy (and sympy, for the symbolic form)"}
