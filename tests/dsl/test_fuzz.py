"""Fuzzing the language and the engine (issue 12).

- The parser and formatter, byte by byte and token by token: any input either formats to a program
  that parses back to the same IR, or is refused with a one-line error whose position is inside the
  file (and ``mlevolve fmt`` exits 2).
- The engine: random and mutated programs of every component kind go through check, compile, the
  probe and a tiny training; nothing may escape, every row is a fitness or a failure with a reason,
  and no failure is the generated code's own fault (a name it did not bind, a type it got wrong).

``python -m tests.dsl.test_fuzz [N]`` runs the engine fuzz on N programs and prints its counts as JSON
(benchmarks/RESULTS.md records the full run).
"""

from __future__ import annotations

import json
import math
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlevolve.cli import main
from mlevolve.dsl.errors import MlevError, source_lines
from mlevolve.dsl.ir import Expr, Let, Num, Program, Ref, Tup, with_children
from mlevolve.dsl.kinds import check_program, replace_slot, slots
from mlevolve.dsl.parse import parse
from mlevolve.dsl.printer import format_program
from mlevolve.dsl.traverse import preorder, replace_at
from mlevolve.dsl.types import flatten
from mlevolve.gp.generate import ramped_half_and_half
from mlevolve.gp.operators import (
    Site,
    free_refs,
    hoist,
    perturb_constant,
    point_mutation,
    shrink,
    subtree_crossover,
    subtree_regrow,
    swap_arguments,
    wrap,
)
from mlevolve.grammar.spec import GrammarSpec, load_grammar
from mlevolve.interpreter.evaluate import Settings
from mlevolve.interpreter.evaluator import ProgramEvaluator
from mlevolve.interpreter.tasks import load_task
from tests.conftest import EXAMPLES

# ------------------------------------------------------------------------------------ parser fuzz

_TOKENS = [
    "algorithm", "task", "let", "in", "state", "setup", "predict", "learn", "activation", "loss", "formula",
    "learner", "model", "optimizer", "x", "y", "w", "np", "tmp1", "relu", "add", "dense", "seq", "(", ")", ",",
    ":", "->", "=", "+", "-", "*", "/", "0", "2", "2.5", "1e-3", "1e400", "Scalar", "Tensor", "Vector", "Int",
    "Layer", '"s"', "# c", "\n", "\r", "\r\n", " ", "\t", "\x0c", "\u2028", "\x85", "\ufeff", "é",
]
_SEED_TEXT = (EXAMPLES / "linear_regression.mlev").read_text()


def _assert_formats_or_refuses(text: str, tmp: Path) -> None:
    """The fuzz law, through the API and the CLI alike."""
    try:
        program = parse(text)
    except MlevError as err:
        assert err.span is not None, err.message
        lines = source_lines(text)
        assert 1 <= err.span.line <= len(lines), (err.span, len(lines))
        assert 1 <= err.span.column <= len(lines[err.span.line - 1]) + 1, (err.span, lines[err.span.line - 1])
        rendered = err.render(text)
        assert rendered.splitlines()[0].startswith(f"<input>:{err.span.line}:{err.span.column}: error: ")
        file = tmp / "fuzz.mlev"
        file.write_bytes(text.encode("utf-8", "surrogatepass"))
        if "\0" not in text:
            assert main(["fmt", str(file)]) == 2
        return
    formatted = format_program(program)
    again = parse(formatted)
    assert again == program
    assert format_program(again) == formatted


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tokens=st.lists(st.sampled_from(_TOKENS), max_size=40))
def test_token_fuzz_formats_to_the_same_program_or_fails_inside_the_file(tokens: list[str],
                                                                          tmp_path: Path) -> None:
    _assert_formats_or_refuses(" ".join(tokens), tmp_path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_byte_fuzz_of_a_real_program(data: st.DataObject, tmp_path: Path) -> None:
    text = _SEED_TEXT
    for _ in range(data.draw(st.integers(1, 4))):
        i = data.draw(st.integers(0, len(text)))
        j = data.draw(st.integers(i, min(len(text), i + 8)))
        insert = data.draw(st.sampled_from([*_TOKENS, ""]) | st.text(max_size=3))
        text = text[:i] + insert + text[j:]
    _assert_formats_or_refuses(text, tmp_path)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_raw_bytes_are_read_or_refused_with_a_one_line_error(raw: bytes, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    file = tmp_path / "raw.mlev"
    file.write_bytes(raw)
    capsys.readouterr()  # the examples before this one's
    code, err = main(["fmt", str(file)]), capsys.readouterr().err
    assert code in (0, 2) and (code == 2) == bool(err), err
    if code == 2:  # one error line naming the file, the line and its caret (indented), a hint at most, no traceback
        lines = err.splitlines()
        assert lines[0].startswith(f"{file}") and ": error: " in lines[0] and "Traceback" not in err, err
        assert all(line.startswith((" ", "hint: ")) for line in lines[1:]) and err.count("\nhint: ") <= 1, err
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return
    if "\0" not in text:
        _assert_formats_or_refuses(text.removeprefix("\ufeff"), tmp_path)


# ------------------------------------------------------------------------------------ engine fuzz

# A failure reason that is the generated code's fault, not the candidate's: a name it did not bind,
# an attribute or a type it got wrong, a syntax error in its own text.
OWN_FAULTS = ("NameError", "UnboundLocalError", "SyntaxError", "AttributeError", "TypeError", "KeyError",
              "IndentationError")


@dataclass(frozen=True)
class KindCase:
    """One kind's fuzz setup: a program holding it, the task it trains on, its share of the programs."""

    kind: str
    text: str
    task: str
    share: float


def _program_text(kind: str, signature: str, body: str) -> str:
    return f"algorithm fuzz_{kind}\n{kind} {signature} =\n  {body}\n"


_LEARNER = """algorithm fuzz_learner
learner l(state w: Vector, state b: Scalar, state m: Matrix)
  setup() -> (Vector, Scalar, Matrix) = (w, b, m)
  predict(x: Vector) -> Scalar = dot(w, x) + b
  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Scalar, Matrix) = (w + 0.1 * (y - p) * x, b, m)
"""

CASES = (
    KindCase("formula", _program_text("formula", "f(x: Scalar) -> Scalar", "x * x + 1"),
             "nguyen1:n_train=8:n_test=8", 0.40),
    KindCase("learner", _LEARNER, "linear:n_tasks=2:n_train=6:n_val=6:dim=3", 0.27),
    KindCase("activation", _program_text("activation", "act(x: Tensor) -> Tensor", "relu(x)"), "TINY", 0.07),
    KindCase("loss", _program_text("loss", "l(p: Tensor, y: Tensor) -> Tensor", "square(p - y)"), "TINY", 0.05),
    KindCase("augment", _program_text("augment", "a(x: Tensor) -> Tensor", "x"), "TINY", 0.04),
    KindCase("schedule", _program_text("schedule", "s(t: Scalar) -> Scalar", "0.01 * (1 - t)"), "TINY", 0.04),
    KindCase("optimizer", _program_text("optimizer", "o(w: Tensor, g: Tensor, lr: Scalar, t: Scalar, m: Tensor) "
                                                    "-> (Tensor, Tensor)", "(w - lr * g, 0.9 * m + g)"),
             "TINY", 0.05),
    KindCase("model", "algorithm fuzz_model\nactivation act(x: Tensor) -> Tensor = relu(x)\n"
                      "model net() -> Layer = seq(dense(8), act)\n", "TINY", 0.05),
    KindCase("pg_loss", _program_text("pg_loss", "pg(logp: Tensor, ret: Tensor, adv: Tensor, value: Tensor, "
                                                 "entropy: Tensor) -> Tensor", "-(logp * adv)"), "chain", 0.02),
    KindCase("td_loss", _program_text("td_loss", "td(q: Tensor, target: Tensor, reward: Tensor, discount: Tensor) "
                                                 "-> Tensor", "square(q - (reward + discount * target))"),
             "chain", 0.003),
    KindCase("vae_loss", _program_text("vae_loss", "v(x: Tensor, recon: Tensor, mu: Tensor, logvar: Tensor) "
                                                   "-> Tensor", "square(x - recon) + square(mu)"),
             "moons2d", 0.003),
    KindCase("flow_loss", _program_text("flow_loss", "fl(z: Tensor, logdet: Tensor) -> Tensor",
                                        "0.5 * square(z) - logdet"), "moons2d", 0.004),
)

# Names a user may write that the generator, runtime or export also use, or that look like an escape.
HOSTILE_NAMES = ("np", "np_", "_u_np", "torch", "F", "rng", "DIM", "main", "tmp1", "tmp1_", "print", "len",
                 "lambda", "def", "None", "PROGRAM", "x_2", "_", "__name__", "adam", "Lambda", "w_2", "exp")


def _tiny_csv(folder: Path) -> str:
    """A 48-row, 3-feature, 2-class CSV: one optimisation step per epoch."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 3))
    rows = [f"{a:.4f},{b:.4f},{c:.4f},{int(a + b > 0)}" for a, b, c in x]
    path = folder / "tiny.csv"
    path.write_text("a,b,c,y\n" + "\n".join(rows) + "\n")
    return f"{path}:target=y"


def _let_abstract(body: Expr, rng: random.Random, name: str) -> Expr | None:
    """``let name = S in body[S := name]`` for a random subtree S that uses no let-bound name."""
    nodes = preorder(body)
    bound = {n.name for n in nodes if isinstance(n, Let)}
    options = [i for i, n in enumerate(nodes) if i > 0 and not isinstance(n, Tup) and not free_refs(n) & bound]
    if not options or name in bound | free_refs(body):
        return None
    i = rng.choice(options)
    return Let(name, nodes[i], replace_at(body, i, Ref(name)))


def _rename(program: Program, rng: random.Random) -> Program:
    """The program with its parameters (and every reference to them) renamed to hostile names."""
    d = program.definitions[0]
    if d.kind == "model" or len(program.definitions) != 1:
        return program
    fixed = {"lr", "t"} if d.kind == "optimizer" else set()  # an optimizer's rate and step go by name
    bodies = [d.body, *(m.body for m in d.methods)]
    taken = {p.name for p in (*d.params, *(q for m in d.methods for q in m.params))}
    taken |= {n.name for b in bodies if b is not None for n in preorder(b) if isinstance(n, Let)}
    if any(n.name in {p.name for p in d.params} for b in bodies if b is not None for n in preorder(b)
           if isinstance(n, Let)):
        return program  # a let shadows a parameter: renaming by name alone would change which it means
    pool = [n for n in HOSTILE_NAMES if n not in taken]
    old = [p.name for p in d.params if p.name not in fixed]
    new = {**{n: n for n in fixed}, **dict(zip(old, rng.sample(pool, len(old)), strict=True))}

    def ren(e: Expr) -> Expr:
        out: list[Expr] = []
        for node in reversed(preorder(e)):  # children before parents
            if isinstance(node, Ref):
                out.append(Ref(new.get(node.name, node.name), node.span))
            elif isinstance(node, Num):
                out.append(node)
            else:
                k = len(node.children())
                kids = tuple(reversed(out[len(out) - k:])) if k else ()
                del out[len(out) - k:]
                out.append(with_children(node, kids))
        return out[0]

    params = tuple(replace(p, name=new[p.name]) for p in d.params)
    methods = tuple(replace(m, body=ren(m.body)) for m in d.methods if m.body is not None)
    body = ren(d.body) if d.body is not None else None
    return replace(program, definitions=(replace(d, name=rng.choice(HOSTILE_NAMES), params=params, body=body,
                                                 methods=methods),))


def _programs(case: KindCase, spec: GrammarSpec, n: int, rng: random.Random) -> Iterator[tuple[str, Program]]:
    """(origin, program) pairs: half grown at random, half mutations of earlier ones."""
    base = parse(case.text)
    check_program(base, spec)
    pool = [base]
    mutations = (subtree_regrow, point_mutation, hoist, shrink, wrap, swap_arguments)
    for k in range(n):
        parent = rng.choice(pool)
        slot = rng.choice(slots(parent))
        site = Site(spec.restrict(slot.types), slot.env, slot.result, max_depth=7, max_size=40)
        origin = "random"
        how = ""
        body: Expr | None
        if k % 2 == 0:
            items = [ramped_half_and_half(site.spec, t, rng, env=slot.env, max_depth=rng.randint(2, 5))
                     for t in flatten(slot.result)]
            body = items[0] if len(items) == 1 else Tup(tuple(items))
        else:
            origin = "mutated"
            choice = rng.random()
            if choice < 0.15:
                how = "perturb"
                body = perturb_constant(slot.body, site, rng)
            elif choice < 0.3:
                how = "crossover"
                donors = [s.body for s in slots(rng.choice(pool)) if s.env == slot.env and s.result == slot.result]
                other = donors[0] if donors else slot.body
                body = subtree_crossover(slot.body, other, site, rng)
            elif choice < 0.5:
                how = "let"
                body = _let_abstract(slot.body, rng, rng.choice(HOSTILE_NAMES))
            else:
                mutate = rng.choice(mutations)
                how = mutate.__name__
                body = mutate(slot.body, site, rng)
        child = replace_slot(parent, slot.name, body if body is not None else slot.body)
        if rng.random() < 0.15:
            how += "+renamed"
            child = _rename(child, rng)
        try:
            check_program(child, spec)
        except MlevError:
            yield f"{origin}:{how}", child  # the caller counts it as rejected; it is no parent
            continue
        pool.append(child)
        if len(pool) > 50:
            pool.pop(1)
        yield origin, child


def run_engine_fuzz(total: int, seed: int = 0, folder: Path | None = None) -> dict[str, Any]:
    """Fuzz ``total`` programs shared among the kinds of ``CASES``; return per-kind counts.

    Per program: the printed text is parsed and checked (``rejected`` counts programs the checker
    refuses), compiled, probed as the engine does (the fingerprint), and trained one epoch.  A row is
    ``ok`` (a finite fitness) or ``failed`` by its reason's type; anything raised outside the
    evaluator's own handling counts as ``escaped``."""
    spec = load_grammar()
    rng = random.Random(seed)
    torch.set_num_threads(1)
    tmp = folder or Path(tempfile.mkdtemp(prefix="mlevolve-fuzz-"))
    tiny = _tiny_csv(tmp)
    counts: dict[str, Any] = {}
    shares = sum(c.share for c in CASES)
    for case in CASES:
        n = max(2, round(total * case.share / shares))
        task_name = tiny if case.task == "TINY" else case.task
        evaluator = ProgramEvaluator(load_task(task_name, seed), task_name, spec, Settings(seed=seed, epochs=1),
                                     frozenset({case.kind}), cache_size=64)
        row: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        own: list[str] = []
        examples: dict[str, str] = {}
        started = time.perf_counter()
        for i, (origin, program) in enumerate(_programs(case, spec, n, rng)):
            row["programs"] += 1
            row[origin.split(":")[0]] += 1
            text = format_program(program)
            try:
                checked = check_program(parse(text), spec)
            except MlevError as err:
                row["rejected"] += 1
                reasons[f"rejected ({origin.split(':')[-1]}): " + err.message.split(":")[-1].strip()[:60]] += 1
                continue
            try:
                fingerprint_failure = evaluator.fingerprint(checked, f"{case.kind}{i}")[1]
                outcome = evaluator.evaluate(checked, f"{case.kind}{i}")
            except Exception as err:
                row["escaped"] += 1
                own.append(f"escaped {type(err).__name__}: {err}\n{text}")
                continue
            failure = fingerprint_failure or outcome.failure
            if failure is None and math.isfinite(outcome.fitness):
                row["ok"] += 1
                continue
            row["failed"] += 1
            reason = failure.reason if failure is not None else "no finite fitness"
            assert reason, "a failure without a reason"
            key = reason.split(":")[0] if ":" in reason[:30] else reason[:48]
            reasons[key] += 1
            examples.setdefault(key, f"{reason}\n{text}")
            if reason.startswith(OWN_FAULTS):
                own.append(f"{reason}\n{text}")
        counts[case.kind] = {**dict(row), "seconds": round(time.perf_counter() - started, 1),
                             "reasons": dict(reasons.most_common()), "own_faults": own[:5],
                             "n_own_faults": len(own), "examples": examples}
    return counts


def _assert_clean(counts: dict[str, Any]) -> None:
    for kind, c in counts.items():
        assert c.get("escaped", 0) == 0, (kind, c["own_faults"])
        assert c["n_own_faults"] == 0, (kind, c["own_faults"])
        assert c.get("ok", 0) + c.get("failed", 0) + c.get("rejected", 0) == c["programs"], (kind, c)


def test_engine_fuzz_quick(tmp_path: Path) -> None:
    """A small sample of the engine fuzz on every kind (the slow RL/density kinds twice each)."""
    counts = run_engine_fuzz(160, seed=1, folder=tmp_path)
    assert set(counts) == {c.kind for c in CASES}
    _assert_clean(counts)
    assert all(c.get("ok", 0) > 0 for k, c in counts.items() if k in ("formula", "learner", "activation"))


@pytest.mark.slow
def test_engine_fuzz_10k(tmp_path: Path) -> None:
    counts = run_engine_fuzz(10_000, seed=0, folder=tmp_path)
    assert sum(c["programs"] for c in counts.values()) >= 10_000
    _assert_clean(counts)


if __name__ == "__main__":
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    t0 = time.perf_counter()
    result = run_engine_fuzz(total)
    print(json.dumps({"total_seconds": round(time.perf_counter() - t0, 1), "kinds": result}, indent=1))
