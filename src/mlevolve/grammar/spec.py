"""The typed grammar as data: ``GrammarSpec``, its loading from TOML, and its analysis.

A grammar is the search space: typed productions (primitives monomorphised to one signature each),
literal distributions per type, and a weight for variables.  The type checker reads primitive
signatures from it (there is no second copy in code), the generator samples from it, and the meta
level writes evolved copies of it.  Loading validates it: unknown types, duplicate signatures and
types that can never finish a derivation are errors naming the production at fault.

A grammar may also weight productions differently within one kind of body (:class:`Focus`, a
``[restrict.NAME]`` table): the sub-grammar a body computes with (:meth:`GrammarSpec.restrict`)
scales the weights of the productions the focus does not keep.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import re
import shlex
import tomllib
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from mlevolve.arguments import typed
from mlevolve.dsl.errors import (
    MlevError,
    RenderedWarning,
    decode_utf8,
    did_you_mean,
    read_bytes,
    toml_key_span,
    toml_loads,
    toml_text,
    toml_value,
    wrong_kind,
)
from mlevolve.dsl.ir import Call, Expr, Span
from mlevolve.dsl.parse import KEYWORDS, parse_expr
from mlevolve.dsl.printer import format_expr
from mlevolve.grammar.oplang import ACTIONS, COMBINATORS, OperatorError, parse_operator
from mlevolve.grammar.places import Place, locate
from mlevolve.grammar.rules import Rule, RuleError, expand, make_rule, substitute
from mlevolve.messages import in_repository

_T = TypeVar("_T")


class GrammarError(MlevError):
    """A malformed grammar file or spec; without a hint of its own, it points to the format's documentation.
    ``place``: where in the file (:data:`~mlevolve.grammar.places.Place`), made a line and column when
    the file is loaded (:func:`load_grammar`).  ``extended_by``: the files that extend the one at fault,
    innermost first (:meth:`extended`), named after the message: "... (in base2.toml, extended by mine.toml)"."""

    def __init__(self, message: str, span: Any = None, hint: str | None = None, file: str | None = None,
                 place: Place | None = None) -> None:
        super().__init__(message, span, hint or f"a grammar file is TOML as {in_repository('docs/meta.md')} describes; "
                         "`mlevolve grammar show` lists the base grammar", file)
        self.place = place
        self.production: Production | None = None  # a weight's error: whose (its place is the file's to find)
        self.extended_by: tuple[str, ...] = ()
        self._own = message  # the message without the chain

    def extended(self, by: str) -> GrammarError:
        """This error, of a file that the grammar file ``by`` extends (directly or through others)."""
        if not self.extended_by:
            self._own = self.message
        self.extended_by += (by,)
        self.message = f"{self._own} (in {self.file}, {', '.join(f'extended by {f}' for f in self.extended_by)})"
        self.args = (self.message,)
        return self


class GrammarWarning(RenderedWarning):
    """Something a grammar file says that is not so but does not stop it loading (a stale ``digest``);
    ``error``: the same as a :class:`GrammarError`, ``source`` the file's text."""


# The ops the engine itself writes into a program it found, whatever the grammar: a formula fit's linear scaling
# (``add``, ``mul``), the simplifier's exact rewrites (``sub``, ``div``, ``2.0 * x``) and a negative constant
# (``neg``).  A program may use them wherever it is checked (:meth:`GrammarSpec.overloads`).
ENGINE_OPS = frozenset({"add", "sub", "mul", "div", "neg"})

VERSION = 1  # the grammar file format this mlevolve reads and writes (``version = 1``)


@dataclass(frozen=True, slots=True)
class Production:
    """One monomorphised primitive: ``op(args...) -> result`` with its prior weight."""

    op: str
    args: tuple[str, ...]
    result: str
    weight: float = 1.0
    doc: str = ""
    commutative: bool = False
    rule: Rule | None = None  # a learned rule: building a call inlines its body
    # Derived once, for the generator's depth checks: per argument, its deepest level below the built
    # node (1 for a primitive), and the built node's own depth with arguments counted as leaves.
    reach: tuple[int, ...] = field(init=False, default=())
    height: int = field(init=False, default=1)

    def __post_init__(self) -> None:
        reach, height = (self.rule.offsets, self.rule.height) if self.rule else ((1,) * len(self.args), 1)
        object.__setattr__(self, "reach", reach)
        object.__setattr__(self, "height", height)

    def need(self, depth_of: Mapping[str, float]) -> float:
        """The least depth of an expression built by this production, given each type's least depth."""
        return max(self.height, max((r + depth_of[a] for r, a in zip(self.reach, self.args, strict=True)),
                                    default=0))

    @property
    def id(self) -> str:
        return f"{self.op}({','.join(self.args)})"

    def __str__(self) -> str:
        return f"{self.op}({', '.join(self.args)}) -> {self.result}"


@dataclass(frozen=True, slots=True)
class LiteralSpec:
    """How the generator draws a literal of one type: a choice of values, or a uniform range."""

    type: str
    weight: float
    choices: tuple[float, ...] = ()
    uniform: tuple[float, float] | None = None
    doc: str = ""

    @property
    def is_int(self) -> bool:
        return self.type == "Int"


@dataclass(frozen=True, slots=True)
class Focus:
    """Weights within one kind of body: where a body computes with exactly ``types`` (its kind's
    types, ``dsl/kinds.py``), every production not named in ``keep`` (production ids) has its weight
    multiplied by ``scale``.  Every production stays reachable; the generator and the operators
    draw the kept ones more often (AutoML-Zero's learners compute with a handful of ops, Real et
    al. 2020)."""

    name: str
    types: frozenset[str]
    scale: float
    keep: frozenset[str]
    doc: str = ""

    @property
    def text(self) -> str:
        return f"{sorted(self.types)}:{self.scale!r}:{sorted(self.keep)}"


@dataclass(frozen=True, slots=True)
class OperatorSpec:
    """An evolved mutation operator: a program of ``grammar/oplang.py`` and its prior weight."""

    name: str
    program: Expr
    weight: float = 1.0

    @property
    def text(self) -> str:
        return format_expr(self.program)


@dataclass(frozen=True, eq=False)
class GrammarSpec:
    """An immutable typed grammar.  Build with :func:`load_grammar` or :meth:`from_dict`."""

    types: tuple[str, ...]
    productions: tuple[Production, ...]
    literals: Mapping[str, LiteralSpec] = field(default_factory=dict)
    variable_weight: float = 3.0
    name: str = "custom"
    origin: str | None = None  # the file it was loaded from, if any (workers reload it from there)
    operators: tuple[OperatorSpec, ...] = ()  # an evolved operator portfolio (empty: the default mutations)
    floor: float = 0.25  # the bandit's least probability of the default mutation
    focus: tuple[Focus, ...] = ()  # weights within one kind of body (``[restrict.NAME]``), used by restrict

    def __post_init__(self) -> None:
        object.__setattr__(self, "literals", MappingProxyType(dict(self.literals)))
        self._validate()

    # -- indexes (computed once, the spec being immutable) ---------------------------------------

    @cached_property
    def by_result(self) -> Mapping[str, tuple[Production, ...]]:
        index: dict[str, list[Production]] = {t: [] for t in self.types}
        for p in self.productions:
            index[p.result].append(p)
        return MappingProxyType({t: tuple(ps) for t, ps in index.items()})

    @cached_property
    def by_op(self) -> Mapping[str, tuple[Production, ...]]:
        index: dict[str, list[Production]] = {}
        for p in self.productions:
            index.setdefault(p.op, []).append(p)
        return MappingProxyType({op: tuple(ps) for op, ps in index.items()})

    @cached_property
    def rules(self) -> Mapping[str, Rule]:
        """The learned rules by name, in the order they were added."""
        return MappingProxyType({p.op: p.rule for p in self.productions if p.rule is not None})

    @cached_property
    def base_productions(self) -> tuple[Production, ...]:
        return tuple(p for p in self.productions if p.rule is None)

    @cached_property
    def raw_weights(self) -> Mapping[str, float]:
        """Every production's weight as the grammar (and its file) states it, by production id, learned rules
        included: before any :class:`Focus` scales it.  What a slot draws with is ``restrict(types)``'s."""
        return MappingProxyType({p.id: p.weight for p in self.productions})

    def focus_for(self, types: frozenset[str]) -> Focus | None:
        """The :class:`Focus` that applies where a body computes with exactly ``types``, if the grammar has one."""
        return next((f for f in self.focus if f.types == types), None)

    def focus_scale(self, types: frozenset[str], production: str) -> float:
        """The factor by which ``restrict(types)`` multiplies the raw weight of ``production`` (an id): the
        focus's ``scale`` where the focus for ``types`` does not keep it, else 1.  Always > 0."""
        focus = self.focus_for(types)
        return focus.scale if focus is not None and production not in focus.keep else 1.0

    def with_drawn_weights(self, types: frozenset[str], weights: Mapping[str, float]) -> GrammarSpec:
        """A copy in which each production named in ``weights`` (by id) is drawn with that weight where a body
        computes with ``types``, i.e. in ``restrict(types)``: its raw weight is set to the weight divided by its
        :meth:`focus_scale`, so that the focus applies once.  The inverse of reading ``restrict(types)``'s
        weights; write raw weights (say, a perturbed :attr:`raw_weights`) with :meth:`with_weights`."""
        return self.with_weights({i: w / self.focus_scale(types, i) for i, w in weights.items()})

    def build(self, p: Production, args: Sequence[Expr]) -> Expr:
        """The expression ``p`` builds from ``args``: a call, or a learned rule's body filled in."""
        return Call(p.op, tuple(args)) if p.rule is None else substitute(p.rule.expanded, args)

    def expand(self, expr: Expr) -> Expr:
        """``expr`` with every learned rule inlined: a base expression."""
        return expand(expr, self.rules)

    @cached_property
    def commutative_ops(self) -> frozenset[str]:
        return frozenset(p.op for p in self.productions if p.commutative)

    @cached_property
    def digest(self) -> str:
        """A version hash of the whole grammar: productions, weights, literals, variable weight."""
        parts = [f"{p.id}->{p.result}:{p.weight!r}:{p.commutative}" for p in self.base_productions]
        parts += [f"rule {p.id}->{p.result}:{p.weight!r}={p.rule.text}" for p in self.productions if p.rule]
        parts += [f"lit {t}:{lit.weight!r}:{lit.choices}:{lit.uniform}" for t, lit in sorted(self.literals.items())]
        parts += [f"operator {o.name}:{o.weight!r}={o.text}" for o in self.operators]
        parts.append(f"var:{self.variable_weight!r}")
        if self.operators:
            parts.append(f"floor:{self.floor!r}")
        parts += [f"restrict {f.name}:{f.text}" for f in self.focus]
        return hashlib.blake2b("\n".join(sorted(parts)).encode(), digest_size=8).hexdigest()

    def overloads(self, op: str) -> Sequence[Production]:
        """The signatures named ``op`` (empty if none) that the type checker resolves a program's call against:
        the grammar's productions, and the base grammar's :data:`ENGINE_OPS` over this grammar's types that it
        lacks.  The generator draws only productions (:attr:`by_op`); what the engine itself writes into a
        program it found (the fit's ``a + b * f``, the simplifier's ``x - y`` and ``2.0 * x``, a negative
        constant's ``neg``) is legal in it wherever the program is checked, compiled or exported."""
        return self._checked.get(op, ())

    def lacking(self, op: str) -> str | None:
        """Where ``op`` is a primitive of mlevolve's that this grammar has no production of (and the engine does
        not write, :meth:`overloads`): a hint saying so and what to do; None otherwise (a name mlevolve lacks too)."""
        if self.overloads(op) or not _base().by_op.get(op):
            return None
        where = f" ({self.origin})" if self.origin else ""
        return (f"{op!r} is a primitive of mlevolve's that this grammar{where} does not have: add [op.{op}] to the "
                "grammar file that defines its ops, or use the base grammar, which has every primitive")

    @cached_property
    def drawn(self) -> Drawn:
        """This grammar as the type checker's primitives of what it draws: its productions only, no
        :data:`ENGINE_OPS` added (a learned rule's body is checked so: the generator draws it whole)."""
        return Drawn(self)

    @cached_property
    def _checked(self) -> Mapping[str, tuple[Production, ...]]:
        """:attr:`by_op` with the engine's arithmetic added (:meth:`overloads`)."""
        have, known = {(p.op, p.args) for p in self.productions}, set(self.types)
        extra = [p for p in _base().base_productions if p.op in ENGINE_OPS and (p.op, p.args) not in have
                 and known.issuperset((*p.args, p.result))] if known.intersection(_base().types) else []
        if not extra:
            return self.by_op
        index = {op: list(ps) for op, ps in self.by_op.items()}
        for p in extra:
            index.setdefault(p.op, []).append(p)
        return MappingProxyType({op: tuple(ps) for op, ps in index.items()})

    @cached_property
    def min_depth(self) -> Mapping[str, float]:
        """Each type's minimum derivation depth (a leaf is depth 1); ``inf`` if it never terminates.

        A least fixpoint: start every type at infinity, lower it through each production until
        nothing changes.  At most one round per type, each round linear in the productions.
        """
        return self._lower({t: 1 if t in self.literals else math.inf for t in self.types})

    def _lower(self, depth: dict[str, float]) -> Mapping[str, float]:
        """Lower ``depth`` through the productions to their least fixpoint."""
        changed = True
        while changed:
            changed = False
            for p in self.productions:
                d = p.need(depth)
                if d < depth[p.result]:
                    depth[p.result], changed = d, True
        return MappingProxyType(depth)

    def depths(self, leaves: frozenset[str] = frozenset()) -> Mapping[str, float]:
        """Minimum depths when variables of the types in ``leaves`` are in scope (depth 1)."""
        cache: dict[frozenset[str], Mapping[str, float]] = self.__dict__.setdefault("_depth_cache", {})
        found = cache.get(leaves)  # asked once per operator draw: one look-up when asked before
        if found is None:
            found = cache[leaves] = self.min_depth if not leaves - {t for t, d in self.min_depth.items() if d == 1} \
                else self._lower({t: 1 if t in leaves else d for t, d in self.min_depth.items()})
        return found

    # -- validation -------------------------------------------------------------------------------

    def _validate(self) -> None:
        for t in self.types:  # a program's parameter names its type: 'Nüm' or '1D' no program could write
            if not re.fullmatch(r"[A-Za-z_]\w*", t, re.ASCII):
                raise GrammarError(f"type name {t!r} is not an identifier", place=(None, "types", None),
                                   hint="a type is named as a program writes it: an ASCII letter or _, then ASCII "
                                        "letters, digits and _")
        known = set(self.types)
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for p in self.productions:
            for t in (*p.args, p.result):
                if t not in known:
                    raise GrammarError(f"production {p} names unknown type {t!r}",
                                       hint=f"known types: {', '.join(self.types)}", place=_written(p, "sig"))
            if not (p.weight >= 0 and math.isfinite(p.weight)):
                raise _weight_error(GrammarError(f"production {p} has a bad weight {p.weight!r}",
                                                 hint="weights are finite and >= 0", place=_written(p, "weight")), p)
            if (p.op, p.args) in seen:
                raise GrammarError(f"production {p} is defined twice",
                                   hint="each op may have one result type per argument types", place=_written(p, "sig"))
            seen.add((p.op, p.args))
        if len(known) != len(self.types):
            twice = sorted({t for t in self.types if self.types.count(t) > 1})
            raise GrammarError(f"type {twice[0]} is listed twice in `types`", hint="list each type once",
                               place=(None, "types", None))
        for t, lit in self.literals.items():
            if t not in known:
                raise GrammarError(f"literals for unknown type {t!r}", hint=f"known types: {', '.join(known)}",
                                   place=(f"literals.{t}", None, None))
            if not (lit.weight >= 0 and math.isfinite(lit.weight)):
                raise GrammarError(f"literals of {t} have a bad weight {lit.weight!r}",
                                   hint="weights are finite and >= 0", place=(f"literals.{t}", "weight", None))
            if not lit.choices and lit.uniform is None:  # the generator would write 1 for every one of them
                raise GrammarError(f"literals of {t} have nothing to draw from: no choices and no uniform range",
                                   hint="give choices = [0.5, 1.0, 2.0] or uniform = [-1.0, 1.0], or drop the "
                                        "table for no literals of this type", place=(f"literals.{t}", "choices", None))
            fraction = next((c for c in (*lit.choices, *(lit.uniform or ())) if not float(c).is_integer()), None)
            if lit.is_int and fraction is not None:  # drawn as int(abs(value)): written 1.5, it would be 1
                raise GrammarError(f"literals of {t} are whole numbers, not {fraction!r}", hint="e.g. choices = "
                                   "[8, 16, 32]", place=(f"literals.{t}", "uniform" if fraction in
                                                         (lit.uniform or ()) else "choices", None))
        if not (self.variable_weight >= 0 and math.isfinite(self.variable_weight)):
            raise GrammarError(f"variables have a bad weight {self.variable_weight!r}",
                               hint="weights are finite and >= 0", place=("variables", "weight", None))
        # each weight finite, and their total too, a production counted once per argument (as the insert and
        # wrap mutations draw it): else a draw fails past a float's range (`random.choices`' total is inf)
        if not math.isfinite(sum(p.weight * max(1, len(p.args)) for p in self.productions) + self.variable_weight
                             + sum(lit.weight for lit in self.literals.values())):
            heaviest = max(self.productions, key=lambda p: p.weight)
            raise _weight_error(GrammarError(
                f"the weights add up to more than a float holds (production {heaviest} has weight "
                f"{heaviest.weight!r})", hint="weights are relative: divide them all by the same number",
                place=_written(heaviest, "weight")), heaviest)
        used = {t for p in self.productions for t in (*p.args, p.result)}
        for t in self.types:
            if t in used and math.isinf(self.min_depth[t]):
                culprits = [str(p) for p in self.by_result[t]][:3]
                first = next(iter(self.by_result[t]), None)
                if first is None:  # nothing makes one, yet a production takes one
                    taker = next(p for p in self.productions if t in p.args)
                    raise GrammarError(f"type {t} can never terminate: no literal and no production makes one, yet "
                                       f"production {taker} takes one", place=_written(taker, "sig"),
                                       hint=f"add [literals.{t}] or a production of {t}, or drop {taker}")
                raise GrammarError(
                    f"type {t} can never terminate: every production of it needs another {t} or a type "
                    f"that never terminates, e.g. {'; '.join(culprits)}",
                    hint=f"add a literal or a production of {t} whose arguments all terminate",
                    place=_written(first, "sig"))

    # -- building ---------------------------------------------------------------------------------

    def restrict(self, types: frozenset[str]) -> GrammarSpec:
        """The sub-grammar over ``types`` only: what one kind of definition may compute with, with
        the weights of the :class:`Focus` for exactly these types, if the grammar has one."""
        cache: dict[frozenset[str], GrammarSpec] = self.__dict__.setdefault("_restrict_cache", {})
        if types not in cache:
            keep = [t for t in self.types if t in types]
            prods = tuple(p for p in self.productions if p.result in keep and all(a in keep for a in p.args)
                          and (p.rule is None or p.rule.types <= types))
            if self.focus_for(types) is not None:  # a kept production is the grammar's own object, as before
                prods = tuple(p if (s := self.focus_scale(types, p.id)) == 1.0 else replace(p, weight=p.weight * s)
                              for p in prods)
            lits = {t: lit for t, lit in self.literals.items() if t in keep}
            cache[types] = GrammarSpec(tuple(keep), prods, lits, self.variable_weight, self.name,
                                       operators=self.operators, floor=self.floor)
        return cache[types]

    def add(self, *productions: Production) -> GrammarSpec:
        """A copy with ``productions`` (say, learned rules) added after the existing ones."""
        return replace(self, productions=self.productions + productions)

    def with_weights(self, weights: Mapping[str, float]) -> GrammarSpec:
        """A copy with some raw production weights replaced, by production id (:attr:`raw_weights`; weights read
        from ``restrict(types)``, where a focus may scale them, go back through :meth:`with_drawn_weights`)."""
        prods = tuple(replace(p, weight=weights.get(p.id, p.weight)) for p in self.productions)
        return replace(self, productions=prods)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str = "custom", base_dir: Path | None = None) -> GrammarSpec:
        """Build a spec from the TOML layout described at the top of ``base.toml``.

        A file with ``extends = "base"`` (or a path) starts from that grammar instead of listing
        ``[op.*]``: it may change weights, add learned rules (``[[rule]]``) and evolved operators
        (``[[operator]]``).  That is the format the meta level writes (see :meth:`to_toml`).
        """
        at: Place = (None, None, None)  # the part being read: where a malformed value is reported
        try:
            _check_keys(data)
            if "extends" in data:
                at = (None, "extends", None)
                parent = _parent(data["extends"], base_dir)
                types, productions = parent.types, list(parent.productions)
                for t in _table(data, "literals"):  # what the loop below reads: the parent's literals' types
                    if t not in parent.literals:
                        raise GrammarError(
                            f"[literals.{t}]: the grammar this one extends has no literals of type {t!r}"
                            + ("" if t in parent.types else " (no such type)"), place=(f"literals.{t}", None, None),
                            hint=f"its literal types: {', '.join(parent.literals)}")
                literals = {}
                for t, lit in parent.literals.items():
                    at = (f"literals.{t}", "weight", None)
                    literals[t] = replace(lit, weight=_get(_entry("literals", t, _table(data, "literals").get(t, {})),
                                                           "weight", "number",
                                                           f"[literals.{t}]", at, lit.weight))
                at = ("variables", "weight", None)
                variable_weight = _get(_table(data, "variables"), "weight", "number", "[variables]", at,
                                       parent.variable_weight)
            else:
                at = (None, "types", None)
                types = _get(data, "types", "strings", "", at)
                if not types:
                    raise GrammarError("`types` lists no types: nothing could be generated", place=at,
                                       hint='list the types of mlevolve this grammar computes with, e.g. '
                                            'types = ["Scalar"]')
                productions = []
                for op, entry in _table(data, "op").items():
                    at = (f"op.{op}", None, None)
                    productions += _monomorphise(op, _entry("op", op, entry))
                literals = {}
                for t, e in _table(data, "literals").items():
                    at = (f"literals.{t}", None, None)
                    literals[str(t)] = _literal(str(t), _entry("literals", t, e))
                at = ("variables", "weight", None)
                variable_weight = _get(_table(data, "variables"), "weight", "number", "[variables]", at, 3.0)
            entries = _array(data, "rule")
            for i, entry in enumerate(entries):
                at = ("rule", None, i)
                after = [e.get("name") for e in entries[i + 1:]]
                productions.append(_located("rule", i, _rule, entry, types, productions, literals,
                                            f"[[rule]] #{i + 1}", data.get("extends"), after))
            ids = {p.id for p in productions}
            overrides: dict[str, float] = {}  # by production id
            written: dict[str, str] = {}  # each id as the file writes it (spaces and all)
            for key, value in _table(data, "weights").items():
                at, pid = ("weights", str(key), None), _production_id(str(key))
                if pid not in ids:
                    raise GrammarError(f"[weights] names unknown production {key!r}",
                                       hint=_production_hint(str(key), ids), place=at)
                if pid in written:
                    raise GrammarError(f"[weights] names production {pid} twice, as {_q(written[pid])} and {_q(key)}",
                                       hint="keep one of the two (spaces in an id are ignored)", place=at)
                written[pid] = str(key)
                overrides[pid] = _weight(value, f"[weights] {key!r}", at, f"[weights] {_q(key)}", _q(key))
            productions = [replace(p, weight=overrides.get(p.id, p.weight)) for p in productions]
            operators: tuple[OperatorSpec, ...] = ()
            for i, entry in enumerate(_array(data, "operator")):
                at = ("operator", None, i)
                operators += (_located("operator", i, _operator, entry, types, f"[[operator]] #{i + 1}"),)
                if operators[-1].name in {o.name for o in operators[:-1]}:
                    raise GrammarError(f"operator {operators[-1].name} is defined twice",
                                       hint="give each operator its own name", place=("operator", "name", i))
            inherited = {f.name: f for f in (parent.focus if "extends" in data else ())}
            focus = dict(inherited)
            for n, entry in _table(data, "restrict").items():
                at = (f"restrict.{n}", None, None)
                was, entry = inherited.get(str(n)), _entry("restrict", n, entry)
                if was is not None:  # an override: the keys it leaves out inherited
                    entry = {"types": sorted(was.types), "scale": was.scale, "keep": sorted(was.keep),
                             "doc": was.doc, **entry}
                focus[str(n)] = _focus(str(n), entry, types, productions)
            _one_focus_per_types(focus, frozenset(str(n) for n in _table(data, "restrict")), inherited)
            at = ("bandit", "floor", None)
            floor = _get(_table(data, "bandit"), "floor", "number", "[bandit]", at, 0.25)
            if not 0.0 <= floor <= 1.0:
                raise GrammarError(f"[bandit] floor must be in [0, 1], got {floor}", place=at,
                                   hint="the least share of the base mutations among the operators, e.g. 0.25")
        except GrammarError as err:
            err.place = err.place or at
            raise
        except MlevError:  # a ValueError too, but the user's mistake in its own words: not a malformed file
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:  # e.g. `op = 3`
            raise GrammarError(_malformed(at, err), hint=_LAYOUT, place=at) from None
        try:
            return cls(types, tuple(productions), literals, variable_weight, name, operators=operators, floor=floor,
                       focus=tuple(focus.values()))
        except GrammarError as err:  # a production's weight, where this file writes it: [weights] before [op.NAME]
            if err.production is not None and err.production.id in overrides:
                err.place = ("weights", written[err.production.id], None)
            raise

    def to_toml(self, parent: GrammarSpec | None = None, extends: str = "base", header: str = "") -> str:
        """This grammar as a file that ``extends`` ``parent`` (default: the base grammar): the weights
        that differ, its learned rules with provenance, its operators, and its ``[restrict.*]`` tables that
        are not the parent's.  Loading it gives back a grammar with the same :attr:`digest`; a GrammarError
        where it lacks a table of the parent's (a file that extends a grammar inherits them all)."""
        parent = parent or _base()
        old = {p.id: p.weight for p in parent.productions}
        lines = [f"# {line}".rstrip() for line in header.splitlines()]
        lines += [f"version = {VERSION}", f"extends = {_q(extends)}",
                  f"digest = {_q(self.digest)}  # recomputed on load", ""]
        if self.variable_weight != parent.variable_weight:
            lines += ["[variables]", f"weight = {self.variable_weight!r}", ""]
        for t, lit in self.literals.items():
            if lit.weight != parent.literals[t].weight:
                lines += [f"[literals.{t}]", f"weight = {lit.weight!r}", ""]
        if self.operators:
            lines += ["[bandit]", f"floor = {self.floor!r}", ""]
        changed = [p for p in self.base_productions if old.get(p.id) != p.weight]
        if changed:
            lines.append("[weights]")
            lines += [f"{_q(p.id)} = {p.weight!r}" for p in changed]
            lines.append("")
        for p in self.productions:
            if p.rule is not None and p.id not in old:
                r = p.rule
                lines += ["[[rule]]", f"name = {_q(p.op)}", f"sig = {_q(', '.join(p.args) + ' -> ' + p.result)}",
                          f"body = {_q(r.text)}", f"weight = {p.weight!r}",
                          f"sources = [{', '.join(_q(t) for t in r.sources)}]",
                          f"generation = {r.generation}", f"uses = {r.uses}", ""]
        for o in self.operators:
            lines += ["[[operator]]", f"name = {_q(o.name)}", f"program = {_q(o.text)}", f"weight = {o.weight!r}", ""]
        inherited = {f.name: f for f in parent.focus}
        lost = sorted(set(inherited) - {f.name for f in self.focus})
        if lost:  # a file that extends another inherits every [restrict.*] table of it
            raise GrammarError(f"[restrict.{lost[0]}] of the parent grammar is not in this one: a file that "
                               "extends it cannot leave it out",
                               hint="keep the table (a scale of 1 keeps the weights as they are)")
        for f in self.focus:
            if inherited.get(f.name) != f:
                lines += [f"[restrict.{f.name}]", f"types = [{', '.join(_q(t) for t in sorted(f.types))}]",
                          f"scale = {f.scale!r}", f"keep = [{', '.join(_q(k) for k in sorted(f.keep))}]",
                          *([f"doc = {_q(f.doc)}"] if f.doc or f.name in inherited else []), ""]  # "": not inherited
        return "\n".join(lines)


# The keys each table of a grammar file may have (grammar/base.toml documents each); in a file that
# extends another, a [literals.T] table may set only its weight (what it draws comes from the parent).
_KEYS: Mapping[str, frozenset[str]] = {
    "op": frozenset({"sig", "forall", "weight", "doc", "commutative"}),
    "literals": frozenset({"weight", "choices", "uniform", "doc"}),
    "variables": frozenset({"weight", "doc"}),
    "bandit": frozenset({"floor", "doc"}),
    "rule": frozenset({"name", "sig", "body", "weight", "doc", "sources", "generation", "uses"}),
    "operator": frozenset({"name", "program", "weight"}),
    "restrict": frozenset({"types", "scale", "keep", "doc"}),
}


def _check_keys(data: Mapping[str, Any]) -> None:
    """Refuse, at its place, a key no table of its kind has (a misspelling: ``wieght``), and a key that the
    ``[literals.T]`` of a file that extends another may not set (all but ``weight``: the parent's literals
    are drawn as they are; :meth:`GrammarSpec.to_toml` writes only the weight)."""
    extends = "extends" in data

    def known(table: str, entry: object, place: Place, allowed: frozenset[str]) -> None:
        if not isinstance(entry, Mapping):
            return  # a value of the wrong shape: reported where it is read
        for key in entry:
            if key not in allowed:
                raise GrammarError(f"{table} has no key {key!r}", place=(place[0], str(key), place[2]),
                                   hint=did_you_mean(str(key), sorted(allowed))
                                   + f"its keys are {', '.join(sorted(allowed))}")

    for section in ("variables", "bandit"):
        known(f"[{section}]", data.get(section), (section, None, None), _KEYS[section])
    for section in ("rule", "operator"):
        entries = data.get(section)
        if isinstance(entries, list):
            for i, entry in enumerate(entries):
                known(f"[[{section}]] #{i + 1}", entry, (section, None, i), _KEYS[section])
    for section in ("op", "literals", "restrict"):
        tables = data.get(section)
        if not isinstance(tables, Mapping):
            continue
        for name, entry in tables.items():
            where = f"{section}.{name}"
            known(f"[{where}]", entry, (where, None, None), _KEYS[section])
    literals = data.get("literals")
    if extends and isinstance(literals, Mapping):
        for t, entry in literals.items():
            for key in entry if isinstance(entry, Mapping) else ():
                if key != "weight":
                    raise GrammarError(f"[literals.{t}] {key} is set by the grammar this one extends; a grammar "
                                       "that extends another changes only a literal's weight",
                                       place=(f"literals.{t}", str(key), None),
                                       hint="keep weight = ... here, or drop `extends` to define the literals "
                                            "of a grammar of your own")


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """Table ``key`` of ``data`` ({} where absent); a GrammarError at the key where it is not a table."""
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise GrammarError(f"`{key}` must be a table ([{key}] or [{key}.NAME]), not {_kind(value)}",
                           place=(None, key, None), hint=f"write its header with one bracket, [{key}], once")
    return value


def _array(data: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    """Array of tables ``key`` (``[[key]]``) of ``data`` (() where absent); a GrammarError where it is not one."""
    value = data.get(key, [])
    if not isinstance(value, list | tuple) or not all(isinstance(e, Mapping) for e in value):
        raise GrammarError(f"`{key}` must be an array of tables, each written [[{key}]], not {_kind(value)}",
                           place=(None, key, None), hint=f"write each entry under a header of two brackets, [[{key}]]")
    return value


def _kind(value: object) -> str:
    """``value``'s TOML kind, for an error: "a string", "an integer"..."""
    names = {str: "a string", bool: "a boolean", int: "an integer", float: "a number", list: "an array",
             dict: "a table"}
    return next((n for k, n in names.items() if type(value) is k), f"a {type(value).__name__}")


_REQUIRED = object()  # a key without a default: its absence is a KeyError ("malformed grammar: ... has no 'x' key")
# An example value of a key, for the hint of a value of the wrong type ("scale takes a number, e.g. scale = 0.1").
_EXAMPLES = {"weight": "1.0", "scale": "0.1", "floor": "0.25", "doc": '"what it is for"', "commutative": "true",
             "types": '["Scalar", "Vector", "Matrix"]', "keep": '["add(Scalar,Scalar)"]', "choices": "[0.5, 1.0, 2.0]",
             "uniform": "[-1.0, 1.0]", "name": '"r_a"', "body": '"h0 + sin(h0)"', "sources": '["nguyen1"]',
             "generation": "0", "uses": "0", "program": '"seq(point(any), tweak())"',
             "forall": '{ T = ["Scalar", "Vector"] }'}


def _error_at(place: Place) -> Callable[[str, str], GrammarError]:
    """A GrammarError of (message, hint) at ``place``: what :func:`~mlevolve.dsl.errors.toml_value` raises."""
    return lambda message, hint: GrammarError(message, hint=hint, place=place)


def _get(entry: Mapping[str, Any], key: str, kind: str, where: str, place: Place, default: Any = _REQUIRED,
         example: str | None = None) -> Any:
    """Key ``key`` of table ``entry`` (``where`` in an error: ``[op.add]``; ``""``: the top level) as read if it is
    of ``kind`` (:func:`~mlevolve.dsl.errors.toml_value`: a bool is no number, a string no number), else a
    GrammarError at ``place`` naming the table, the key and the type; ``default`` where it is absent (none: a
    KeyError, "has no 'KEY' key")."""
    if key not in entry:
        if default is _REQUIRED:
            raise KeyError(key)
        return default
    return toml_value(entry[key], kind, f"{where} {key}" if where else f"`{key}`", key, _error_at(place),
                      example or _EXAMPLES.get(key))


_ENTRIES = {"op": '{ sig = ["Scalar -> Scalar"] }', "literals": "{ weight = 1.0 }", "restrict": "{ scale = 0.1 }"}


def _entry(section: str, name: str, entry: object) -> Mapping[str, Any]:
    """Table ``[section.name]`` (``[op.add]``), or a GrammarError at it where it is not a table (``op.add = 3``)."""
    where = f"{section}.{name}"
    table: Mapping[str, Any] = toml_value(entry, "table", f"[{where}]", where, _error_at((section, name, None)),
                                          _ENTRIES[section])
    return table


def _literal(t: str, entry: Mapping[str, Any]) -> LiteralSpec:
    """A ``[literals.T]`` table of a grammar of its own: ``weight``, ``choices`` or ``uniform = [low, high]``,
    ``doc``."""
    where = f"[literals.{t}]"

    def get(key: str, kind: str, default: Any) -> Any:
        return _get(entry, key, kind, where, (f"literals.{t}", key, None), default)

    uniform = get("uniform", "numbers", None)
    if uniform is not None and not (len(uniform) == 2 and uniform[0] <= uniform[1]):
        raise GrammarError(f"{where} uniform must be [low, high] with low <= high, got {list(uniform)}",
                           hint="uniform = [-1.0, 1.0] draws a literal uniformly between the two",
                           place=(f"literals.{t}", "uniform", None))
    return LiteralSpec(type=t, weight=get("weight", "number", 1.0), choices=get("choices", "numbers", ()),
                       uniform=uniform, doc=get("doc", "string", ""))


def _production_id(written: str) -> str:
    """A production id as a file writes it (``[weights]``, ``keep``), spaces dropped: ``add(Scalar, Scalar)``, as
    ``mlevolve grammar show`` prints it, is ``add(Scalar,Scalar)``."""
    return re.sub(r"\s+", "", written)


def _production_hint(key: str, ids: Iterable[str]) -> str:
    """The hint for ``key``, which is no production id of ``ids``: a bare name's typed ids (``add``:
    ``add(Scalar,Scalar), ...``), else the closest id, spaces dropped (``add(Scalar, Scalar)``), and the form."""
    typed = sorted(i for i in ids if i.partition("(")[0] == key)
    if typed:
        return f"an id names the argument types too: {', '.join(typed[:6])}{', ...' if len(typed) > 6 else ''}"
    return did_you_mean(key.replace(" ", ""), sorted(ids)) + "ids look like add(Scalar,Scalar); `mlevolve grammar " \
        "show` lists them"


def _weight(value: object, what: str, place: Place, name: str, key: str = "weight") -> float:
    """``value`` as a weight (a finite number >= 0), or a GrammarError at ``place``: of type, naming the value
    ``name`` and its ``key`` (:func:`~mlevolve.dsl.errors.toml_value`); of range, naming ``what``."""
    weight: float = toml_value(value, "number", name, key, _error_at(place), "1.0")
    if not (weight >= 0 and math.isfinite(weight)):
        raise GrammarError(f"{what} has a bad weight {value!r}", hint="weights are finite numbers >= 0", place=place)
    return weight


# The hint of a malformed value: where the layout is documented (not a path inside the installed package).
_LAYOUT = (f"a grammar file's tables and keys are in {in_repository('docs/meta.md')} (and the comments of the base "
           "grammar, grammar/base.toml in mlevolve's source); `mlevolve grammar show` lists the base grammar")


def _malformed(place: Place, err: Exception) -> str:
    """A malformed value's error in words, naming the part of the file ``place`` names: ``malformed grammar:
    [[rule]] #2 has no 'sig' key``, ``malformed grammar: [op.add] weight: ValueError: ...``."""
    table, key, which = place
    head = "the top level" if table is None else (f"[[{table}]] #{which + 1}" if isinstance(which, int)
                                                  else f"[{table}]")
    if isinstance(err, KeyError):
        return f"malformed grammar: {head} has no {err.args[0]!r} key"
    where = key if table is None and key else f"{head} {key}" if key else head
    return f"malformed grammar: {where}: {type(err).__name__}: {err}"


def _located(table: str, index: int, make: Callable[..., _T], *args: Any) -> _T:
    """``make(*args)``, with a GrammarError it raises placed at entry ``index`` of array ``table`` (its key,
    when the error's place names one; else the entry's header), unless it names an entry of ``table`` itself."""
    try:
        return make(*args)
    except GrammarError as err:  # one that names its entry already (another rule's weight, checked with this one's
        if err.place is None or err.place[0] != table or err.place[2] is None:  # body) keeps its place
            err.place = (table, err.place[1] if err.place is not None else None, index)
        raise
    except MlevError:  # a ValueError too, but already in the user's words
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
        raise GrammarError(_malformed((table, None, index), err), hint=_LAYOUT, place=(table, None, index)) from None


def _weight_error(err: GrammarError, p: Production) -> GrammarError:
    """``err``, of production ``p``'s weight: :meth:`GrammarSpec.from_dict` places it at the ``[weights]`` entry
    where the file overrides ``p``'s weight, else at ``p``'s ``[op.NAME]`` or rule (its ``weight``, else its
    header)."""
    err.production = p
    return err


def _written(p: Production, key: str) -> Place:
    """Where production ``p``'s ``key`` (``sig``, ``weight``) is written: its ``[op.NAME]`` or its rule's entry."""
    return ("rule", key, p.op) if p.rule is not None else (f"op.{p.op}", key, None)


class ExtendsCycle(GrammarError):
    """A chain of ``extends`` that comes back to a file it started from (its message names the chain)."""


def _parent(extends: object, base_dir: Path | None) -> GrammarSpec:
    """The grammar a file extends: ``base``, or a path relative to the file's folder.  A GrammarError at
    the ``extends`` key (in the extending file) where that is not a string, names no file that can be
    read, or comes back to a file being loaded (a cycle)."""
    place: Place = (None, "extends", None)
    if not isinstance(extends, str) or not extends:
        raise GrammarError(f"`extends` must be \"base\" or a grammar file's path, not {toml_text(extends)}",
                           place=place,
                           hint='write extends = "base", or the path of a grammar file in quotes, relative to this '
                                "file's folder")
    if extends == "base":
        return _base()
    path = Path(extends) if base_dir is None or Path(extends).is_absolute() else base_dir / extends
    chain = _LOADING.get()
    if path.resolve() in chain:
        cycle = [str(c) for c in chain[chain.index(path.resolve()):]] + [str(path.resolve())]
        raise ExtendsCycle(f"`extends` forms a cycle: {' -> '.join(cycle)}", place=place,
                           hint="a grammar may extend base or another file, never itself through others")
    if not path.is_file():
        why = "is a folder" if path.is_dir() else "does not exist"
        folder = path.parent if path.parent.is_dir() else None  # a name close to "base" or to a file beside it
        near = ["base", *(str(Path(extends).parent / f.name)
                          for f in itertools.islice(folder.glob("*.toml") if folder else (), 1000))]
        raise GrammarError(f"`extends` names grammar file {extends!r}, which {why} ({path.resolve()})", place=place,
                           hint=("did you mean 'base'? the base grammar is no file: " if Path(extends).stem.lower()
                                 == "base" else did_you_mean(extends, near))  # base.toml: not a file beside it
                           + "give \"base\" or the path of a grammar file, relative to this file's folder")
    return load_grammar(path)


def _rule(entry: Mapping[str, Any], types: Sequence[str], before: Sequence[Production],
          literals: Mapping[str, LiteralSpec], where: str = "[[rule]]", extends: object = None,
          after: Sequence[object] = ()) -> Production:
    """One ``[[rule]]`` entry (``where`` in an error: ``[[rule]] #2``) as a production, checked against the
    productions before it; ``extends``: the grammar the file extends, if it does (where a missing op is added);
    ``after``: the names of the file's rules after it (a body calling one is told to move it up)."""
    def get(key: str, kind: str, default: Any = _REQUIRED, example: str | None = None) -> Any:
        return _get(entry, key, kind, where, ("rule", key, None), default, example)

    name = get("name", "string")
    if not re.fullmatch(r"[a-z_]\w*", name, re.ASCII) or name in KEYWORDS:  # 'rü' no program could call
        raise GrammarError(f"rule name {name!r} is not a lower-case identifier", place=("rule", "name", None),
                           hint="a name is a lower-case ASCII letter or _, then ASCII letters, digits and _ "
                                "(not a keyword)")
    if any(p.op == name for p in before):
        raise GrammarError(f"rule {name} has the name of an existing production", place=("rule", "name", None),
                           hint="rule names must be new (and a rule may only use rules listed before it)")
    sig = get("sig", "string", example='"Scalar, Scalar -> Scalar"')
    m = _SIG.match(sig)
    if m is None:
        raise GrammarError(f"rule {name}: bad signature {sig!r}", hint=_SIG_HINT.format('"Scalar, Scalar -> Scalar"'),
                           place=("rule", "sig", None))
    args = tuple(a.strip() for a in m["args"].split(",")) if m["args"].strip() else ()
    if not args:
        raise GrammarError(f"rule {name} has no holes", hint="a rule takes at least one argument",
                           place=("rule", "sig", None))
    text = get("body", "string")
    try:
        body = parse_expr(text)
    except MlevError as err:
        raise GrammarError(f"rule {name}: its body does not parse: {err.message}", place=("rule", "body", None),
                           hint="a body is one expression over its holes h0, h1, ..., e.g. \"h0 * h0 + h1\"") from None
    known = _so_far(types, before, literals)
    done = {p.op: p.rule for p in before if p.rule is not None}
    try:
        rule = make_rule(name, args, m["result"], body, known, done, types,
                         sources=get("sources", "strings", ()), generation=get("generation", "integer", 0),
                         uses=get("uses", "integer", 0))
    except RuleError as err:
        from mlevolve.dsl.traverse import walk

        called = {n.op for n in walk(body) if isinstance(n, Call)}
        if name in called:
            raise GrammarError(f"rule {name} calls itself", place=("rule", "body", None),
                               hint="a rule is inlined where it is drawn, so it cannot recur: write its body with the "
                                    "grammar's ops and the rules listed before it") from None
        if (later := next((a for a in after if a in called), None)) is not None:
            raise GrammarError(f"rule {name} calls rule {later}, which is listed after it",
                               place=("rule", "body", None),
                               hint=f"move the [[rule]] named {later} above this one: a rule calls only the rules "
                                    "listed before it (so rules never call each other in a cycle)") from None
        if (op := _lacking(body, before)) is not None:  # mlevolve has it, this grammar not
            raise GrammarError(f"rule {name} calls {op!r}, a primitive this grammar does not have (no [op.{op}])",
                               place=("rule", "body", None), hint=_lacking_hint(op, before, extends)) from None
        raise GrammarError(err.message, hint=err.hint, place=("rule", "sig" if " names type " in err.message
                                                               else "body", None)) from None
    return Production(name, args, m["result"], get("weight", "number", 1.0), get("doc", "string", ""), rule=rule)


def _lacking(body: Expr, before: Sequence[Production]) -> str | None:
    """The first op a rule's ``body`` calls that is a primitive of mlevolve's but none of the grammar's productions
    ``before`` it (a grammar of its own without ``mul``); None where there is none."""
    from mlevolve.dsl.traverse import walk

    have = {p.op for p in before}
    return next((n.op for n in walk(body) if isinstance(n, Call) and n.op not in have and _base().overloads(n.op)),
                None)


def _lacking_hint(op: str, before: Sequence[Production], extends: object) -> str:
    """What to do about a rule whose body calls ``op``, a primitive of mlevolve's that the grammar's productions
    ``before`` it lack: add ``[op.OP]`` with the base grammar's signatures over the grammar's types (to the grammar
    the file ``extends``, if it does: its ops are defined there), write the body with the grammar's ops, or drop the
    rule.  An op of :data:`ENGINE_OPS` says why a program may call it and a rule not."""
    ops = ", ".join(sorted({p.op for p in before if p.rule is None}))
    types = {t for p in before for t in (*p.args, p.result)}
    sigs = [f"{', '.join(p.args)} -> {p.result}" for p in _base().by_op[op] if types.issuperset((*p.args, p.result))]
    sig = f" with sig = [{', '.join(_q(s) for s in sigs)}]" if sigs else ""
    where = f" to {toml_text(extends)} (the grammar this one extends)" if extends else ""
    why = (f" (a program may call {op}, which the engine writes; a rule's body is drawn as written, from the "
           "grammar's ops only)") if op in ENGINE_OPS else ""
    return f"add [op.{op}]{sig}{where}, write the body with the grammar's ops ({ops}), or drop the rule{why}"


def _so_far(types: Sequence[str], productions: Sequence[Production],
            literals: Mapping[str, LiteralSpec]) -> Drawn:
    """A grammar of ``productions`` so far, for type-checking a rule body against them: what it draws only (a
    rule's body is drawn as a whole, so it may call no op the grammar lacks, :data:`ENGINE_OPS` included)."""
    return GrammarSpec(tuple(types), tuple(productions), literals).drawn


@dataclass(frozen=True, eq=False)
class Drawn:
    """The type checker's primitives (:class:`~mlevolve.dsl.check.Primitives`) of what ``spec`` draws: its
    productions only, no :data:`ENGINE_OPS` added (:meth:`GrammarSpec.overloads` adds them).  It has what the checker
    reads of a grammar, each ``spec``'s but :meth:`overloads`, less ``rules``: a rule's body is checked in its own
    grammar file, so an unknown op's hint is not that a learned rule is known with its file.  An object of its own, as
    the checker memoises its signature look-ups on the primitives object (``dsl/check.py``, ``signature``)."""

    spec: GrammarSpec

    def overloads(self, op: str) -> Sequence[Production]:
        return self.spec.by_op.get(op, ())

    @property
    def by_op(self) -> Mapping[str, tuple[Production, ...]]:
        return self.spec.by_op

    @property
    def literals(self) -> Mapping[str, LiteralSpec]:
        return self.spec.literals



def _focus(name: str, entry: Mapping[str, Any], types: Sequence[str], productions: Sequence[Production]) -> Focus:
    """A ``[restrict.NAME]`` table: ``types`` (known types, exactly one kind of body's), ``scale`` (finite,
    > 0) and ``keep`` (production ids); a GrammarError at the key at fault."""
    where, table = f"[restrict.{name}]", f"restrict.{name}"
    if isinstance(entry, Mapping) and "types" not in entry:
        raise GrammarError(f"{where} has no 'types' key: a new table names the types of the bodies it weights",
                           place=(table, None, None),
                           hint='write types = ["Scalar", "Vector", "Matrix"] (a learner\'s) and scale = ...; a '
                                "table of the grammar this one extends, under its own name, inherits the keys left out")
    chosen = frozenset(_get(entry, "types", "strings", where, (table, "types", None)))
    unknown = sorted(chosen - set(types))
    if unknown or not chosen:
        raise GrammarError(f"{where} names unknown type {unknown[0]!r}" if unknown else f"{where} lists no types",
                           hint=f"known types: {', '.join(types)}", place=(table, "types", None))
    if isinstance(entry, Mapping) and "scale" not in entry:  # was "malformed grammar: ... has no 'scale' key"
        raise GrammarError(f"{where} has no 'scale' key: a new table says by how much it scales the weights of the "
                           "productions it does not keep", place=(table, None, None),
                           hint="write scale = 0.1 (below 1 narrows these bodies' search to the kept productions); a "
                                "table of the grammar this one extends, under its own name, inherits the keys left out")
    scale = _get(entry, "scale", "number", where, (table, "scale", None))
    if not (scale > 0 and math.isfinite(scale)):
        raise GrammarError(f"{where} has a bad scale {scale!r}: a scale is a finite number > 0",
                           hint=("0 would make every production it does not keep unreachable in these bodies; to "
                                 "drop one production everywhere, set its weight to 0 under [weights]") if scale == 0
                           else "a scale multiplies the weights of the productions it does not keep: below 1 narrows "
                                "the search to the kept ones, above 1 widens it, e.g. scale = 0.1",
                           place=(table, "scale", None))
    written = _get(entry, "keep", "strings", where, (table, "keep", None), ())
    keep, ids = frozenset(_production_id(k) for k in written), {p.id for p in productions}
    missing = sorted(k for k in written if _production_id(k) not in ids)  # as written, spaces and all
    if missing:
        raise GrammarError(f"{where} keeps unknown production {missing[0]!r}", hint=_production_hint(missing[0], ids),
                           place=(table, "keep", None))
    kinds = _kind_types()
    if chosen not in kinds.values():
        sets: dict[str, list[str]] = {}
        for kind, ts in kinds.items():
            sets.setdefault(", ".join(sorted(ts)), []).append(kind)
        raise GrammarError(f"{where} types [{', '.join(sorted(chosen))}] are no kind of body's types: it would "
                           "weight nothing", place=(table, "types", None),
                           hint="a focus applies where a body computes with exactly its types; the kinds' type "
                                "sets are " + "; ".join(f"[{ts}] ({', '.join(ks)})" for ts, ks in sorted(sets.items())))
    return Focus(name, chosen, scale, keep, _get(entry, "doc", "string", where, (table, "doc", None), ""))


def _kind_types() -> Mapping[str, frozenset[str]]:
    """Each kind of body's types (``dsl/kinds.py``), by kind: the type sets a focus may name."""
    from mlevolve.dsl.kinds import KINDS  # dsl.kinds checks programs; imported here, where a focus is read

    return {name: k.types for name, k in KINDS.items()}


def _one_focus_per_types(focus: Mapping[str, Focus], here: frozenset[str], inherited: Mapping[str, Focus]) -> None:
    """Refuse two ``[restrict.*]`` tables with the same ``types`` (``here``: the names this file writes):
    one kind of body takes one focus, and a second would be ignored.  To change an inherited table, a
    file writes it under its own name (it inherits the keys left out)."""
    seen: dict[frozenset[str], str] = {}
    for f in focus.values():
        other = seen.setdefault(f.types, f.name)
        if other != f.name:
            mine, first = (f.name, other) if f.name in here else (other, f.name)
            whose = " (inherited from the grammar this one extends)" if first in inherited and first not in here else ""
            raise GrammarError(f"[restrict.{mine}] has the types of [restrict.{first}]{whose}: one kind of body "
                               "takes one focus", place=(f"restrict.{mine}", "types", None),
                               hint=f"to change that table write [restrict.{first}] (keys it leaves out are "
                                    "inherited), or give this one other types")


def _operator(entry: Mapping[str, Any], types: Sequence[str], where: str = "[[operator]]") -> OperatorSpec:
    name = _get(entry, "name", "string", where, ("operator", "name", None))
    if not re.fullmatch(r"[A-Za-z_][\w.-]*", name):
        raise GrammarError(f"operator name {name!r} is not an identifier", place=("operator", "name", None))
    if name in (*ACTIONS, *COMBINATORS, "crossover", "copy", "init", "random"):
        raise GrammarError(f"operator name {name!r} is taken by a built-in operator or step",
                           hint="the archive records operators by name; choose another, e.g. op0",
                           place=("operator", "name", None))
    weight = _weight(entry.get("weight", 1.0), f"operator {name}", ("operator", "weight", None), f"{where} weight")
    try:
        program = _get(entry, "program", "string", where, ("operator", "program", None))
        return OperatorSpec(name, parse_operator(program, types, name), weight)
    except OperatorError as err:
        raise GrammarError(err.message, hint=err.hint, place=("operator", "program", None)) from None


# argument types separated by commas (none for a constant), ->, the result type: "Scalar Scalar -> Scalar" (a comma
# left out) is a bad signature, not a type named 'Scalar Scalar'
_SIG = re.compile(r"^\s*(?P<args>(\w+(\s*,\s*\w+)*)?)\s*->\s*(?P<result>\w+)\s*$")
_SIG_HINT = "write {}: the argument types separated by commas, then -> and the result type"
_TYPEVAR = re.compile(r"^[A-Z]$")


def _monomorphise(op: str, entry: Mapping[str, Any]) -> list[Production]:
    """Expand ``[op.NAME]``'s signatures over its type variables into typed productions."""
    table = f"op.{op}"
    if not re.fullmatch(r"[A-Za-z_]\w*", op, re.ASCII):  # a name the language reads: ASCII, as dsl.ir's
        raise GrammarError(f"op name {op!r} is not an identifier", place=(table, None, None))
    where = f"[{table}]"
    forall = _get(entry, "forall", "table", where, (table, "forall", None), {})
    for var, bound in forall.items():
        toml_value(bound, "strings", f"{where} forall.{var}", var, _error_at((table, "forall", None)),
                   '["Scalar", "Vector"]')
        if not bound:  # its signatures would give no production, silently
            raise GrammarError(f"{where} forall.{var} ranges over no types", place=(table, "forall", None),
                               hint=f'give {var} the types it stands for, e.g. {var} = ["Scalar", "Vector"]')
    weight = _get(entry, "weight", "number", where, (table, "weight", None), 1.0)
    doc = _get(entry, "doc", "string", where, (table, "doc", None), "")
    commutative = _get(entry, "commutative", "boolean", where, (table, "commutative", None), False)
    out: list[Production] = []
    for sig in _get(entry, "sig", "strings", where, (table, "sig", None), (), example='["Scalar, Vector -> Vector"]'):
        m = _SIG.match(sig)
        if m is None:
            raise GrammarError(f"op {op}: bad signature {sig!r}", hint=_SIG_HINT.format('"Scalar, Vector -> Vector"'),
                               place=(table, "sig", None))
        args = [a.strip() for a in m["args"].split(",")] if m["args"].strip() else []
        names = [m["result"], *args]
        variables = sorted({n for n in names if _TYPEVAR.match(n)})
        for var in variables:
            if var not in forall:
                raise GrammarError(f"op {op}: type variable {var} in {sig!r} has no `forall` entry",
                                   place=(table, "sig", None))
        for combo in itertools.product(*(forall[v] for v in variables)):
            bind = dict(zip(variables, combo, strict=True))
            result = str(m["result"])
            out.append(Production(
                op=op, args=tuple(bind.get(a, a) for a in args), result=bind.get(result, result),
                weight=weight, doc=doc, commutative=commutative))
    if not out:
        raise GrammarError(f"op {op} has no signatures", hint='add sig = ["Scalar -> Scalar"]',
                           place=(table, None, None))
    return out


# The grammar files being loaded, outermost first: a file that `extends` one of them is a cycle.
_LOADING: ContextVar[tuple[Path, ...]] = ContextVar("_LOADING", default=())


@typed  # load_grammar(5) raised os.fspath's TypeError
def load_grammar(path: str | Path | None = None) -> GrammarSpec:
    """Load a grammar file, or the base grammar shipped with mlevolve when ``path`` is None or the
    name ``base`` (a file called so is ``./base``).  Every mistake in the file is a :class:`GrammarError`
    at its line and column (a chain of ``extends`` that comes back to a file it started from, or that
    names a missing file, at the ``extends`` key of the file that says so); a ``digest`` line that is
    not the grammar's (the file, or one it extends, changed since it was written) is a
    :class:`GrammarWarning`, and the recomputed digest is used.  A mistake in a file that another
    extends names the chain: "... (in base2.toml, extended by mine.toml)"."""
    if path is None or (isinstance(path, str) and path == "base"):
        return _base()
    p = Path(path)
    chain = _LOADING.get()
    token = _LOADING.set((*chain, p.resolve()))
    try:
        return _load_file(p)
    except GrammarError as err:
        if err.file is not None and err.file != str(p) and not isinstance(err, ExtendsCycle):  # the chain
            raise err.extended(str(p)) from None
        raise
    finally:
        _LOADING.reset(token)


def _written_beside(db: Path) -> Path | None:
    """The grammar file a meta run whose archive is ``db`` wrote, where it still is: the path its archive's summary
    records (``mlevolve meta -o``), else the default beside it (:func:`~mlevolve.report.data.default_generator`)."""
    from mlevolve.gp.archive import Archive
    from mlevolve.report.data import default_generator

    recorded = None
    with contextlib.suppress(MlevError, OSError):  # not an archive, or none readable: the default
        with Archive.read(db) as archive:
            summary = archive.meta().get("summary")
        recorded = summary.get("output") if isinstance(summary, dict) else None
    for path in ([Path(recorded)] if isinstance(recorded, str) else []) + [default_generator(db)]:
        if path.is_file():
            return path
    return None


def _load_file(p: Path) -> GrammarSpec:
    data_bytes = read_bytes(p, "a grammar file", "no such grammar file",
                            'check the path; the name "base" (no file) is the base grammar',
                            "write it to a .toml file and give its path", GrammarError)
    if data_bytes.startswith(b"SQLite format 3\0") and (written := _written_beside(p)) is not None:
        raise GrammarError("an SQLite database, not a grammar file (TOML)", file=str(p),
                           hint=f"a meta run's archive; the grammar file it wrote: --grammar "
                                f"{shlex.quote(str(written))}")
    text = decode_utf8(data_bytes, str(p), "a grammar file (TOML)", GrammarError)  # an archive named as such; binary
    try:
        data, text = toml_loads(text, str(p), GrammarError)  # universal newlines, as for .mlev files
        _check_layout(data, text, str(p))
    except GrammarError:
        wrong_kind(text, str(p), "a grammar file", GrammarError)  # a program or meta configuration: said so
        raise
    try:
        spec = replace(GrammarSpec.from_dict(data, name=p.stem, base_dir=p.parent), origin=str(p.resolve()))
        if "extends" not in data:
            _check_implemented(spec)
    except MlevError as err:
        if isinstance(err, GrammarError) and err.file is None and err.span is None and err.place is not None:
            err.span = locate(text, err.place)  # an error of this file (one of a file it extends names that)
        raise err.located(str(p)) from None
    stated = data.get("digest")
    stated = stated.lower() if isinstance(stated, str) else stated  # hexadecimal digits in either case
    if stated is not None and stated != spec.digest:
        warnings.warn(GrammarWarning(GrammarError(
            f"digest {stated!r} is stale: this grammar's digest is {spec.digest!r} (the file, or a grammar it "
            "extends, changed since it was written)", locate(text, (None, "digest", None)), file=str(p),
            hint=f'the digest is recomputed on load and {spec.digest!r} is used; write digest = "{spec.digest}" '
                 "or drop the line"), text), stacklevel=3)
    return spec


def _check_implemented(spec: GrammarSpec) -> None:
    """Refuse, in a grammar file of its own (no ``extends``), a type, an op or a signature that mlevolve does not
    implement: the base grammar's are the ones every backend compiles (a test holds each base production to a
    template), so anything else would load and then fail every candidate that uses it ("no numpy
    implementation").  A grammar of its own chooses among the base grammar's types and productions and weights
    them; a :class:`GrammarSpec` built in Python (:meth:`GrammarSpec.from_dict`) is not held to this."""
    base = _base()
    for t in spec.types:
        if t not in base.types:
            raise GrammarError(f"type {t!r} is no type of mlevolve's", place=(None, "types", None),
                               hint=did_you_mean(t, base.types) + f"its types are {', '.join(base.types)}")
    results = {(p.op, p.args): p.result for p in base.base_productions}
    for p in spec.base_productions:
        known = base.overloads(p.op)
        if not known:
            raise GrammarError(f"[op.{p.op}]: {p.op!r} is no primitive of mlevolve's: nothing could run it",
                               place=(f"op.{p.op}", None, None),
                               hint=did_you_mean(p.op, sorted(base.by_op)) + "`mlevolve grammar show` lists the "
                                                                             "primitives; a [[rule]] defines an op "
                                                                             "of your own from them")
        if results.get((p.op, p.args)) != p.result:
            raise GrammarError(f"[op.{p.op}]: signature {', '.join(p.args) or '()'} -> {p.result} is not one mlevolve "
                               f"implements for {p.op}", place=(f"op.{p.op}", "sig", None),
                               hint=f"its signatures: {'; '.join(str(k) for k in known)}")


_SECTIONS = ("version", "extends", "digest", "types", "op", "literals", "variables", "rule", "weights", "operator",
             "restrict", "bandit")  # a grammar file's top level (grammar/base.toml documents each)


def _check_layout(data: Mapping[str, Any], text: str, file: str) -> None:
    """Refuse, at the key's place in ``text``, a top-level key no grammar file has, a ``version`` other than
    :data:`VERSION` (none: this one), a ``digest`` that is not 16 hexadecimal digits (either case), a file that neither
    extends a grammar nor defines its own ``types``, and ``types`` or ``[op.*]`` in one that extends a
    grammar (it takes them from the grammar it extends: they would be ignored)."""
    def at(key: str) -> Any:  # ``[key]``, ``[key.first]`` (as ``[op.add]``) or ``key = ...``
        first = next(iter(data[key]), None) if isinstance(data[key], dict) else None
        return (toml_key_span(text, key) or (first is not None and toml_key_span(text, f"{key}.{first}"))
                or toml_key_span(text, None, key))

    for key in data:
        if key not in _SECTIONS:
            raise GrammarError(f"unknown section or key {key!r}", at(key), file=file,
                               hint=did_you_mean(key, _SECTIONS) + f"a grammar file's top level has: "
                                                                   f"{', '.join(_SECTIONS)}")
    version = toml_value(data.get("version", VERSION), "integer", "`version`", "version",
                         lambda message, hint: GrammarError(message, at("version"), file=file, hint=hint), str(VERSION))
    if version != VERSION:
        raise GrammarError(f"unsupported grammar file version {version}: this mlevolve reads version {VERSION}",
                           at("version"), file=file, hint=f"write version = {VERSION} (or leave it out); a file that "
                                                          "a newer mlevolve wrote needs that mlevolve")
    digest = data.get("digest")
    if digest is not None and not (isinstance(digest, str) and re.fullmatch(r"[0-9a-fA-F]{16}", digest)):
        raise GrammarError(f"`digest` must be 16 hexadecimal digits in a string, not {toml_text(digest)}", at("digest"),
                           file=file, hint="it is recomputed on load: drop the line, or copy the digest that "
                                           "`mlevolve grammar show FILE` prints")
    if "extends" not in data and "types" not in data:
        raise GrammarError("a grammar file extends another or defines its own types; this one does neither",
                           Span(1, 1, 1, 1), file=file,
                           hint='start it with extends = "base" to change the base grammar\'s weights and add rules, '
                                "or give types = [...] and [op.*] as grammar/base.toml does")
    if "extends" in data:
        _refuse_own_space(data, text, file, at)


def _refuse_own_space(data: Mapping[str, Any], text: str, file: str, at: Callable[[str], Any]) -> None:
    """Refuse ``types`` or ``[op.NAME]`` in a file that extends a grammar, naming the line the user wrote
    (``[op.nope]``, ``types``) and what to write instead: the file takes its types and ops from the grammar it
    extends, which it may weight (``[weights]``) and add rules to (``[[rule]]``), never types or primitives."""
    parent = toml_text(data["extends"])
    own = "drop `extends` to define a grammar of your own (its own types and [op.*])"
    if "types" in data:
        raise GrammarError(f"`types`: a grammar that extends another takes its types from it (extends = {parent})",
                           at("types"), file=file, hint=f"drop the line (a [[rule]] adds no types), or {own}")
    if "op" in data:
        ops = data["op"]
        name = next(iter(ops), None) if isinstance(ops, dict) else None
        where = f"[op.{name}]" if name is not None else "`op`"
        span = (toml_key_span(text, f"op.{name}") or at("op")) if name is not None else at("op")
        example = next((p.id for p in _base().by_op.get(str(name), ())), "add(Scalar,Scalar)")
        raise GrammarError(f"{where}: a grammar that extends another takes its ops from it (extends = {parent})",
                           span, file=file,
                           hint=f'weight its signatures under [weights] ("{example}" = 2.0), define an op of your '
                                f"own as a [[rule]] over its ops, or {own}")


@cache
def _base() -> GrammarSpec:
    text = resources.files("mlevolve.grammar").joinpath("base.toml").read_text()
    return GrammarSpec.from_dict(tomllib.loads(text), name="base")
