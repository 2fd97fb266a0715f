"""A definition with no effect on the score: an activation the model never names, a schedule whose update rule
never reads ``lr`` (a fresh-user pass: both were accepted, and ``--evolve`` spent its whole budget on them).

``check`` refuses one that nothing could make matter (a schedule beside a rule without ``lr``) and warns of one that
evolving another definition could (the model, the rule); ``evolve --evolve NAME`` and a meta configuration's
``evolve`` refuse NAME unless that other definition is evolved too.
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.errors import MlevError, ProgramWarning
from mlevolve.dsl.kinds import idle, reads
from mlevolve.dsl.parse import parse
from tests.conftest import ROOT, Capsys, cli, usage_error

UNUSED_ACT = ("algorithm a\ntask digits\n\nmodel net() -> Layer =\n  seq(dense(16), relu_layer())\n\n"
              "activation act(x: Tensor) -> Tensor =\n  x * sigmoid(x)\n")
UNREAD_LR = ("algorithm a\ntask digits\n\noptimizer sgd(w: Tensor, g: Tensor, lr: Scalar) -> Tensor =\n"
             "  w - 0.1 * g\n\n"
             "schedule cosine(t: Scalar) -> Scalar =\n  0.05 * (1.0 + cos(3.14159 * t))\n")
NO_LR = UNREAD_LR.replace(", lr: Scalar", "")
ACT_WARNING = ("act.mlev:7:12: warning: activation 'act' has no effect: model 'net' never uses it\n"
               "    activation act(x: Tensor) -> Tensor =\n"
               "               ^^^\n"
               "hint: use it in a layer of the model, e.g. seq(dense(16), act), or remove it\n")
LR_WARNING = ("lr.mlev:7:10: warning: schedule 'cosine' has no effect: optimizer 'sgd' never reads lr, the rate the "
              "schedule sets\n    schedule cosine(t: Scalar) -> Scalar =\n             ^^^^^^\n"
              "hint: use lr in the update rule (e.g. w - lr * g), or remove the schedule\n")


def _file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str) -> str:
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_text(text)
    return name


@pytest.mark.parametrize("name, text, warning", [("act.mlev", UNUSED_ACT, ACT_WARNING),
                                                 ("lr.mlev", UNREAD_LR, LR_WARNING)])
def test_check_warns_of_a_definition_that_evolving_another_could_make_matter(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, name: str, text: str, warning: str) -> None:
    code, out, err = cli(capsys, "check", _file(tmp_path, monkeypatch, name, text))
    assert code == 0
    assert out.startswith(f"{name}: ok")
    assert err == warning


def test_check_refuses_a_schedule_beside_an_update_rule_without_lr(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    err = usage_error(capsys, "check", _file(tmp_path, monkeypatch, "nolr.mlev", NO_LR))
    assert err.splitlines()[0] == ("nolr.mlev:7:10: error: schedule 'cosine' has no effect: optimizer 'sgd' takes no "
                                   "lr, the rate the schedule sets")
    assert err.splitlines()[-1] == ("hint: use lr in the update rule (e.g. w - lr * g, with lr: Scalar after g), or "
                                    "remove the schedule")
    assert "Traceback" not in err


@pytest.mark.parametrize("name, text, slot, first, hint", [
    ("act.mlev", UNUSED_ACT, "act",
     "act.mlev:7:12: error: activation 'act' has no effect: model 'net' never uses it, so evolving it cannot change "
     "the score",
     "hint: use it in a layer of the model, e.g. seq(dense(16), act), or remove it; or evolve net with it (net,act)"),
    ("lr.mlev", UNREAD_LR, "cosine",
     "lr.mlev:7:10: error: schedule 'cosine' has no effect: optimizer 'sgd' never reads lr, the rate the schedule "
     "sets, so evolving it cannot change the score",
     "hint: use lr in the update rule (e.g. w - lr * g), or remove the schedule; or evolve sgd with it "
     "(sgd,cosine)"),
])
def test_evolve_refuses_a_slot_with_no_effect_before_anything_runs(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys, name: str, text: str, slot: str,
        first: str, hint: str) -> None:
    err = usage_error(capsys, "evolve", _file(tmp_path, monkeypatch, name, text), "--evolve", slot,
                      "--db", "run.db")
    lines = err.splitlines()
    assert lines[0] == first  # one error line, nothing before it (the check's warning says the same)
    assert lines[-1] == hint
    assert len(lines) == 4  # the line, its source line and caret, the hint
    assert "Traceback" not in err
    assert not (tmp_path / "run.db").exists()


def test_a_slot_with_no_effect_is_evolvable_beside_the_definition_that_would_use_it() -> None:
    act, lr = parse(UNUSED_ACT), parse(UNREAD_LR)
    assert api.evolvable(act, ["net", "act"]) == ["net", "act"]
    assert api.evolvable(act, ["all"]) == ["net", "act"]
    assert api.evolvable(act, ["net"]) == ["net"]
    assert api.evolvable(lr, ["sgd", "cosine"]) == ["sgd", "cosine"]
    with pytest.raises(MlevError, match="'act' has no effect"):
        api.evolvable(act, ["act"])
    with pytest.raises(MlevError, match="'cosine' has no effect"):
        api.evolvable(lr, ["cosine"])


def test_what_has_an_effect_is_not_idle() -> None:
    for path in sorted((ROOT / "examples").glob("*.mlev")) + sorted((ROOT / "benchmarks").rglob("*.mlev")):
        assert idle(api.check(path)) == [], path
    used = parse(UNUSED_ACT.replace("relu_layer()", "act"))
    assert idle(used) == []
    no_model = parse("algorithm a\nactivation act(x: Tensor) -> Tensor =\n  x\n")  # the default model's activation
    assert idle(no_model) == []
    adam = parse("algorithm a\nschedule s(t: Scalar) -> Scalar =\n  0.01\n")  # no rule: Adam reads the rate
    assert idle(adam) == []


def test_reads_sees_through_a_let_that_hides_the_name() -> None:
    body = parse(UNREAD_LR.replace("w - 0.1 * g", "let lr = 0.1 in w - lr * g")).definitions[0].body
    assert body is not None and not reads(body, "lr")
    body = parse(UNREAD_LR.replace("w - 0.1 * g", "let a = lr in w - a * g")).definitions[0].body
    assert body is not None and reads(body, "lr")


def test_the_api_check_warns_with_the_place() -> None:
    with pytest.warns(ProgramWarning) as said:
        api.check(UNUSED_ACT, file="act.mlev")
    assert str(said[0].message) == ACT_WARNING.rstrip("\n")


def test_a_meta_configuration_refuses_evolving_a_slot_with_no_effect(tmp_path: Path, capsys: Capsys) -> None:
    program = tmp_path / "act.mlev"
    program.write_text(UNUSED_ACT)
    smoke = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text()
    text = smoke.replace("../../examples/quartic.mlev", str(program)).replace('evolve = ["f"]', 'evolve = ["act"]')
    assert 'evolve = ["act"]' in text and str(program) in text
    config = tmp_path / "c.toml"
    config.write_text(text)
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"))
    assert err.splitlines() == [
        f"{config}:4:12: error: evolve: activation 'act' has no effect: model 'net' never uses it, so evolving it "
        f"cannot change the score ({program}:7:12)",
        "hint: use it in a layer of the model, e.g. seq(dense(16), act), or remove it; or evolve net with it "
        "(net,act)"]
    assert not (tmp_path / "m.db").exists()


@pytest.mark.parametrize("rule, says", [
    ("optimizer sgd(w: Tensor, g: Tensor) -> Tensor =\n  w - 0.1 * g\n", "The rule takes no ``lr``"),
    ("optimizer sgd(w: Tensor, g: Tensor, lr: Scalar) -> Tensor =\n  w - 0.1 * g\n", "The rule never reads ``lr``"),
    ("optimizer sgd(w: Tensor, g: Tensor, lr: Scalar) -> Tensor =\n  w - lr * g\n", "so schedulers and"),
])
def test_an_exported_optimizer_promises_scheduler_support_only_where_it_reads_lr(
        tmp_path: Path, rule: str, says: str) -> None:
    source = api.export_component(parse("algorithm a\n" + rule), "sgd")
    assert says in source
    assert ("so schedulers and" in source) == ("w - lr" in rule)


# ------------------------------------------------------------------- a let whose name its body never reads

UNREAD_LET = ("algorithm a\ntask digits\n\n"
              "optimizer momentum(w: Tensor, g: Tensor, lr: Scalar, m: Tensor) -> (Tensor, Tensor) =\n"
              "  let m2 = 0.9 * m + g in\n  (w - lr * m, m)\n")


def test_check_warns_of_a_let_whose_name_is_never_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: Capsys) -> None:
    """``let m2 = 0.9 * m + g in (w - lr * m, m)`` (m written for m2) passed check silently, and the simplifier
    dropped the let: a run trained plain SGD (a fresh-user pass).  ``check`` warns at the name, status 0."""
    code, out, err = cli(capsys, "check", _file(tmp_path, monkeypatch, "let.mlev", UNREAD_LET))
    assert code == 0 and out == "let.mlev: ok (optimizer momentum)\n"
    assert err == ("let.mlev:5:7: warning: in optimizer 'momentum': let 'm2' is never used: its value is dropped\n"
                   "      let m2 = 0.9 * m + g in\n"
                   "          ^^\n"
                   "hint: use m2 after its `in` (was another name written where m2 was meant?), or remove the "
                   "binding\n")


@pytest.mark.parametrize("body, unread", [
    ("let a = x * x in a + x", []),
    ("let a = x * x in x", ["a"]),
    ("let a = x in let a = 2.0 * x in a", ["a"]),  # the outer a is hidden by the inner one: never read
    ("let a = x in let b = a in a", ["b"]),
    ("let a = (let b = x in x) in a", ["b"]),  # a let in a let's value
    ("sin(let a = x in 1.0) + x", ["a"]),
])
def test_an_unread_let_is_found_wherever_it_is(body: str, unread: list[str]) -> None:
    """Each let whose body does not read its name warns once, in preorder (shadowing as the language scopes it); a
    program read back from an archive (the search's, not the user's) does not warn."""
    text = f"algorithm a\nformula f(x: Scalar) -> Scalar =\n  {body}\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ProgramWarning)
        api.check(text)
    assert [str(w.message).split("let '")[1].split("'")[0] for w in caught] == unread
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProgramWarning)
        api.check(replace(parse(text), written=False))


def test_a_found_rule_and_its_exported_file_warn_alike() -> None:
    """One check of a program's effects for both: show DB --best (an archive's program) said the schedule has no
    effect, run of the exported .mlev that and that the rule never reads w (qa106)."""
    text = ("algorithm a\ntask digits\n" + "model net() -> Layer =\n  seq(dense(16), relu_layer())\n"
            "optimizer rule(w: Tensor, g: Tensor, lr: Scalar) -> Tensor =\n  square(g)\n"
            "schedule constant(t: Scalar) -> Scalar =\n  0.001\n")
    said = []
    for program in (parse(text), api.programs._stored(text, "run.db#best")):
        with pytest.warns(ProgramWarning) as caught:
            api.check(program)
        said.append([str(w.message).split(": warning: ")[-1].split(":")[0] for w in caught])
    assert said[0] == said[1] == ["schedule 'constant' has no effect", "optimizer 'rule' never reads w, the weight"]


def test_a_learner_method_s_unread_let_names_the_method() -> None:
    text = ("algorithm a\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
            "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    let e = y - p in w + 0.1 * (y - p) * x\n")
    with pytest.warns(ProgramWarning, match=r"in learner 'l', method learn: let 'e' is never used"):
        api.check(text)



@pytest.mark.parametrize("definition, warning", [
    ("loss l(p: Tensor, y: Tensor) -> Tensor =\n  square(p)\n",
     "loss 'l' never reads y, the target: it cannot fit the task's targets"),
    ("optimizer o(w: Tensor, g: Tensor, lr: Scalar) -> Tensor =\n  w - lr * w\n",
     "optimizer 'o' never reads g, the gradient: the weights never follow the loss"),
    ("learner l(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
     "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 0.1 * p * x\n",
     "learner 'l', method learn, never reads y, the target: the learner cannot fit the task's targets"),
    ("loss l(pred: Tensor, target: Tensor) -> Tensor =\n  square(pred - 1.0)\n",  # by position, whatever the name
     "loss 'l' never reads target, the target: it cannot fit the task's targets"),
])
def test_check_warns_of_an_input_a_definition_needs_but_never_reads(definition: str, warning: str) -> None:
    """A loss without its target, an update rule without its gradient, a learner's learn without its target passed
    check and trained on nothing, silently (a fresh-user pass): each warns at the parameter, once it checks, as
    written and read back from an archive alike (qa106: show DB --best said one warning of a found rule, run of its
    exported file two); one that reads it does not."""
    text = "algorithm a\n" + definition
    for program in (parse(text), replace(parse(text), written=False)):
        with pytest.warns(ProgramWarning) as caught:
            api.check(program)
        assert [str(w.message).split(": warning: ")[-1].split("\n")[0] for w in caught] == [warning]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ProgramWarning)
        for good in (UNUSED_ACT.replace("activation act", "loss l").replace("(x: Tensor)", "(p: Tensor, y: Tensor)")
                     .replace("x * sigmoid(x)", "square(p - y)"), api.format(ROOT / "examples" / "adam.mlev")):
            api.check(good)


# ------------------------------------------------------------------- the inputs each kind must read (dsl.kinds.NEEDED)

_HEADERS = {
    "activation": "activation a(x: Tensor) -> Tensor =",
    "augment": "augment a(x: Tensor) -> Tensor =",
    "loss": "loss l(p: Tensor, y: Tensor) -> Tensor =",
    "optimizer": "optimizer o(w: Tensor, g: Tensor, lr: Scalar) -> Tensor =",
    "pg_loss": "pg_loss l(logp: Tensor, ret: Tensor, adv: Tensor, value: Tensor, entropy: Tensor) -> Tensor =",
    "td_loss": "td_loss l(q: Tensor, target: Tensor, reward: Tensor, discount: Tensor) -> Tensor =",
    "vae_loss": "vae_loss l(x: Tensor, recon: Tensor, mu: Tensor, logvar: Tensor) -> Tensor =",
    "flow_loss": "flow_loss l(z: Tensor, logdet: Tensor) -> Tensor =",
}


@pytest.mark.parametrize("kind, body, unread", [
    ("activation", "full(0.5)", ["x"]), ("activation", "x * sigmoid(x)", []),
    ("augment", "full(0.0)", ["x"]), ("augment", "0.9 * x", []),
    ("loss", "square(y)", ["p"]), ("loss", "square(p)", ["y"]), ("loss", "square(p - y)", []),
    ("optimizer", "0.0 - lr * g", ["w"]), ("optimizer", "w - lr * w", ["g"]), ("optimizer", "w - 0.01 * g", []),
    ("pg_loss", "square(value - ret)", ["logp"]), ("pg_loss", "0.0 - logp * value - 0.01 * entropy", ["ret or adv"]),
    ("pg_loss", "0.0 - logp * adv", []), ("pg_loss", "0.0 - logp * ret", []),  # REINFORCE: no value, no entropy
    ("pg_loss", "0.0 - logp * adv + 0.5 * square(value - ret) - 0.01 * entropy", []),
    ("td_loss", "square(reward + discount * target)", ["q"]), ("td_loss", "square(q - discount * target)", ["reward"]),
    ("td_loss", "square(q - (reward + discount * target))", []), ("td_loss", "square(q - reward)", []),  # myopic
    ("vae_loss", "square(recon) + square(mu)", ["x"]), ("vae_loss", "square(x - mu) + exp(logvar)", ["recon"]),
    ("vae_loss", "square(x - recon)", []),  # an autoencoder: no KL term
    ("vae_loss", "0.5 * square(x - recon) + 0.5 * (exp(logvar) + square(mu) - 1.0 - logvar)", []),
    ("flow_loss", "0.0 - logdet", ["z"]), ("flow_loss", "0.5 * square(z)", ["logdet"]),
    ("flow_loss", "0.5 * square(z) + 0.9189385 - logdet", []),
])
def test_each_kind_warns_of_an_input_it_needs_and_no_other(kind: str, body: str, unread: list[str]) -> None:
    """A td_loss that never reads q, a vae_loss that never reads x or recon... passed check and trained on nothing,
    silently (a fresh-user pass); one that leaves out an input that may go unread (a pg_loss without value, a
    td_loss without target, a vae_loss without its KL term) is normal and says nothing."""
    text = f"algorithm a\n{_HEADERS[kind]}\n  {body}\n"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ProgramWarning)
        api.check(text, whole=False)
    said = [str(w.message).split("\n")[0] for w in caught]
    assert [s.split(" never reads ")[1].split(", ")[0] for s in said] == unread
    for s in said:
        assert s.startswith(f"<input>:2:{_HEADERS[kind].index(unread[0].split()[0] + ':') + 1}: warning: {kind} ")


def test_every_kind_and_learner_method_says_what_it_must_read() -> None:
    """The table of needed inputs is data with every kind and method as a key (an empty row: nothing must be read,
    the reason beside it), and each position in it is one of the kind's documented parameters."""
    from mlevolve.dsl.kinds import KINDS, NEEDED
    from mlevolve.dsl.parse import _KEYWORD_TERMINALS

    assert set(NEEDED) == set(KINDS) | set(_KEYWORD_TERMINALS["METHOD"])
    for kind, rows in NEEDED.items():
        for row in rows:
            assert row.at and all(i < len(KINDS[kind].names) for i in row.at if kind in KINDS and KINDS[kind].names)


def test_no_example_or_doc_program_warns_of_an_unread_input() -> None:
    """Every examples/ file and every program the docs show reads what its kind needs, but the one seed the docs
    show as a starting point for evolution (benchmarks/discovery's learner, both methods evolved from random)."""
    from mlevolve.dsl.kinds import unread_inputs
    from tests.cli.test_doc_programs import CASES

    programs = [(str(path.relative_to(ROOT)), "algorithm doc\n\n" + text) for path, text in CASES]
    programs += [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in sorted(ROOT.rglob("*.mlev"))
                 if ".git" not in p.parts]
    warned = [(where, e.message) for where, text in programs for e in unread_inputs(parse(text))]
    assert len(programs) > 20 and warned == [
        ("benchmarks/discovery/README.md", "learner 'l', method learn, never reads y, the target: the learner cannot "
                                           "fit the task's targets")]


SEED = ("algorithm s\ntask linear\n\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w\n")


@pytest.mark.parametrize("evolve, said", [(["l.learn"], []), (["l"], []), (["l.predict"], ["l.learn"])])
def test_evolve_says_nothing_of_an_unread_input_in_a_seed_it_rewrites(evolve: list[str], said: list[str],
                                                                     tmp_path: Path) -> None:
    """``learn(x, y, p) = w``, a seed to evolve from (benchmarks/discovery's), was warned of as a learner that cannot
    fit its targets, though the search rewrites it: ``evolve`` says so only of a body it keeps (``check`` always)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ProgramWarning)
        api.evolve(SEED, evolve=evolve, budget=2, db=tmp_path / "s.db")
    unread = [str(w.message) for w in caught if " never reads " in str(w.message)]
    assert [m.split("learner '")[1].split("'")[0] + ".learn" for m in unread] == said, unread
    with pytest.warns(ProgramWarning, match="method learn, never reads y"):
        api.check(SEED)


LET_SEED = ("algorithm s\ntask linear\n\nlearner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n"
            "    let u = dot(w, x) in dot(w, x)\n  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n"
            "    let v = p in w + 0.1 * (y - p) * x\n")


@pytest.mark.parametrize("evolve", [["l.learn"], ["l"], ["l.predict"], ["l.predict", "l.learn"]])
def test_evolve_says_an_unused_let_of_every_body_a_seed_it_rewrites_too(evolve: list[str], tmp_path: Path) -> None:
    """tidy65 left the unused-let warning unsaid of a seed the search rewrites, as d211433 an unread input; hint96
    (a fresh user's pass: ``check`` and ``run`` warned, ``evolve`` searched from the same file without a word) says
    it of every body: the starting program is the user's, and a dropped value a mistake in it, not a placeholder."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ProgramWarning)
        api.evolve(LET_SEED, evolve=evolve, budget=2, db=tmp_path / "s.db")
    unused = [str(w.message) for w in caught if " is never used" in str(w.message)]
    assert [m.split("method ")[1].split(":")[0] for m in unused] == ["predict", "learn"], unused
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ProgramWarning)
        api.check(LET_SEED)
    assert sum(" is never used" in str(w.message) for w in caught) == 2


# ------------------------------------------------------------------- a let that hides a parameter (qa76)

HIDDEN = "algorithm a\ntask nguyen4\n\nformula f(x: Scalar) -> Scalar =\n  let x = 2.0 in\n  x * x\n"
HIDDEN_SAID = ("h.mlev:5:7: warning: in formula 'f': let 'x' hides parameter 'x' before it is read: the input is "
               "dropped\n"
               "      let x = 2.0 in\n"
               "          ^\n"
               "hint: rename the let (was another name meant?), or read x in its value to rebind it (let x = 2.0 * x "
               "in ...)\n")


@pytest.mark.parametrize("command", [["check"], ["run"], ["export", "-o", "h.py"]])
def test_a_let_that_hides_an_unread_parameter_is_said_by_every_command_that_checks_it(
        command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    """``formula f(x: Scalar) -> Scalar = let x = 2.0 in x * x`` was accepted silently by every command (qa76),
    where ``let a = 2.0 in let a = 3.0 in a`` warns that the outer a is never used: a let that hides a name before
    anything reads it drops a value, a parameter's as an outer let's, and says so alike, status 0."""
    code, _, err = cli(capsys, command[0], _file(tmp_path, monkeypatch, "h.mlev", HIDDEN), *command[1:])
    assert code == 0 and err.startswith(HIDDEN_SAID), err


@pytest.mark.parametrize("text, hidden", [
    ("formula f(x: Scalar) -> Scalar = let x = 2.0 in x * x", ["x"]),
    ("formula f(x: Scalar) -> Scalar = let x = x * 2.0 in x", []),  # a rebinding reads it first
    ("formula f(x: Scalar) -> Scalar = let y = x in let x = 2.0 in x * y", []),  # read before the let
    ("formula f(x: Scalar, z: Scalar) -> Scalar = sin(let z = 1.0 in z) + x", ["z"]),  # a let in a call
    ("formula f(x: Scalar, z: Scalar) -> Scalar = x", []),  # an unread formula input, no let: no matter
    ("learner l(state w: Vector)\n  predict(x: Vector) -> Scalar = let x = w in dot(w, x)\n"
     "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + 0.1 * (y - p) * x", ["x"]),
])
def test_a_hidden_parameter_is_found_wherever_the_let_is(text: str, hidden: list[str]) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ProgramWarning)
        api.check(f"algorithm a\n{text}\n")
    said = [str(w.message) for w in caught if "hides parameter" in str(w.message)]
    assert [s.split("hides parameter '")[1].split("'")[0] for s in said] == hidden, said


def test_a_needed_input_a_let_hides_is_said_once_naming_the_let(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                capsys: Capsys) -> None:
    """A loss's prediction hidden by ``let p = ...`` is the unread-input warning (with its effect), its hint naming
    the let, not a second warning about the same mistake."""
    text = "algorithm a\nloss l(p: Tensor, y: Tensor) -> Tensor =\n  let p = 2.0 in\n  square(p - y)\n"
    code, _, err = cli(capsys, "check", _file(tmp_path, monkeypatch, "l.mlev", text))
    assert code == 0 and err == (
        "l.mlev:2:8: warning: loss 'l' never reads p, the prediction: the loss has no gradient: the model never "
        "trains\n"
        "    loss l(p: Tensor, y: Tensor) -> Tensor =\n"
        "           ^\n"
        "hint: let 'p' at line 3:7 hides it; use p in the body, or remove the definition\n")


def test_an_outer_let_an_inner_one_hides_is_said_at_the_hiding_let(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: Capsys) -> None:
    """Found by a new user's pass: docs/language.md said this warning was at the hiding let's name, where it was at
    the outer let's, its hint naming the inner one by line alone; now at the hiding let, as a hidden parameter's is,
    naming the outer one by line:column."""
    text = "algorithm a\nformula f(x: Scalar) -> Scalar =\n  let a = 2.0 in\n  let a = 3.0 in\n  a * x\n"
    code, _, err = cli(capsys, "check", _file(tmp_path, monkeypatch, "n.mlev", text))
    assert code == 0 and err == (
        "n.mlev:4:7: warning: in formula 'f': let 'a' hides let 'a' (line 3:7) before it is read: its value is "
        "dropped\n"
        "      let a = 3.0 in\n"
        "          ^\n"
        "hint: rename this let (was another name meant?), read a in its value to rebind it (let a = 2.0 * a in ...), "
        "or remove the outer binding\n")


@pytest.mark.parametrize("body, said", [
    ("let u = x * x in x * x * x + x", "let 'u' is never used: its value is dropped"),
    ("let x = 2.0 in x * x", "let 'x' hides parameter 'x' before it is read: the input is dropped"),
])
def test_evolve_says_an_unused_let_in_the_slot_it_evolves_once_before_the_search_as_check_and_run_do(
        body: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by a fresh user's pass (hint96): ``check`` and ``run`` warned of a dropped ``let`` in a formula that
    ``evolve`` then searched from without a word (its seed warnings were all left unsaid, not an unread input's
    only): the starting program is the user's, and its dropped value a mistake in it."""
    path = tmp_path / "f.mlev"
    path.write_text(f"algorithm f\ntask nguyen4\n\nformula f(x: Scalar) -> Scalar =\n  {body}\n")
    for argv in (["check", str(path)], ["run", str(path)],
                 ["evolve", str(path), "--budget", "2", "--db", str(tmp_path / "f.db")]):
        assert main(argv) == 0
        lines = capsys.readouterr().err.splitlines()
        warned = [i for i, line in enumerate(lines) if line.startswith(f"{path}:5:7: warning: in formula 'f': {said}")]
        assert len(warned) == 1, (argv, lines)
        assert argv[0] != "evolve" or warned[0] < next(i for i, x in enumerate(lines) if x.startswith("scoring:"))
