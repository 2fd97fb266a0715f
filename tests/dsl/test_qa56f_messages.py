"""qa56f: counts in messages read as English (no "(s)"), and a type error's hint names every primitive that takes
the types found, a commutative one's swapped form included (``add`` and ``mul`` take (Tensor, Scalar))."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import mlevolve
from mlevolve.dsl.errors import MlevError
from mlevolve.messages import counted

SRC = Path(mlevolve.__file__).parent
ACT = "algorithm a\n  task digits\n  activation act(x: Tensor) -> Tensor =\n    {body}\n"


def _strings(tree: ast.Module) -> list[ast.Constant]:
    """The string literals of a module but its docstrings (a message's text, an f-string's parts)."""
    docs = {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    return [n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs]


def test_no_message_writes_a_plural_as_s_in_parentheses() -> None:
    found = [f"{path.relative_to(SRC)}:{node.lineno}: {node.value.strip()[:60]}"
             for path in sorted(SRC.rglob("*.py")) for node in _strings(ast.parse(path.read_text()))
             if re.search(r"[a-z]\(s\)", node.value.replace("fill(s)", ""))]  # fill(s): the primitive, called
    assert found == []


@pytest.mark.parametrize(("n", "text"), [(0, "0 state parameters"), (1, "1 state parameter"),
                                         (2, "2 state parameters"), (1204, "1,204 state parameters")])
def test_counted_says_one_in_the_singular(n: int, text: str) -> None:
    assert counted(n, "state parameter") == text


@pytest.mark.parametrize(("state", "count"), [(1, "1 state parameter"), (2, "2 state parameters")])
def test_the_optimizer_signature_error_counts_its_state(state: int, count: str) -> None:
    params = ", ".join(["w: Tensor", "g: Tensor", *(f"m{i}: Tensor" for i in range(state))])
    text = f"algorithm a\n  task digits\n  optimizer o({params}) -> Tensor =\n    w - 0.1 * g\n"
    with pytest.raises(MlevError) as err:
        mlevolve.check(mlevolve.parse(text))
    assert f"with {count} the result must be" in err.value.message


def _hint_ops(body: str) -> list[str]:
    with pytest.raises(MlevError) as err:
        mlevolve.check(mlevolve.parse(ACT.format(body=body)))
    match = re.search(r"primitives that take \([^)]*\)(?: and give [^:]*)?: ([a-z0-9_, ]+)", err.value.hint or "")
    assert match, err.value.hint
    return match[1].split(", ")


def test_the_hint_lists_the_commutative_primitives_that_take_the_types_swapped() -> None:
    assert _hint_ops("max(x, -1.0)") == ["add", "div", "mul", "sub"]


@pytest.mark.parametrize("body", ["max(x, -1.0)", "max(-1.0, x)"])
def test_every_primitive_the_hint_lists_takes_the_arguments_as_written(body: str) -> None:
    """Each listed primitive, put in the refused call's place with the same arguments, checks."""
    for op in _hint_ops(body):
        mlevolve.check(mlevolve.parse(ACT.format(body=body.replace("max", op, 1))))
