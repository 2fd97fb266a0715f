"""The typed grammar as data: ``GrammarSpec``, its loading from TOML, and its analysis.

A grammar is the search space: typed productions (primitives monomorphised to one signature each),
literal distributions per type, and a weight for variables.  The type checker reads primitive
signatures from it (there is no second copy in code), the generator samples from it, and the meta
level writes evolved copies of it.  Loading validates it: unknown types, duplicate signatures and
types that can never finish a derivation are errors naming the production at fault.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mlevolve.dsl.errors import MlevError


class GrammarError(MlevError):
    """A malformed grammar file or spec."""


@dataclass(frozen=True, slots=True)
class Production:
    """One monomorphised primitive: ``op(args...) -> result`` with its prior weight."""

    op: str
    args: tuple[str, ...]
    result: str
    weight: float = 1.0
    doc: str = ""
    commutative: bool = False

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


@dataclass(frozen=True, eq=False)
class GrammarSpec:
    """An immutable typed grammar.  Build with :func:`load_grammar` or :meth:`from_dict`."""

    types: tuple[str, ...]
    productions: tuple[Production, ...]
    literals: Mapping[str, LiteralSpec] = field(default_factory=dict)
    variable_weight: float = 3.0
    name: str = "custom"
    origin: str | None = None  # the file it was loaded from, if any (workers reload it from there)

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
    def commutative_ops(self) -> frozenset[str]:
        return frozenset(p.op for p in self.productions if p.commutative)

    @cached_property
    def digest(self) -> str:
        """A version hash of the whole grammar: productions, weights, literals, variable weight."""
        parts = [f"{p.id}->{p.result}:{p.weight!r}:{p.commutative}" for p in self.productions]
        parts += [f"lit {t}:{lit.weight!r}:{lit.choices}:{lit.uniform}" for t, lit in sorted(self.literals.items())]
        parts.append(f"var:{self.variable_weight!r}")
        return hashlib.blake2b("\n".join(sorted(parts)).encode(), digest_size=8).hexdigest()

    def overloads(self, op: str) -> Sequence[Production]:
        """The productions named ``op`` (empty if none): what the type checker resolves against."""
        return self.by_op.get(op, ())

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
                d = 1 + max((depth[a] for a in p.args), default=0)
                if d < depth[p.result]:
                    depth[p.result], changed = d, True
        return MappingProxyType(depth)

    def depths(self, leaves: frozenset[str] = frozenset()) -> Mapping[str, float]:
        """Minimum depths when variables of the types in ``leaves`` are in scope (depth 1)."""
        if not leaves - {t for t, d in self.min_depth.items() if d == 1}:
            return self.min_depth
        cache: dict[frozenset[str], Mapping[str, float]] = self.__dict__.setdefault("_depth_cache", {})
        if leaves not in cache:
            cache[leaves] = self._lower({t: 1 if t in leaves else d for t, d in self.min_depth.items()})
        return cache[leaves]

    # -- validation -------------------------------------------------------------------------------

    def _validate(self) -> None:
        known = set(self.types)
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for p in self.productions:
            for t in (*p.args, p.result):
                if t not in known:
                    raise GrammarError(f"production {p} names unknown type {t!r}",
                                       hint=f"known types: {', '.join(self.types)}")
            if not (p.weight >= 0 and math.isfinite(p.weight)):
                raise GrammarError(f"production {p} has a bad weight {p.weight!r}",
                                   hint="weights are finite and >= 0")
            if (p.op, p.args) in seen:
                raise GrammarError(f"production {p} is defined twice",
                                   hint="each op may have one result type per argument types")
            seen.add((p.op, p.args))
        if len(known) != len(self.types):
            twice = sorted({t for t in self.types if self.types.count(t) > 1})
            raise GrammarError(f"type {twice[0]} is listed twice in `types`", hint="list each type once")
        for t, lit in self.literals.items():
            if t not in known:
                raise GrammarError(f"literals for unknown type {t!r}", hint=f"known types: {', '.join(known)}")
            if not (lit.weight >= 0 and math.isfinite(lit.weight)):
                raise GrammarError(f"literals of {t} have a bad weight {lit.weight!r}",
                                   hint="weights are finite and >= 0")
        if not (self.variable_weight >= 0 and math.isfinite(self.variable_weight)):
            raise GrammarError(f"variables have a bad weight {self.variable_weight!r}",
                               hint="weights are finite and >= 0")
        used = {t for p in self.productions for t in (*p.args, p.result)}
        for t in self.types:
            if t in used and math.isinf(self.min_depth[t]):
                culprits = [str(p) for p in self.by_result[t]][:3] or ["(none)"]
                raise GrammarError(
                    f"type {t} can never terminate: every production of it needs another {t} or a type "
                    f"that never terminates, e.g. {'; '.join(culprits)}",
                    hint=f"add a literal or a production of {t} whose arguments all terminate")

    # -- building ---------------------------------------------------------------------------------

    def restrict(self, types: frozenset[str]) -> GrammarSpec:
        """The sub-grammar over ``types`` only: what one kind of definition may compute with."""
        cache: dict[frozenset[str], GrammarSpec] = self.__dict__.setdefault("_restrict_cache", {})
        if types not in cache:
            keep = [t for t in self.types if t in types]
            prods = tuple(p for p in self.productions if p.result in keep and all(a in keep for a in p.args))
            lits = {t: lit for t, lit in self.literals.items() if t in keep}
            cache[types] = GrammarSpec(tuple(keep), prods, lits, self.variable_weight, self.name)
        return cache[types]

    def with_weights(self, weights: Mapping[str, float]) -> GrammarSpec:
        """A copy with some production weights replaced, by production id."""
        prods = tuple(replace(p, weight=weights.get(p.id, p.weight)) for p in self.productions)
        return replace(self, productions=prods)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], name: str = "custom") -> GrammarSpec:
        """Build a spec from the TOML layout described at the top of ``base.toml``."""
        try:
            types = tuple(str(t) for t in data["types"])
            productions: list[Production] = []
            for op, entry in data.get("op", {}).items():
                productions.extend(_monomorphise(op, entry))
            overrides = {str(k): float(v) for k, v in data.get("weights", {}).items()}
            ids = {p.id for p in productions}
            for key in overrides:
                if key not in ids:
                    raise GrammarError(f"[weights] names unknown production {key!r}",
                                       hint="ids look like add(Scalar,Scalar)")
            productions = [replace(p, weight=overrides.get(p.id, p.weight)) for p in productions]
            literals = {
                str(t): LiteralSpec(
                    type=str(t), weight=float(e.get("weight", 1.0)),
                    choices=tuple(float(c) for c in e.get("choices", ())),
                    uniform=(float(e["uniform"][0]), float(e["uniform"][1])) if "uniform" in e else None,
                    doc=str(e.get("doc", "")))
                for t, e in data.get("literals", {}).items()
            }
            variable_weight = float(data.get("variables", {}).get("weight", 3.0))
        except GrammarError:
            raise
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:  # e.g. `op = 3`
            raise GrammarError(f"malformed grammar: {type(err).__name__}: {err}",
                               hint="see the layout documented at the top of grammar/base.toml") from None
        return cls(types, tuple(productions), literals, variable_weight, name)


_SIG = re.compile(r"^\s*(?P<args>[^>]*?)\s*->\s*(?P<result>\w+)\s*$")
_TYPEVAR = re.compile(r"^[A-Z]$")


def _monomorphise(op: str, entry: Mapping[str, Any]) -> list[Production]:
    """Expand ``[op.NAME]``'s signatures over its type variables into typed productions."""
    if not re.fullmatch(r"[A-Za-z_]\w*", op):
        raise GrammarError(f"op name {op!r} is not an identifier")
    forall: Mapping[str, Sequence[str]] = entry.get("forall", {})
    out: list[Production] = []
    for sig in entry.get("sig", ()):
        m = _SIG.match(sig)
        if m is None:
            raise GrammarError(f"op {op}: bad signature {sig!r}", hint='write "Scalar, Vector -> Vector"')
        args = [a.strip() for a in m["args"].split(",")] if m["args"].strip() else []
        names = [m["result"], *args]
        variables = sorted({n for n in names if _TYPEVAR.match(n)})
        for var in variables:
            if var not in forall:
                raise GrammarError(f"op {op}: type variable {var} in {sig!r} has no `forall` entry")
        for combo in itertools.product(*(forall[v] for v in variables)):
            bind = dict(zip(variables, combo, strict=True))
            result = str(m["result"])
            out.append(Production(
                op=op, args=tuple(bind.get(a, a) for a in args), result=bind.get(result, result),
                weight=float(entry.get("weight", 1.0)), doc=str(entry.get("doc", "")),
                commutative=bool(entry.get("commutative", False))))
    if not out:
        raise GrammarError(f"op {op} has no signatures", hint='add sig = ["Scalar -> Scalar"]')
    return out


def load_grammar(path: str | Path | None = None) -> GrammarSpec:
    """Load a grammar file, or the base grammar shipped with mlevolve when ``path`` is None."""
    if path is None:
        return _base()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise GrammarError(f"cannot read grammar: {err.strerror if isinstance(err, OSError) else err}",
                           file=str(p)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise GrammarError(f"not valid TOML: {err}", file=str(p)) from None
    try:
        return replace(GrammarSpec.from_dict(data, name=p.stem), origin=str(p.resolve()))
    except GrammarError as err:
        raise err.located(str(p)) from None


@cache
def _base() -> GrammarSpec:
    text = resources.files("mlevolve.grammar").joinpath("base.toml").read_text()
    return GrammarSpec.from_dict(tomllib.loads(text), name="base")
