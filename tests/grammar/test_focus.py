"""Weights within one kind of body (``[restrict.NAME]``, grammar.spec.Focus)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.grammar.spec import GrammarError, load_grammar

LEARNER = frozenset({"Scalar", "Vector", "Matrix"})


def weights(spec_types: frozenset[str], path: Path | None = None) -> dict[str, float]:
    return {p.id: p.weight for p in load_grammar(path).restrict(spec_types).productions}


def test_the_base_grammar_favours_arithmetic_in_learner_bodies_only() -> None:
    base = {p.id: p.weight for p in load_grammar().productions}
    learner = weights(LEARNER)
    assert learner["mul(Scalar,Vector)"] == base["mul(Scalar,Vector)"] == 1.0  # kept
    assert learner["dot(Vector,Vector)"] == base["dot(Vector,Vector)"]
    assert learner["sin(Vector)"] == pytest.approx(0.1 * base["sin(Vector)"])  # scaled, still reachable
    assert learner["gaussian_matrix(Scalar,Scalar)"] == pytest.approx(0.1 * base["gaussian_matrix(Scalar,Scalar)"])
    activation = weights(frozenset({"Scalar", "Tensor"}))  # another kind's types: untouched
    assert all(activation[k] == base[k] for k in activation)


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "g.toml"
    path.write_text('version = 1\nextends = "base"\n' + body)
    return path


def test_a_child_grammar_inherits_and_may_override_a_focus(tmp_path: Path) -> None:
    child = _write(tmp_path, "")
    assert load_grammar(child).digest == load_grammar().digest
    other = _write(tmp_path, '[restrict.learner]\ntypes = ["Scalar", "Vector", "Matrix"]\nscale = 1.0\n')
    assert load_grammar(other).digest != load_grammar().digest
    assert weights(LEARNER, other)["sin(Vector)"] == 0.5  # scale 1: the base weights


@pytest.mark.parametrize(("body", "message"), [
    ('[restrict.x]\ntypes = ["Vectr"]\nscale = 0.1\n', "names unknown type 'Vectr'"),
    ('[restrict.x]\ntypes = ["Vector"]\nscale = -1\n', "bad scale"),
    ('[restrict.x]\ntypes = ["Vector"]\nscale = 0.1\nkeep = ["add(Vector)"]\n',
     r"keeps unknown production 'add\(Vector\)'"),
])
def test_a_bad_focus_is_a_grammar_error(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(GrammarError, match=message):
        load_grammar(_write(tmp_path, body))


@pytest.mark.parametrize(("body", "message"), [
    ('[restrict.learner]\nscale = 0\n', r"bad scale 0\.0: a scale is a finite number > 0"),  # would drop the rest
    ('[restrict.x]\ntypes = ["Scalar", "Matrix"]\nscale = 0.5\n', r"are no kind of body's types"),
    ('[restrict.mine]\ntypes = ["Scalar", "Vector", "Matrix"]\nscale = 0.5\n',
     r"\[restrict.mine\] has the types of \[restrict.learner\] \(inherited"),
    ('[restrict.a]\ntypes = ["Scalar"]\nscale = 0.5\n[restrict.b]\ntypes = ["Scalar"]\nscale = 0.2\n',
     r"\[restrict.b\] has the types of \[restrict.a\]: one kind"),
    ('[restrict.new]\nscale = 0.5\n', r"\[restrict.new\] has no 'types' key: a new table"),
])
def test_a_focus_that_would_silently_do_wrong_is_refused(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(GrammarError, match=message) as caught:
        load_grammar(_write(tmp_path, body))
    assert caught.value.hint is not None and "site-packages" not in caught.value.hint


def test_a_partial_override_inherits_the_keys_it_leaves_out(tmp_path: Path) -> None:
    base = load_grammar()
    child = load_grammar(_write(tmp_path, "[restrict.learner]\nscale = 0.5\n"))
    (was,), (now,) = base.focus, child.focus
    assert (now.name, now.types, now.keep, now.doc, now.scale) == (was.name, was.types, was.keep, was.doc, 0.5)
    plain = {p.id: p.weight for p in base.productions}
    assert weights(LEARNER, tmp_path / "g.toml")["sin(Vector)"] == pytest.approx(0.5 * plain["sin(Vector)"])
    kept = load_grammar(_write(tmp_path, '[restrict.learner]\nkeep = ["sin(Vector)"]\n'))
    assert kept.focus[0].keep == {"sin(Vector)"} and kept.focus[0].scale == was.scale
    assert weights(LEARNER, tmp_path / "g.toml")["add(Scalar,Scalar)"] == pytest.approx(was.scale * 1.0)
