"""Every mistake in a grammar file is one error at its line and column, with a hint, exit status 2:
a bad value anywhere (an op, a literal, a [[rule]] or [[operator]] entry by its index, a [restrict]
table, [weights], [bandit]), an unsupported ``version``, a malformed ``digest``, and an ``extends``
that names a missing file or closes a cycle (at the ``extends`` key of the file that says so).  A
stale ``digest`` (the file, or one it extends, changed since it was written) is a one-line warning;
the recomputed digest is used."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.grammar.places import Place, locate
from mlevolve.grammar.spec import Focus, GrammarError, GrammarSpec, GrammarWarning, load_grammar
from tests.conftest import Capsys, cli

E = 'version = 1\nextends = "base"\n'
OWN = 'types = ["Num"]\n[literals.Num]\nchoices = [1.0]\n[op.f]\n'
S = 'types = ["Scalar"]\n[literals.Scalar]\nchoices = [1.0]\n'  # a grammar of its own, over mlevolve's types
RULE = '[[rule]]\nname = "r_a"\nsig = "Scalar -> Scalar"\nbody = "sin(h0)"\n\n'

CASES = [
    ('version = 2\nextends = "base"\n', "1:1", "unsupported grammar file version 2: this mlevolve reads version 1"),
    ('version = "1"\nextends = "base"\n', "1:1", '`version` must be an integer, got "1"'),  # as every key's type
    ('version = 1.0\nextends = "base"\n', "1:1", "`version` must be an integer, got 1.0"),
    ('extends = "base"\ndigest = "xyz"\n', "2:1", "`digest` must be 16 hexadecimal digits in a string, not \"xyz\""),
    ('extends = 3\n', "1:1", "`extends` must be \"base\" or a grammar file's path, not 3"),
    (E + RULE + '[[rule]]\nname = "r_b"\nsig = "Scalar -> Scalar"\nbody = "nope(h0)"\n', "11:1",
     "rule r_b does not type-check: unknown primitive 'nope'"),
    (E + RULE + '[[rule]]\nname = "r_b"\nbody = "sin(h0)"\n', "8:3", "malformed grammar: [[rule]] #2 has no 'sig' key"),
    (E + RULE + '[[rule]]\nname = "r_a"\nsig = "Scalar -> Scalar"\nbody = "cos(h0)"\n', "9:1",
     "rule r_a has the name of an existing production"),
    (E + RULE.replace('body = "sin(h0)"\n', 'body = "sin(h0)"\nweight = -1.0\n'), "7:1",
     "production r_a(Scalar) -> Scalar has a bad weight -1.0"),
    # the first of two rules: checking the second's body found it, and placed it at the second's weight (a user's pass)
    (E + RULE.replace('body = "sin(h0)"\n', 'body = "sin(h0)"\nweight = -1.0\n') + RULE.replace("r_a", "r_b")
     .replace('body = "sin(h0)"\n', 'body = "sin(h0)"\nweight = 0.5\n'), "7:1",
     "production r_a(Scalar) -> Scalar has a bad weight -1.0"),
    # names the language cannot read: a rule 'rü' that no program could call, an op 'fé' none could either
    (E + RULE.replace("r_a", "r\u00fc"), "4:1", "rule name 'r\u00fc' is not a lower-case identifier"),
    (OWN.replace("[op.f]\n", "[op.\"f\u00e9\"]\n") + 'sig = ["Num -> Num"]\n', "4:2",
     "op name 'f\u00e9' is not an identifier"),
    (E + RULE.replace("-> Scalar", "-> Foo"), "5:1", "rule r_a names type 'Foo', which the grammar does not have"),
    (E + RULE.replace("sin(h0)", "sin(h0"), "6:1", "rule r_a: its body does not parse"),
    (E + '[[operator]]\nname = "o1"\nprogram = "tweak()"\n[[operator]]\nname = "o1"\nprogram = "tweak()"\n', "7:1",
     "operator o1 is defined twice"),
    (E + '[[operator]]\nname = "o1"\nprogram = "tweak()"\nweight = "x"\n', "6:1",
     '[[operator]] #1 weight must be a number, got "x"'),
    (E + '[[operator]]\nname = "o1"\nprogram = "regrow(any)"\n', "5:1", "operator o1: write regrow(SELECTOR, DEPTH)"),
    (E + '[[operator]]\nname = "crossover"\nprogram = "tweak()"\n', "4:1",
     "operator name 'crossover' is taken by a built-in"),
    (E + '[weights]\n"add(Scalar,Scalar)" = 2.0\n"nope(Scalar)" = 2.0\n', "5:2",
     "[weights] names unknown production 'nope(Scalar)'"),
    (E + '[weights]\n"add(Scalar,Scalar)" = -2.0\n', "4:2", "[weights] 'add(Scalar,Scalar)' has a bad weight -2.0"),
    (E + '[restrict.learn]\ntypes = ["Scalar"]\nscale = 0.5\nkeep = ["nope(Scalar)"]\n', "6:1",
     "[restrict.learn] keeps unknown production 'nope(Scalar)'"),
    (E + '[restrict.learn]\ntypes = ["Nope"]\nscale = 0.5\n', "4:1", "[restrict.learn] names unknown type 'Nope'"),
    (E + '[restrict.learn]\ntypes = ["Scalar"]\n', "3:2",
     "[restrict.learn] has no 'scale' key: a new table says by how much"),
    (E + '[restrict.learner]\nscale = 0\n', "4:1", "[restrict.learner] has a bad scale 0.0"),
    (E + '[restrict.mine]\ntypes = ["Scalar", "Vector", "Matrix"]\nscale = 0.5\n', "4:1",
     "[restrict.mine] has the types of [restrict.learner]"),
    (E + '[bandit]\nfloor = 2.0\n', "4:1", "[bandit] floor must be in [0, 1], got 2.0"),
    (E + '[variables]\nweight = -1.0\n', "4:1", "variables have a bad weight -1.0"),
    # a number past a float's range is shown as the file writes it, not as the inf it is read as
    (E + '[weights]\n"add(Scalar,Scalar)" = 1e400\n', "4:2",
     '[weights] "add(Scalar,Scalar)" must be a number, finite, got 1e400'),
    (E + '[bandit]\nfloor = -1_0e400\n', "4:1", "[bandit] floor must be a number, finite, got -1_0e400"),
    # a nonzero number below a float's smallest is refused as written, not read as 0 silently (0 drops a production)
    (E + '[weights]\n"add(Scalar,Scalar)" = 5e-400\n', "4:2", '[weights] "add(Scalar,Scalar)" must be a number a '
     "float holds, got 5e-400: 5e-400 is below the smallest float, 5e-324, and would read as 0"),
    (E + '[variables]\nweight = 1.5E-999\n', "4:1", "[variables] weight must be a number a float holds, got "
     "1.5E-999: 1.5E-999 is below the smallest float, 5e-324, and would read as 0"),
    (OWN.replace("choices = [1.0]", "uniform = [1e-400, 2.0]") + 'sig = ["Num -> Num"]\n', "3:1",
     "[literals.Num] uniform must be a list of numbers a float holds, got [1e-400, 2.0]: 1e-400 is below"),
    # a total past a float's range: at the weight written that is the heaviest, [weights] before [op.NAME]
    (E + '[weights]\n"add(Scalar,Scalar)" = 1e308\n"mul(Scalar,Scalar)" = 1e308\n', "4:2",
     "the weights add up to more than a float holds (production add(Scalar, Scalar) -> Scalar has weight 1e+308)"),
    (OWN + 'sig = ["Num -> Num", "Num, Num -> Num"]\nweight = 1.7e308\n', "6:1",
     "the weights add up to more than a float holds (production f(Num) -> Num has weight 1.7e+308)"),
    (OWN.replace("choices = [1.0]", "uniform = [0.0, 2E+308]") + 'sig = ["Num -> Num"]\n', "3:1",
     "[literals.Num] uniform must be a list of numbers, finite, got [0.0, 2E+308]"),
    (E + '[literals.Scalar]\nweight = "x"\n', "4:1", '[literals.Scalar] weight must be a number, got "x"'),
    (OWN + 'sig = ["Num -> Nope"]\n', "5:1", "production f(Num) -> Nope names unknown type 'Nope'"),
    (OWN + 'weight = 1.0\n', "4:2", "op f has no signatures"),
    (OWN + 'sig = ["T -> T"]\n', "5:1", "op f: type variable T in 'T -> T' has no `forall` entry"),
    (OWN + 'sig = ["Num -> Num"]\nweight = -3\n', "6:1", "production f(Num) -> Num has a bad weight -3.0"),
    (OWN + 'sig = ["Num -> Num", "Num -> Num"]\n', "5:1", "production f(Num) -> Num is defined twice"),
    (OWN.replace('["Num"]', '["Num", "Num"]') + 'sig = ["Num -> Num"]\n', "1:1", "type Num is listed twice"),
    (OWN.replace('["Num"]', '["Num", "Vec"]') + 'sig = ["Num -> Num"]\n[op.g]\nsig = ["Vec -> Vec"]\n', "7:1",
     "type Vec can never terminate"),
    (OWN.replace("literals.Num", "literals.Nim") + 'sig = ["Num -> Num"]\n', "2:2", "literals for unknown type 'Nim'"),
    (OWN.replace("[op.f]\n", "[op.1f]\n") + 'sig = ["Num -> Num"]\n', "4:2", "op name '1f' is not an identifier"),
    ('version = 1\n', "1:1", "a grammar file extends another or defines its own types"),
    # what loaded and then failed every candidate that used it ("no numpy implementation"), or drew nothing
    (S + '[op.nope]\nsig = ["Scalar -> Scalar"]\n', "4:2", "[op.nope]: 'nope' is no primitive of mlevolve's: nothing "
     "could run it"),
    (S.replace('["Scalar"]', '["Scalar", "Vector"]') + '[op.sin]\nsig = ["Scalar -> Vector"]\n', "5:1",
     "[op.sin]: signature Scalar -> Vector is not one mlevolve implements for sin"),
    (S.replace('["Scalar"]', '["Scalar", "Num"]') + '[op.sin]\nsig = ["Scalar -> Scalar"]\n', "1:1",
     "type 'Num' is no type of mlevolve's"),
    (S.replace("[1.0]", "[]") + '[op.sin]\nsig = ["Scalar -> Scalar"]\n', "3:1",
     "literals of Scalar have nothing to draw from: no choices and no uniform range"),
    (S.replace("choices = [1.0]", 'doc = "none"') + '[op.sin]\nsig = ["Scalar -> Scalar"]\n', "2:2",
     "literals of Scalar have nothing to draw from"),
    (S.replace('["Scalar"]', '["Scalar", "Int"]') + '[literals.Int]\nchoices = [8, 0.5]\n', "5:1",
     "literals of Int are whole numbers, not 0.5"),
    (S.replace('["Scalar"]', '["Scalar", "Int", "Layer"]') + '[op.dense]\nsig = ["Int -> Layer"]\n', "5:1",
     "type Int can never terminate: no literal and no production makes one, yet production dense(Int) -> Layer takes"),
    ('types = []\n', "1:1", "`types` lists no types: nothing could be generated"),
    (S + '[op.sin]\nforall = { T = [] }\nsig = ["T -> T"]\n', "5:1", "[op.sin] forall.T ranges over no types"),
    # keys and tables that loaded and did nothing (QA round 4)
    (E + '[literals.Scalar]\nchoices = [7.0]\n', "4:1", "[literals.Scalar] choices is set by the grammar this one "
     "extends; a grammar that extends another changes only a literal's weight"),
    (E + '[literals.Scalar]\nuniform = [1.0, 2.0]\n', "4:1", "[literals.Scalar] uniform is set by the grammar"),
    (E + '[literals.Banana]\nweight = 1.0\n', "3:2", "[literals.Banana]: the grammar this one extends has no "
     "literals of type 'Banana' (no such type)"),
    (E + '[literals.Tensor]\nweight = 1.0\n', "3:2", "[literals.Tensor]: the grammar this one extends has no "
     "literals of type 'Tensor'"),
    (E + '[literals.Scalar]\nwieght = 1.0\n', "4:1", "[literals.Scalar] has no key 'wieght'"),
    (E + '[variables]\nwieght = 1.0\n', "4:1", "[variables] has no key 'wieght'"),
    (E + '[bandit]\nflor = 0.5\n', "4:1", "[bandit] has no key 'flor'"),
    (E + RULE.replace('body = "sin(h0)"\n', 'body = "sin(h0)"\nwieght = 2.0\n'), "7:1",
     "[[rule]] #1 has no key 'wieght'"),
    (E + '[[operator]]\nname = "o1"\nprogram = "tweak()"\nwieght = 2.0\n', "6:1",
     "[[operator]] #1 has no key 'wieght'"),
    (OWN + 'sig = ["Num -> Num"]\nwieght = 2.0\n', "6:1", "[op.f] has no key 'wieght'"),
    (E + '[restrict.learn]\ntypes = ["Scalar"]\nscale = 0.5\nkep = []\n', "6:1", "[restrict.learn] has no key 'kep'"),
    # tables of the wrong shape, at their header
    (E + '[[weights]]\n"add(Scalar,Scalar)" = 2.0\n', "3:3", "`weights` must be a table"),
    (E + '[rule]\nname = "r"\n', "3:2", "`rule` must be an array of tables, each written [[rule]], not a table"),
    ('version = true\nextends = "base"\n', "1:1", "`version` must be an integer, got true"),
]


@pytest.mark.parametrize(("text", "at", "message"), CASES)
def test_each_mistake_is_one_error_at_its_place(tmp_path: Path, capsys: Capsys, text: str, at: str,
                                               message: str) -> None:
    path = tmp_path / "g.grammar.toml"
    path.write_text(text)
    code, out, err = cli(capsys, "grammar", "show", str(path))
    lines = err.splitlines()
    assert (code, out) == (2, ""), err
    assert lines[0].startswith(f"{path}:{at}: error: {message}"), lines[0]
    assert lines[-1].startswith("hint: ")
    with pytest.raises(GrammarError) as caught:
        load_grammar(path)
    assert caught.value.file == str(path) and caught.value.span is not None


@pytest.mark.parametrize(("written", "read"), [("0.0e-400", 0.0), ("0e0", 0.0), ("-0.0", -0.0), ("1e-320", 1e-320),
                                              ("4.9e-324", 5e-324)])
def test_a_zero_written_or_a_subnormal_is_read_as_written(tmp_path: Path, written: str, read: float) -> None:
    path = tmp_path / "g.toml"
    path.write_text(E + f'[weights]\n"add(Scalar,Scalar)" = {written}\n')
    assert next(p.weight for p in load_grammar(path).productions if p.id == "add(Scalar,Scalar)") == read


@pytest.mark.parametrize(("text", "hint"), [
    ('version = "1"\nextends = "base"\n', "hint: version takes an integer, written without quotes: version = 1"),
    ('version = 1.0\nextends = "base"\n', "hint: version takes an integer, e.g. version = 1"),
    ('version = 2\nextends = "base"\n', "hint: write version = 1 (or leave it out); a file that a newer mlevolve "
                                         "wrote needs that mlevolve"),
    (E + '[weights]\n"add(Scalar,Scalar)" = 5e-400\n', 'hint: write "add(Scalar,Scalar)" = 0 if 0 is meant, else a '
     "number from 5e-324 up"),
    (E + '[restrict.learner]\nscale = 0\n', "hint: 0 would make every production it does not keep unreachable"),
    (E + '[restrict.learner]\nscale = -1\n', "hint: a scale multiplies the weights of the productions it does not "
                                              "keep: below 1 narrows"),
    # each said only "a grammar file is TOML as docs/meta.md describes" (a fresh-user pass)
    (E + '[rule]\nname = "r"\n', "hint: write each entry under a header of two brackets, [[rule]]"),
    (E + '[[weights]]\n"add(Scalar,Scalar)" = 2.0\n', "hint: write its header with one bracket, [weights], once"),
    (E + RULE.replace('name = "', 'name = "1'),
     "hint: a name is a lower-case ASCII letter or _, then ASCII letters, digits"),
    (E + RULE.replace('body = "sin(h0)"', 'body = "h0 +"'), 'hint: a body is one expression over its holes h0, h1'),
    (E + '[bandit]\nfloor = 1.5\n', "hint: the least share of the base mutations among the operators, e.g. 0.25"),
    (E + '[[operator]]\nname = "o1"\nprogram = "repeat(9, tweak())"\n', "hint: e.g. repeat(2, point(leaf))"),
    (E + '[[operator]]\nname = "o1"\nprogram = "regrow(deep, 9)"\n', "hint: e.g. regrow(deep, 2)"),
    (E + '[[operator]]\nname = "o1"\nprogram = "tweak(any)"\n', "hint: write tweak()"),
    (E + '[[operator]]\nname = "o1"\nprogram = "seq()"\n', "hint: e.g. seq(regrow(deep, 2), tweak())"),
])
def test_a_hint_fits_the_value_written(tmp_path: Path, capsys: Capsys, text: str, hint: str) -> None:
    """The version's type is reported as every key's (not as an unsupported version that is the one read), and
    a negative scale's hint is not about 0 (found by a new user's pass)."""
    path = tmp_path / "g.grammar.toml"
    path.write_text(text)
    code, _, err = cli(capsys, "grammar", "show", str(path))
    assert code == 2 and err.splitlines()[-1].startswith(hint), err


def test_a_missing_or_cyclic_extends_is_reported_in_the_file_that_says_so(tmp_path: Path, capsys: Capsys) -> None:
    child = tmp_path / "child.grammar.toml"
    child.write_text('version = 1\nextends = "parts/parent.toml"\n')
    code, _, err = cli(capsys, "grammar", "show", str(child))
    assert code == 2 and err.splitlines()[0] == (
        f"{child}:2:1: error: `extends` names grammar file 'parts/parent.toml', which does not exist "
        f"({(tmp_path / 'parts' / 'parent.toml').resolve()})")
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "parent.toml").write_text('extends = "../child.grammar.toml"\n')
    code, _, err = cli(capsys, "grammar", "show", str(child))
    assert code == 2 and err.splitlines()[0].startswith(f"{(tmp_path / 'parts' / 'parent.toml')}:1:1: error: "
                                                        "`extends` forms a cycle: ")
    (tmp_path / "parts" / "parent.toml").write_text('extends = "base"\n[weights]\n"nope(Scalar)" = 1.0\n')
    code, _, err = cli(capsys, "grammar", "show", str(child))  # a mistake in the parent: at its place there
    assert code == 2 and err.splitlines()[0].startswith(f"{tmp_path / 'parts' / 'parent.toml'}:3:2: error: ")


def test_a_stale_digest_is_a_warning_and_the_recomputed_one_is_used(tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "g.grammar.toml"
    path.write_text('version = 1\nextends = "base"\ndigest = "0000000000000000"  # recomputed on load\n')
    with pytest.warns(GrammarWarning, match="digest '0000000000000000' is stale") as caught:
        spec = load_grammar(path)
    assert spec.digest == load_grammar().digest
    error = caught[0].message.error  # type: ignore[union-attr]
    assert (error.file, error.span.line, error.span.column) == (str(path), 3, 1)
    code, out, err = cli(capsys, "grammar", "show", str(path))
    assert code == 0 and out.startswith("# grammar 'g.grammar'")
    assert err.splitlines() == [
        f"{path}:3:1: warning: digest '0000000000000000' is stale: this grammar's digest is '{spec.digest}' "
        "(the file, or a grammar it extends, changed since it was written)",
        '    digest = "0000000000000000"  # recomputed on load', "    ^^^^^^",
        f"hint: the digest is recomputed on load and '{spec.digest}' is used; write digest = \"{spec.digest}\" "
        "or drop the line"]
    path.write_text(spec.to_toml())  # what mlevolve writes reads back without a word
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_grammar(path).digest == spec.digest


def test_locate_finds_keys_headers_and_entries() -> None:
    text = 'version = 1\n[[rule]]\nname = "a"\nsig = "x"\n[[rule]]\nname = "b"\n[op."f"]\n  weight = 2\n'

    def at(place: Place) -> tuple[int, int] | None:
        span = locate(text, place)
        return None if span is None else (span.line, span.column)

    assert at((None, "version", None)) == (1, 1)
    assert at(("rule", "sig", 0)) == (4, 1)
    assert at(("rule", "sig", 1)) == (5, 3)  # the entry has no sig: its header
    assert at(("rule", None, "b")) == (5, 3)
    assert at(("op.f", "weight", None)) == (8, 3)
    assert at(("restrict.x", None, None)) is None


def test_file_encodings_case_and_missing_files(tmp_path: Path, capsys: Capsys) -> None:
    """A byte-order mark is skipped (as a .mlev file's is), a file that is not UTF-8 says so, a digest in
    upper case is the same digest, and a missing file says it is missing (not a TOML hint)."""
    base = load_grammar()
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + f'version = 1\nextends = "base"\ndigest = "{base.digest.upper()}"\n'.encode())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the upper-case digest is not stale
        assert load_grammar(bom).digest == base.digest
    for name, data, error, hint in [
        ("latin1.toml", b'version = 1\nextends = "base"\n# caf\xe9\n', ":3:6: error: not UTF-8 text (byte 0xe9 at "
         "offset 34)", "hint: a grammar file (TOML) is UTF-8 text: save it as UTF-8"),
        ("missing.toml", None, ": error: no such grammar file",
         'hint: check the path; the name "base" (no file) is the base grammar'),
    ]:
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        code, out, err = cli(capsys, "grammar", "show", str(path))
        assert (code, out, err.splitlines()[0], err.splitlines()[-1]) == (2, "", f"{path}{error}", hint)


def _kind_type_sets() -> list[frozenset[str]]:
    from mlevolve.dsl.kinds import KINDS

    return sorted({k.types for k in KINDS.values()}, key=sorted)


@st.composite
def _with_restrictions(draw: st.DrawFn) -> GrammarSpec:
    """The base grammar with its [restrict.learner] table changed or kept, and new tables for other kinds' types."""
    from dataclasses import replace

    base = load_grammar()
    ids = sorted(p.id for p in base.productions)
    scales = st.floats(0.001, 100.0, allow_nan=False, allow_infinity=False)
    keeps = st.frozensets(st.sampled_from(ids), max_size=6)
    docs = st.sampled_from(["", "a focus", 'quoted "doc" \\ with escapes'])
    focus = {f.name: f for f in base.focus}
    if draw(st.booleans()):
        learner = focus["learner"]
        focus["learner"] = replace(learner, scale=draw(scales), keep=draw(keeps), doc=draw(docs))
    taken = {f.types for f in focus.values()}
    free = [t for t in _kind_type_sets() if t not in taken]
    for i, types in enumerate(draw(st.lists(st.sampled_from(free), unique=True, max_size=3)) if free else []):
        focus[f"f{i}"] = Focus(f"f{i}", types, draw(scales), draw(keeps), draw(docs))
    return replace(base, focus=tuple(focus.values()))


@settings(max_examples=40, deadline=None)
@given(_with_restrictions())
def test_a_grammar_with_restrictions_round_trips_through_its_file(spec: GrammarSpec) -> None:
    import tomllib

    again = GrammarSpec.from_dict(tomllib.loads(spec.to_toml()))
    assert again.digest == spec.digest
    assert {f.name: (f.types, f.scale, f.keep, f.doc) for f in again.focus} == \
        {f.name: (f.types, f.scale, f.keep, f.doc) for f in spec.focus}


def test_a_grammar_without_a_table_of_its_parent_cannot_be_written() -> None:
    from dataclasses import replace

    with pytest.raises(GrammarError) as caught:
        replace(load_grammar(), focus=()).to_toml()
    assert caught.value.message == ("[restrict.learner] of the parent grammar is not in this one: a file that "
                                    "extends it cannot leave it out")


@pytest.mark.parametrize("weights", ['"add(Scalar,Scalar)" = 1e308\n"mul(Scalar,Scalar)" = 1e308\n',
                                     '"mul(Scalar,Scalar)" = 1.7e308\n'])  # drawn once per argument: 3.4e308
def test_weights_each_finite_whose_total_is_not_are_one_error_not_a_traceback(
        weights: str, tmp_path: Path, capsys: Capsys) -> None:
    """Each weight below a float's limit, their total past it: a search's draw (``random.choices``) raised
    "Total of weights must be finite" mid-run; now the file is refused when read, as sample and evolve read it."""
    path = tmp_path / "g.toml"
    path.write_text(E + "[weights]\n" + weights)
    for command in (["sample", "--grammar", str(path), "--type", "Scalar"],
                    ["evolve", "examples/quartic.mlev", "--grammar", str(path), "--budget", "20",
                     "--db", str(tmp_path / "r.db")]):
        code, _, err = cli(capsys, *command)
        assert code == 2 and "the weights add up to more than a float holds" in err and "divide them all" in err, err


RULES = """version = 1
extends = "base"
[[rule]]
name = "cube"
sig = "Scalar -> Scalar"
body = "h0 * h0 * h0"
[[rule]]
name = "quart"
sig = "Scalar -> Scalar"
body = "cube(h0) * h0"
"""


def test_check_passes_a_program_calling_learned_rules_as_run_runs_it(tmp_path: Path, capsys: Capsys) -> None:
    """``check --grammar G`` said "'quart(Scalar)' has no numpy implementation" of a program ``run --grammar G`` ran
    (a fresh-user pass): it compiled the program for its task line without the rules inlined, as run inlines them."""
    (tmp_path / "g.toml").write_text(RULES)
    program = tmp_path / "q.mlev"
    program.write_text("algorithm q\ntask koza_quartic\n\nformula f(x: Scalar) -> Scalar =\n"
                       "  quart(x) + cube(x) + x * x + x\n")
    grammar = ["--grammar", str(tmp_path / "g.toml")]
    assert cli(capsys, "check", str(program), *grammar) == (0, f"{program}: ok (formula f)\n", "")
    code, out, _ = cli(capsys, "run", str(program), *grammar, "--json")
    assert code == 0 and '"test_r2": 1.0' in out
    code, _, err = cli(capsys, "export", str(program), *grammar, "--component", "f", "-o", str(tmp_path / "f.py"))
    assert (code, err) == (0, "")


@pytest.mark.parametrize("command", [
    ["check", "{p}", "--grammar", "{g}"], ["run", "{p}", "--grammar", "{g}"],
    ["evolve", "{p}", "--budget", "4", "--grammar", "{g}"], ["export", "{p}", "-o", "-", "--grammar", "{g}"],
    ["sample", "--type", "Scalar", "--grammar", "{g}"], ["grammar", "show", "{g}"], ["grammar", "lark", "{g}"],
    ["grammar", "diff", "{g}"],
])
def test_every_command_that_reads_a_grammar_refuses_an_unknown_op(tmp_path: Path, capsys: Capsys,
                                                                   command: list[str]) -> None:
    grammar, program = tmp_path / "g.toml", tmp_path / "p.mlev"
    grammar.write_text(S + '[op.sinn]\nsig = ["Scalar -> Scalar"]\n')
    program.write_text("algorithm p\ntask koza_quartic\nformula f(x: Scalar) -> Scalar =\n  x\n")
    code, out, err = cli(capsys, *(a.format(p=program, g=grammar) for a in command))
    assert (code, out) == (2, ""), err
    assert err.splitlines() == [f"{grammar}:4:2: error: [op.sinn]: 'sinn' is no primitive of mlevolve's: nothing "
                                "could run it", "hint: did you mean 'sin'? `mlevolve grammar show` lists the "
                                "primitives; a [[rule]] defines an op of your own from them"]
