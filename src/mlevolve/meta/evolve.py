"""The meta-level GP: evolve generators (weights, learned rules, operators) on short inner runs.

Meta-fitness of a generator on a (task, seed) pair is the normalised area under the best-so-far
curve of one short inner evolution run with it (:func:`inner_run`); a generator's fitness in a
meta-generation is its mean over the pairs it was run on.  Per meta-generation:

1. sample training tasks and inner seeds, the same for every individual (common random numbers),
   new ones each meta-generation (resampling, so no generator is selected on a lucky draw twice);
2. successive halving: every individual runs on the first pairs, the better half on the next, and
   so on; the ranking is by rung reached, then mean AUC;
3. mine rules from the elites of all inner runs (``mine.py``), reused across at least two training
   tasks, into the pool that *rule addition* draws from;
4. score the generation's best on the validation tasks (fixed seeds); the output is the best
   generator on validation, so meta-test tasks never influence anything;
5. the next population: the best ``elitism`` individuals, and children by tournament, crossover and
   one of weight perturbation, rule addition, rule deletion or operator mutation.

Resume: every inner run is stored in the meta archive (an ordinary archive whose candidates are the
inner runs' best programs, plus a table of their details) as soon as it finishes.  The meta loop is
a deterministic function of its seed and the inner results, so re-running the same command replays
the stored runs instantly and continues where the killed run stopped.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from mlevolve.dsl.ir import Expr, Program
from mlevolve.dsl.kinds import slots
from mlevolve.dsl.parse import parse_expr
from mlevolve.dsl.printer import format_expr, format_program
from mlevolve.dsl.traverse import program_hash
from mlevolve.gp.archive import Archive, Row
from mlevolve.grammar.spec import GrammarSpec, Production, load_grammar
from mlevolve.meta import vary
from mlevolve.meta.config import InnerConfig, MetaConfig
from mlevolve.meta.mine import Elite, mine, rewrite
from mlevolve.meta.stats import normalised_auc, normalised_curve

META_FORMAT = 2  # the layout of the stored inner-run details; part of a meta archive's identity
_DETAILS = "CREATE TABLE IF NOT EXISTS inner_runs (hash TEXT PRIMARY KEY, detail TEXT NOT NULL)"


@dataclass(frozen=True)
class InnerResult:
    """What one inner run tells the meta level."""

    auc: float  # normalised area under the best-so-far curve
    best: float  # the best raw fitness
    evals_to_target: int | None  # candidates until the normalised best reached the target
    elites: tuple[tuple[str, str], ...]  # (slot, body text): the best distinct bodies of each evolved slot
    operators: dict[str, dict[str, int]]  # trials and successes (child beat parent) per operator
    rule_usage: dict[str, int]  # folds of each learned rule over the elites
    program: str  # the best program
    seconds: float


def inner_run(program: Program, names: Sequence[str], spec: GrammarSpec, task: str, seed: int,
              inner: InnerConfig, bounds: tuple[float, float], bandit: bool = False) -> InnerResult:
    """One short evolution run of ``names`` with generator ``spec``, scored in process (``bandit``:
    with the operator bandit even if ``spec`` has no evolved operators)."""
    from mlevolve.gp.engine import Engine, EvolveConfig
    from mlevolve.gp.search import ALGORITHMS
    from mlevolve.interpreter.evaluate import Settings
    from mlevolve.interpreter.evaluator import ProgramEvaluator
    from mlevolve.interpreter.tasks import load_task

    started = time.perf_counter()
    config = EvolveConfig(algorithm=inner.algorithm, budget=inner.budget, population=inner.population,
                          tournament=inner.tournament, init=inner.init, seed=seed, bandit=bandit,
                          fit=False)  # inner runs score formulas as written (their evaluator does not fit)
    kinds = frozenset(d.kind for d in program.definitions if any(n.split(".")[0] == d.name for n in names))
    evaluator = ProgramEvaluator(load_task(task, seed), task, load_grammar(), Settings(seed=seed, epochs=inner.epochs),
                                 kinds)
    curve: list[float] = []

    def progress(engine: Any, candidate: Any, stored: bool) -> None:
        curve.append(engine.best.score if engine.best is not None else -math.inf)

    identity = {"program_hash": program_hash(program), "task": task, "evolve": list(names)}
    with tempfile.TemporaryDirectory(prefix="mlevolve-inner-") as tmp, \
            Archive.for_run(Path(tmp) / "inner.db", identity) as archive:
        engine = Engine(program, names, spec, evaluator, archive, config, progress)
        ALGORITHMS[inner.algorithm](engine)
    curve += [curve[-1] if curve else -math.inf] * (inner.budget - len(curve))
    norm = normalised_curve(curve, *bounds)
    reached = next((k + 1 for k, v in enumerate(norm) if v >= inner.target), None)
    elites: list[tuple[str, Expr]] = []
    for slot in names:
        bodies: list[tuple[str, Expr]] = []
        for candidate in engine.hall_of_fame:
            body = (slot, {s.name: s.body for s in slots(candidate.program)}[slot])
            if body not in bodies and len(bodies) < inner.elites:
                bodies.append(body)
        elites += bodies
    best = engine.best
    return InnerResult(
        auc=normalised_auc(curve, *bounds), best=best.score if best is not None else -math.inf,
        evals_to_target=reached, elites=tuple((slot, format_expr(body)) for slot, body in elites),
        operators=engine.summary().get("operators", {}),
        rule_usage=rule_usage(spec, elites, {s.name: s.env for s in slots(program)}),
        program=format_program(best.program) if best is not None else format_program(program),
        seconds=time.perf_counter() - started)


def _inner_job(args: tuple[str, tuple[str, ...], str, str, int, dict[str, Any], tuple[float, float]]) -> InnerResult:
    """:func:`inner_run` in a worker process, from picklable arguments: program text, slots, generator
    TOML, task, seed, inner settings, bounds (both texts round-trip exactly)."""
    import tomllib

    from mlevolve.dsl.parse import parse

    program, names, generator, task, seed, inner, bounds = args
    spec = GrammarSpec.from_dict(tomllib.loads(generator), name="generator")
    return inner_run(parse(program), names, spec, task, seed, InnerConfig(**inner), bounds)


def _result(stored: dict[str, Any]) -> InnerResult:
    """An inner result read back from its JSON (lists become tuples again)."""
    return InnerResult(**{**stored, "elites": tuple((slot, text) for slot, text in stored["elites"])})


def rule_usage(spec: GrammarSpec, bodies: Sequence[tuple[str, Expr]], envs: Mapping[str, Any]) -> dict[str, int]:
    """How often each learned rule of ``spec`` folds into ``bodies`` ((slot, body) pairs; ``envs``
    maps each slot to its names in scope), rules in library order."""
    counts: Counter[str] = Counter()
    rules = [p for p in spec.productions if p.rule is not None]
    for slot, expr in bodies:
        for p in rules:
            expr, n = rewrite(expr, envs[slot], spec, p)
            counts[p.op] += n
    return {p.op: counts[p.op] for p in rules}


@dataclass
class Scored:
    """A meta-individual and its inner results this meta-generation."""

    spec: GrammarSpec
    results: list[InnerResult]

    @property
    def fitness(self) -> float:
        return sum(r.auc for r in self.results) / len(self.results) if self.results else -math.inf

    def rank_key(self) -> tuple[int, float]:
        return len(self.results), self.fitness


class MetaRun:
    """A meta run over an open meta archive: see the module docstring."""

    def __init__(self, config: MetaConfig, program: Program, archive: Archive,
                 log: Callable[[str], None] = lambda _: None, pool: Executor | None = None) -> None:
        self.config = config
        self.program = program
        self.names = list(config.evolve)
        by_name = {s.name: s for s in slots(program)}
        self.envs = {name: dict(s.env) for name, s in by_name.items()}
        self.types = frozenset().union(*(by_name[n].types for n in self.names)) or frozenset(load_grammar().types)
        self.archive = archive
        self.log = log
        archive.conn.execute(_DETAILS)
        self.details = dict(archive.conn.execute("SELECT hash, detail FROM inner_runs"))
        self.pool = pool  # runs inner runs in parallel when given (results do not depend on it)
        self.fresh = 0
        self.replayed = 0

    # -- inner runs, stored ---------------------------------------------------------------------
    def _key(self, spec: GrammarSpec, task: str, seed: int) -> str:
        text = json.dumps([spec.digest, task, seed, asdict(self.config.inner)], sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()

    def evaluate(self, jobs: Sequence[tuple[GrammarSpec, str, int]], generation: int) -> list[InnerResult]:
        """The inner results of ``jobs`` (generator, task, seed): stored ones read back, the others
        run (in the worker pool, if any) and stored in the order of ``jobs``, so the archive and the
        meta loop do not depend on which worker finished first."""
        keys = [self._key(*job) for job in jobs]
        todo = {k: job for k, job in zip(keys, jobs, strict=True) if k not in self.details}
        self.replayed += len(keys) - len(todo)
        fresh = self._run(list(todo.values()))
        for (key, (spec, task, seed)), result in zip(todo.items(), fresh, strict=True):
            self._store(key, spec, task, seed, result, generation)
        self.fresh += len(todo)
        return [_result(json.loads(self.details[k])) for k in keys]

    def _run(self, jobs: list[tuple[GrammarSpec, str, int]]) -> list[InnerResult]:
        """Run inner runs: here, one after another, or in the pool (each generator serialised once)."""
        inner = self.config.inner
        if self.pool is None:
            return [inner_run(self.program, self.names, spec, task, seed, inner, self.config.bounds[task])
                    for spec, task, seed in jobs]
        text = format_program(self.program)
        toml = {spec.digest: spec.to_toml() for spec, _, _ in jobs}
        return list(self.pool.map(_inner_job, [(text, tuple(self.names), toml[spec.digest], task, seed, asdict(inner),
                                                self.config.bounds[task]) for spec, task, seed in jobs]))

    def _store(self, key: str, spec: GrammarSpec, task: str, seed: int, result: InnerResult, generation: int) -> None:
        row = Row(self.archive.count(), key, result.program, result.auc,
                  {"auc": result.auc, "best_fitness": result.best, "seed": seed,
                   "evals_to_target": result.evals_to_target}, None, None, task, None, spec.digest, (), generation,
                  len(result.program), result.seconds)
        detail = json.dumps(asdict(result))
        with self.archive.conn:
            self.archive.conn.execute("BEGIN")
            self.archive.add(row)
            self.archive.conn.execute("INSERT OR REPLACE INTO inner_runs VALUES (?, ?)", (key, detail))
        self.details[key] = detail

    # -- one meta-generation ---------------------------------------------------------------------
    def score(self, population: list[GrammarSpec], pairs: list[tuple[str, int]], generation: int) -> list[Scored]:
        """Successive halving over ``pairs``: rung k runs the survivors on the next chunk of pairs."""
        scored = [Scored(spec, []) for spec in population]
        alive = list(scored)
        if self.config.meta.halving:
            rungs = max(1, min(len(pairs), math.ceil(math.log2(len(population)))))
            chunks = [pairs[len(pairs) * k // rungs:len(pairs) * (k + 1) // rungs] for k in range(rungs)]
        else:
            chunks = [pairs]
        for k, chunk in enumerate(chunks):
            results = iter(self.evaluate([(s.spec, t, seed) for s in alive for t, seed in chunk], generation))
            for s in alive:
                s.results += [next(results) for _ in chunk]
            if k < len(chunks) - 1:
                alive.sort(key=Scored.rank_key, reverse=True)
                alive = alive[:max(self.config.meta.elitism, math.ceil(len(alive) / 2))]
        return sorted(scored, key=Scored.rank_key, reverse=True)

    def validate(self, spec: GrammarSpec, generation: int) -> float:
        runs = self.evaluate([(spec, t, seed) for t in self.config.validation
                              for seed in range(self.config.meta.validation_seeds)], generation)
        return sum(r.auc for r in runs) / len(runs) if runs else math.nan

    def offspring(self, ranked: list[Scored], pool: list[Production], rng: random.Random) -> list[GrammarSpec]:
        m = self.config.meta

        def pick() -> GrammarSpec:
            entrants = rng.sample(range(len(ranked)), min(m.tournament, len(ranked)))
            return ranked[min(entrants)].spec  # ranked best first

        children = [s.spec for s in ranked[:m.elitism]]
        while len(children) < m.population:
            child = pick()
            if rng.random() < 0.3:
                child = vary.crossover(child, pick(), rng, self.types)
            roll = rng.random()
            changed: GrammarSpec | None
            if roll < 0.35:
                changed = vary.add_rule(child, pool, rng, self.types)
            elif roll < 0.45:
                changed = vary.delete_rule(child, rng)
            elif roll < 0.7:
                changed = vary.mutate_operators(child, rng, self.types)
            else:
                changed = None
            children.append(changed if changed is not None else vary.perturb_weights(child, rng, self.types))
        return [replace(c, name="generator", origin=None) for c in children]

    def run(self) -> tuple[GrammarSpec, list[dict[str, Any]]]:
        """The whole meta run: the best generator on validation, and one record per meta-generation."""
        m, cfg = self.config.meta, self.config
        rng = random.Random(m.seed)
        base = replace(load_grammar(), name="generator")
        population = [base] + [vary.perturb_weights(base, rng, self.types) for _ in range(m.population - 1)]
        pool: list[Production] = []
        history: list[dict[str, Any]] = []
        best_spec, best_val = base, -math.inf
        for generation in range(m.generations):
            tasks = rng.sample(list(cfg.train), m.tasks)
            seeds = [rng.randrange(1 << 30) for _ in range(m.seeds)]
            pairs = [(t, s) for s in seeds for t in tasks]
            ranked = self.score(population, pairs, generation)
            texts = dict.fromkeys((t, slot, text) for s in ranked for r, (t, _) in zip(s.results, pairs, strict=False)
                                  for slot, text in r.elites)
            corpus = [Elite(t, parse_expr(text), self.envs[slot]) for t, slot, text in texts]
            found, _ = mine(corpus, base.restrict(self.types), max_rules=m.rules_per_generation,
                            min_tasks=m.min_tasks, generation=generation)
            names = {p.op for p in pool}
            pool = [f.production for f in found if f.production.op not in names] + pool
            pool = pool[:4 * m.rules_per_generation]
            top = ranked[0]
            val = self.validate(top.spec, generation)
            if val > best_val:
                best_spec, best_val = top.spec, val
            history.append(self._record(generation, ranked, found, val))
            self.log(f"meta-generation {generation}: best AUC {top.fitness:.4f} on {', '.join(tasks)}; "
                     f"validation {val:.4f}; rules {len(top.spec.rules)}, operators {len(top.spec.operators)}; "
                     f"mined {len(found)}")
            self.archive.set_meta("meta_generations", history)
            population = self.offspring(ranked, pool, rng)
        return best_spec, history

    def _record(self, generation: int, ranked: list[Scored], found: Sequence[Any], val: float) -> dict[str, Any]:
        top = ranked[0]
        usage: Counter[str] = Counter()
        arms: dict[str, list[int]] = {}
        for r in top.results:
            usage.update(r.rule_usage)
            for arm, st in r.operators.items():
                a = arms.setdefault(arm, [0, 0])
                a[0] += st["trials"]
                a[1] += st["successes"]
        total = sum(t for t, _ in arms.values()) or 1
        restricted = top.spec.restrict(self.types)
        return {
            "generation": generation, "best_fitness": top.fitness,
            "mean_fitness": sum(s.fitness for s in ranked) / len(ranked),
            "validation_auc": val, "grammar_size": len(restricted.productions), "rules": len(top.spec.rules),
            "rule_usage": dict(usage), "operators": {a: t / total for a, (t, _) in arms.items()},
            "operator_success": {a: s / t for a, (t, s) in arms.items() if t},
            "mined": [f.production.op for f in found],
            "inner_runs": sum(len(s.results) for s in ranked), "digest": top.spec.digest,
            "generator": top.spec.to_toml(header=f"best of meta-generation {generation}"),
        }

