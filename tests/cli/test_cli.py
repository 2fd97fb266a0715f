"""The ``mlevolve`` command: check, fmt, grammar show/lark, sample, and its handling of bad flags."""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import pytest
from lark import Lark

from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.check import check_expr
from mlevolve.dsl.errors import MlevError
from mlevolve.dsl.parse import parse, parse_expr
from mlevolve.dsl.printer import format_program
from mlevolve.grammar.lark_render import render_lark
from mlevolve.grammar.spec import load_grammar
from tests.conftest import EXAMPLE_FILES as EXAMPLES
from tests.conftest import ROOT, Capsys, run_child, run_mlevolve, usage_error

SPEC = load_grammar()



def run(capsys: Capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


# ------------------------------------------------------------------------------------------ check


def test_check_examples(capsys: Capsys) -> None:
    code, out, err = run(capsys, "check", *map(str, EXAMPLES))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == len(EXAMPLES) >= 6
    for path, line in zip(EXAMPLES, lines, strict=True):
        assert line.startswith(f"{path}: ok (")
    assert f"{ROOT / 'examples' / 'mlp_digits.mlev'}: ok (activation act, loss xent, model net, optimizer momentum, " \
           "schedule constant)" in lines
    assert f"{ROOT / 'examples' / 'linear_regression.mlev'}: ok (learner linreg)" in lines


def test_check_an_empty_algorithm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    """A file without definitions is no program ``run``, ``evolve`` or ``export`` takes: ``check`` passed it ("ok
    (no definitions)") where they refused it, so a CI gate built on ``check`` let it through (a new user's pass)."""
    monkeypatch.chdir(tmp_path)
    Path("none.mlev").write_text("algorithm nothing\n")
    error = ["none.mlev:1:11: error: the program has no definitions", "    algorithm nothing", "              ^^^^^^^",
             "hint: add an activation, model, learner..."]
    assert run(capsys, "check", "none.mlev") == (2, "", "\n".join(error) + "\n")
    assert run(capsys, "run", "none.mlev") == (2, "", "\n".join(error) + "\n")


def test_check_with_a_custom_grammar(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path("g.toml").write_text('types = ["Scalar"]\n[literals.Scalar]\nchoices = [1.0]\n'
                              '[op.square]\ndoc = "x*x"\nsig = ["Scalar -> Scalar"]\n')
    Path("p.mlev").write_text("algorithm p\nformula f(x: Scalar) -> Scalar =\n  square(x)\n")
    assert run(capsys, "check", "p.mlev", "--grammar", "g.toml") == (0, "p.mlev: ok (formula f)\n", "")
    Path("q.mlev").write_text("algorithm q\nformula f(x: Scalar) -> Scalar =\n  sin(x)\n")
    assert run(capsys, "check", "q.mlev")[0] == 0
    code, out, err = run(capsys, "check", "q.mlev", "--grammar", "g.toml")  # g.toml has no `sin`
    assert code == 2 and "unknown primitive 'sin'" in err
    # an op no backend implements is refused where the file names it (it loaded, and failed every candidate)
    Path("g.toml").write_text('types = ["Scalar"]\n[literals.Scalar]\nchoices = [1.0]\n'
                              '[op.twice]\ndoc = "2x"\nsig = ["Scalar -> Scalar"]\n')
    code, out, err = run(capsys, "check", "p.mlev", "--grammar", "g.toml")
    assert (code, out) == (2, "") and err.splitlines()[0] == (
        "g.toml:4:2: error: [op.twice]: 'twice' is no primitive of mlevolve's: nothing could run it")
    Path("bad.toml").write_text("types = [\n")
    code, out, err = run(capsys, "check", "p.mlev", "--grammar", "bad.toml")
    assert code == 2 and out == ""
    assert err.startswith("bad.toml:2:1: error: not valid TOML")  # at the end of the document: its last line


# ------------------------------------------------------------------------------------------ fmt


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_fmt_prints_canonical_text(path: Path, capsys: Capsys) -> None:
    code, out, err = run(capsys, "fmt", str(path))
    assert (code, err) == (0, "")
    source = path.read_text()
    assert out == source  # the examples are in canonical layout
    assert out == api.format(parse(source))
    assert parse(out) == parse(source)


def test_fmt_of_several_files_names_each(capsys: Capsys) -> None:
    """``fmt A B`` printed the two texts run together, with nothing to tell where one ended (a fresh-user pass)."""
    a, b = EXAMPLES[0], EXAMPLES[1]
    code, out, err = run(capsys, "fmt", str(a), str(b))
    assert (code, err) == (0, "")
    assert out == f"==> {a} <==\n{a.read_text()}\n==> {b} <==\n{b.read_text()}"


def test_fmt_check_on_examples(capsys: Capsys) -> None:
    assert run(capsys, "fmt", "--check", *map(str, EXAMPLES)) == (0, "", "")


MESSY = """\
# header comment
algorithm   messy
   task "my task"
# leading for act
activation act(x:Tensor)->Tensor=relu( x )   # end of line
learner l(state w: Vector, state b: Scalar)
  predict(x: Vector) -> Scalar = dot(w,x)+b
  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Scalar) =
    let e = y - p in  # the error
    # scale it
    let s = 0.1 * e in
    (w + s * x, b + s)
formula f(x: Scalar) -> Scalar = ((x*x)) - (x - (1))
# footer
"""

TIDY = """\
# header comment
algorithm messy
task "my task"

# leading for act
activation act(x: Tensor) -> Tensor =
  relu(x)  # end of line

learner l(state w: Vector, state b: Scalar)
  predict(x: Vector) -> Scalar =
    dot(w, x) + b
  learn(x: Vector, y: Scalar, p: Scalar) -> (Vector, Scalar) =
    let e = y - p in  # the error
    # scale it
    let s = 0.1 * e in
    (w + s * x, b + s)

formula f(x: Scalar) -> Scalar =
  x * x - (x - 1)

# footer
"""


def test_fmt_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path("messy.mlev").write_text(MESSY)
    assert run(capsys, "fmt", "messy.mlev") == (0, TIDY, "")
    assert parse(TIDY) == parse(MESSY)
    assert format_program(parse(TIDY)) == TIDY


def test_fmt_check_on_a_badly_formatted_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copy(ROOT / "examples" / "adam.mlev", "good.mlev")
    Path("bad.mlev").write_text((ROOT / "examples" / "adam.mlev").read_text().replace("  let m2 = ", "let   m2=", 1))
    assert run(capsys, "fmt", "--check", "good.mlev", "bad.mlev") == (1, "bad.mlev: would reformat\n", "")
    assert run(capsys, "fmt", "--check", "good.mlev") == (0, "", "")
    Path("bad.mlev").write_text((ROOT / "examples" / "adam.mlev").read_text() + "\n")  # one blank line too many
    assert run(capsys, "fmt", "--check", "bad.mlev") == (1, "bad.mlev: would reformat\n", "")
    # A syntax error wins over "would reformat": exit 2.
    Path("broken.mlev").write_text("algorithm\n")
    code, out, err = run(capsys, "fmt", "--check", "bad.mlev", "broken.mlev")
    assert code == 2 and out == "bad.mlev: would reformat\n" and err.startswith("broken.mlev:1:10: error:")


def test_fmt_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path("messy.mlev").write_text(MESSY)
    shutil.copy(ROOT / "examples" / "quartic.mlev", "tidy.mlev")
    assert run(capsys, "fmt", "--write", "messy.mlev", "tidy.mlev") == (0, "messy.mlev: reformatted\n", "")
    assert Path("messy.mlev").read_text() == TIDY
    for comment in ("# header comment", "# leading for act", "# end of line", "# the error", "# scale it", "# footer"):
        assert comment in Path("messy.mlev").read_text()
    assert Path("tidy.mlev").read_text() == (ROOT / "examples" / "quartic.mlev").read_text()
    # Idempotent.
    assert run(capsys, "fmt", "--write", "messy.mlev") == (0, "", "")
    assert run(capsys, "fmt", "--check", "messy.mlev") == (0, "", "")


@pytest.mark.parametrize("header, body, error", [
    ("formula f(x: Scalar) -> Scalar =", "x  +  y", "unknown name 'y'"),
    ("formula f(x: Scalar) -> Scalar =", "sinn( x )", "unknown primitive 'sinn'"),
    ("activation a(x: Tensor) -> Scalar =", "x*x", "must have the signature"),
    ("loss l(p: Tensor) -> Tensor =", "square( p )", "must have the signature"),
    ("frobnicate f(x: Scalar) -> Scalar =", "x", "unknown component kind"),
    ("formula f(x: Scalar) -> Scalar =", "let a = x in  (a, a)", "expected Scalar"),
])
def test_fmt_formats_a_program_that_fails_type_checking(header: str, body: str, error: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    """As Black formats code that would fail at run time, ``fmt`` lays out any program that parses (as ``fmt
    --help`` and docs/language.md say): the file is rewritten, status 0, nothing on stderr, and ``check`` still
    reports the same type error in the formatted file."""
    monkeypatch.chdir(tmp_path)
    messy = f"algorithm   bad\n{header}\n        {body}\n"
    Path("bad.mlev").write_text(messy)
    with pytest.raises(MlevError, match=re.escape(error)):
        api.check(messy)
    assert run(capsys, "fmt", "--write", "bad.mlev") == (0, "bad.mlev: reformatted\n", "")
    tidy = Path("bad.mlev").read_text()
    assert tidy != messy and tidy.startswith("algorithm bad\n") and parse(tidy) == parse(messy)
    assert run(capsys, "fmt", "--check", "bad.mlev") == (0, "", "")
    code, _, err = run(capsys, "check", "bad.mlev")
    assert code == 2 and error in err


def test_fmt_help_and_the_docs_say_it_formats_what_fails_type_checking(capsys: Capsys) -> None:
    with pytest.raises(SystemExit):
        main(["fmt", "--help"])
    assert "whether or not it type-checks" in " ".join(capsys.readouterr().out.split())
    assert "whether or not it type-checks" in " ".join((ROOT / "docs" / "language.md").read_text().split())


def test_fmt_write_keeps_non_ascii_comments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys) -> None:
    monkeypatch.chdir(tmp_path)
    Path("u.mlev").write_text("# café ∑ — ok\nalgorithm   u\n", encoding="utf-8")
    assert run(capsys, "fmt", "--write", "u.mlev") == (0, "u.mlev: reformatted\n", "")
    assert Path("u.mlev").read_text(encoding="utf-8") == "# café ∑ — ok\nalgorithm u\n"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_fmt_write_keeps_the_files_line_ending_and_bom(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: Capsys, newline: str, bom: bytes) -> None:
    """A file is read with universal newlines and without its BOM, so ``--check`` passed a tidy CRLF file (or one
    with a BOM) and left it as it was, but ``--write`` of an untidy one wrote LF and dropped the BOM: the file's
    form depended on whether it needed reformatting.  It is the file's own now (its first line's ending, as Black
    keeps it, and its BOM), and the file is then tidy."""
    monkeypatch.chdir(tmp_path)
    Path("messy.mlev").write_bytes(bom + MESSY.replace("\n", newline).encode())
    assert run(capsys, "fmt", "--write", "messy.mlev") == (0, "messy.mlev: reformatted\n", "")
    assert Path("messy.mlev").read_bytes() == bom + TIDY.replace("\n", newline).encode()
    assert run(capsys, "fmt", "--check", "messy.mlev") == (0, "", "")


def test_fmt_write_and_check_are_exclusive(capsys: Capsys) -> None:
    code, out, err = run(capsys, "fmt", "--write", "--check", str(EXAMPLES[0]))
    assert code == 2 and out == ""
    assert err == ("mlevolve fmt: error: argument --check: not allowed with argument --write\n"
                   "hint: run `mlevolve fmt --help`\n")


# ------------------------------------------------------------------------------------------ grammar


def test_grammar_show(capsys: Capsys) -> None:
    code, out, err = run(capsys, "grammar", "show")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "# grammar 'base': 131 productions, 6 types"
    for t, depth in SPEC.min_depth.items():
        assert f"{t}  (min depth {depth})" in lines
    for p in SPEC.productions:
        assert any(line.startswith(f"  {p.op}({', '.join(p.args)}) ") for line in lines), p
    assert "variables in scope: w=3" in lines
    assert "component kinds:" in lines
    assert any(line.startswith("  activation  (Tensor) -> Tensor ") for line in lines)
    assert any(line.startswith("  formula     (Scalar...) -> Scalar ") for line in lines)


def test_grammar_show_one_type(capsys: Capsys) -> None:
    code, out, err = run(capsys, "grammar", "show", "--type", "Layer")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == ["# grammar 'base': 131 productions, 6 types", "", "Layer  (min depth 1)"]
    body = lines[3:]
    assert len(body) == len(SPEC.by_result["Layer"]) == 11
    assert body[0].startswith("  dense(Int) ") and "w=2 " in body[0] and body[0].endswith(
        "A fully connected layer with n outputs (input size inferred).")
    assert body[-1].split() == ["tanh_layer()", "w=0.3", "tanh", "as", "a", "layer."]
    assert "Scalar  (min depth" not in out and "component kinds" not in out

    code, out, err = run(capsys, "grammar", "show", "--type", "Scalar")
    assert code == 0 and "  <literal>  " in out and "w=1.5" in out


def test_grammar_show_of_a_file(tmp_path: Path, capsys: Capsys) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text('types = ["Scalar", "Vector"]\n[literals.Scalar]\nweight = 2.0\nchoices = [1.0]\ndoc = "a number"\n'
                    '[op.square]\ndoc = "eff"\nsig = ["Scalar -> Scalar"]\n')
    code, out, err = run(capsys, "grammar", "show", str(path))
    assert (code, err) == (0, "")
    assert out.splitlines()[:6] == [
        "# grammar 'tiny': 1 production, 2 types",  # one, not "1 productions"
        "",
        "Scalar  (min depth 1)",
        "  <literal>                          w=2     a number",
        "  square(Scalar)                     w=1     eff",
        "",
    ]
    assert "Vector  (min depth never)" in out


def test_grammar_lark(capsys: Capsys) -> None:
    code, out, err = run(capsys, "grammar", "lark")
    assert (code, err) == (0, "")
    assert out == render_lark(SPEC)
    parser = Lark(out, parser="earley", start=["tensor_expr", "layer_expr"])
    parser.parse("x * sigmoid(x)", start="tensor_expr")
    parser.parse("seq(dense(64), act)", start="layer_expr")


# ------------------------------------------------------------------------------------------ sample


def test_sample(capsys: Capsys) -> None:
    argv = ("sample", "--type", "Tensor", "-n", "5", "--seed", "1", "--var", "x:Tensor")
    code, out, err = run(capsys, *argv)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 5 and out.endswith("\n")
    for line in lines:
        assert check_expr(parse_expr(line), {"x": "Tensor"}, SPEC, "Tensor") == "Tensor"
    assert run(capsys, *argv)[1] == out  # the same seed, the same output
    assert run(capsys, *argv[:-4], "--seed", "2", "--var", "x:Tensor")[1] != out
    assert api.sample("Tensor", 5, seed=1, env={"x": "Tensor"}) == [parse_expr(line) for line in lines]


@pytest.mark.parametrize("method", ["grow", "full", "ramped"])
@pytest.mark.parametrize("type_", SPEC.types)
def test_sample_every_type(capsys: Capsys, method: str, type_: str) -> None:
    code, out, err = run(capsys, "sample", "--type", type_, "-n", "20", "--depth", "4", "--method", method,
                         "--var", "v:Vector", "--var", "s:Scalar")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert len(lines) == 20
    for line in lines:
        expr = parse_expr(line)
        assert expr.depth <= 4
        check_expr(expr, {"v": "Vector", "s": "Scalar"}, SPEC, type_)


@pytest.mark.e2e
def test_sample_is_reproducible_across_processes(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "mlevolve.cli", "sample", "--type", "Matrix", "-n", "8", "--seed", "7",
            "--var", "v:Vector", "--var", "m:Matrix"]
    outs = set()
    for hash_seed in ("0", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        result = run_child(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
        assert result.returncode == 0 and result.stderr == ""
        outs.add(result.stdout)
    assert len(outs) == 1 and len(outs.pop().splitlines()) == 8


# ------------------------------------------------------------------------------------------ bad flags

TYPES_HINT = "hint: types: Scalar, Vector, Matrix, Tensor, Int, Layer\n"
VAR_HINT = ("hint: write NAME:TYPE, e.g. x:Tensor (a name is ASCII letters, digits and _, not starting with a digit); "
            "types: Scalar, Vector, Matrix, Tensor, Int, Layer\n")


@pytest.mark.parametrize(
    ("argv", "stderr"),
    [
        (["sample", "--type", "Tensr"], "mlevolve sample: error: unknown type 'Tensr'\n"
         + TYPES_HINT.replace("hint: ", "hint: did you mean 'Tensor'? ")),
        (["grammar", "show", "--type", "Nope"], "mlevolve grammar show: error: unknown type 'Nope'\n" + TYPES_HINT),
        (["sample", "--type", "Tensor", "--var", "x"], "mlevolve sample: error: bad --var 'x': no :TYPE\n" + VAR_HINT),
        (["sample", "--type", "Tensor", "--var", "x:Tensr"],
         "mlevolve sample: error: bad --var 'x:Tensr': unknown type 'Tensr'\n"
         + TYPES_HINT.replace("hint: ", "hint: did you mean 'Tensor'? ")),
        (["sample", "--type", "Tensor", "--var", "1x:Tensor"],
         "mlevolve sample: error: bad --var '1x:Tensor': '1x' is not a name\n" + VAR_HINT),
        (["sample", "--type", "Tensor", "--var", "in:Tensor"],
         "mlevolve sample: error: bad --var 'in:Tensor': 'in' is a keyword\nhint: choose another name\n"),
        (["sample", "--type", "Tensor", "-n", "0"],
         "mlevolve sample: error: -n must be at least 1, got 0\nhint: pass -n 1 or more\n"),
        (["sample", "--type", "Tensor", "--depth", "0"],
         "mlevolve sample: error: --depth must be at least 1, got 0\nhint: pass --depth 1 or more\n"),
        (["sample", "--type", "Matrix", "--depth", "1"],
         "mlevolve sample: error: depth 1 is too shallow for Matrix\nhint: the least depth of a Matrix here is 2\n"),
        (["sample", "--type", "Tensor", "--depth", "1", "--method", "full"],
         "mlevolve sample: error: depth 1 is too shallow for Tensor\nhint: the least depth of a Tensor here is 2\n"),
        (["frobnicate"], re.compile(r"mlevolve: error: invalid choice 'frobnicate': the commands are check, fmt, "
                                    r"grammar, sample.*\nhint: run `mlevolve --help`\n")),
        (["sample", "--type", "Tensor", "--method", "bogus"],
         "mlevolve sample: error: argument --method: invalid choice: 'bogus' (choose from 'grow', 'full', 'ramped')\n"
         "hint: --method: Koza's grow, full, or ramped half-and-half (default ramped); run `mlevolve sample --help`\n"),
        (["sample", "--type", "Tensor", "-n", "many"],
         "mlevolve sample: error: argument -n: invalid int value: 'many'\nhint: an integer is ASCII digits, as 20 or "
         "1e3: no sign, inner space, comma, decimal point or _; run `mlevolve sample --help`\n"),
        (["sample"], "mlevolve sample: error: the following arguments are required: --type\n"
                     "hint: run `mlevolve sample --help`\n"),
        (["grammar"], "mlevolve grammar: error: the following arguments are required: ACTION\n"
                      "hint: run `mlevolve grammar --help`\n"),
        (["check"], "mlevolve check: error: the following arguments are required: FILE\n"
                    "hint: run `mlevolve check --help`\n"),
        (["check", "--frob", "x.mlev"], "mlevolve check: error: unrecognized arguments: --frob\n"
                                        "hint: run `mlevolve check --help`\n"),
        (["run", "q.mlev", "--seed"], "mlevolve run: error: argument --seed: expected one argument\n"
                                      "hint: run `mlevolve run --help`\n"),
        (["show", "x.db", "--best", "--best"], "mlevolve show: error: argument --best: given twice; give it once\n"
                                               "hint: run `mlevolve show --help`\n"),
        (["evolve", "q.mlev", "--quiet", "--quiet"], "mlevolve evolve: error: argument --quiet: given twice; "
                                                     "give it once\nhint: run `mlevolve evolve --help`\n"),
    ],
)
def test_bad_flags(capsys: Capsys, argv: list[str], stderr: str | re.Pattern[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    if isinstance(stderr, str):
        assert err == stderr
    else:
        assert stderr.fullmatch(err), err
    assert re.match(r"mlevolve( [a-z]+)*: error: ", err) and err.splitlines()[-1].startswith("hint: ")


def test_a_depth_just_enough_is_fine(capsys: Capsys) -> None:
    code, out, err = run(capsys, "sample", "--type", "Matrix", "--depth", "2", "-n", "10")
    assert (code, err) == (0, "")
    assert all(parse_expr(line).depth <= 2 for line in out.splitlines())
    # A variable makes a type shallower: a Matrix in scope is depth 1.
    code, out, err = run(capsys, "sample", "--type", "Matrix", "--depth", "1", "-n", "3", "--var", "m:Matrix")
    assert (code, out, err) == (0, "m\nm\nm\n", "")


def test_no_command_prints_help(capsys: Capsys) -> None:
    code, out, err = run(capsys)
    assert code == 2 and err == ""
    assert out.startswith("usage: mlevolve ")
    for command in ("check", "fmt", "grammar", "sample"):
        assert f"    {command} " in out


def test_version(capsys: Capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == "mlevolve 0.1.0\n"


@pytest.mark.e2e
def test_console_script_in_a_subprocess(tmp_path: Path) -> None:
    result = run_mlevolve("sample", "--type", "Nope", cwd=tmp_path, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == "mlevolve sample: error: unknown type 'Nope'\n" + TYPES_HINT


def test_fmt_keeps_a_comment_above_a_method_above_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("l.mlev").write_text(
        "algorithm a\n\nlearner l(state w: Vector)  # memory\n  # about predict\n"
        "  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
        "  # about learn\n  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w + 0.1 * (y - p) * x\n")
    tidy = ("algorithm a\n\nlearner l(state w: Vector)  # memory\n"
            "  # about predict\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
            "  # about learn\n  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w + 0.1 * (y - p) * x\n")
    assert run(capsys, "fmt", "l.mlev") == (0, tidy, "")
    Path("tidy.mlev").write_text(tidy)
    assert run(capsys, "fmt", "--check", "tidy.mlev") == (0, "", "")


@pytest.mark.parametrize("command", [["show", "{}", "--sympy"], ["show", "{}", "--latex"],
                                     ["export", "{}", "--component", "f", "-o", "{out}"]])
def test_a_mistake_in_a_file_is_shown_with_its_line_by_every_command_that_reads_one(
        tmp_path: Path, capsys: Capsys, command: list[str]) -> None:
    """``show FILE --sympy`` and ``export FILE --component`` gave the error's two lines without the source line and
    caret that ``check``, ``run``, ``evolve`` and ``export -o`` show (a fresh-user pass)."""
    path = tmp_path / "bad.mlev"
    path.write_text("algorithm t\ntask nguyen1\n\nformula f(x: Scalar) -> Scalar =\n  dot(x, x) + 1.0\n")
    lines = usage_error(capsys, *[a.format(path, out=tmp_path / "c.py") for a in command]).splitlines()
    assert lines == usage_error(capsys, "check", str(path)).splitlines()
    assert lines[:3] == [f"{path}:5:3: error: in formula 'f': 'dot' expects (Vector, Vector), found (Scalar, Scalar)",
                         "      dot(x, x) + 1.0", "      ^^^^^^^^^"]


@pytest.mark.parametrize(("argv", "hint"), [
    (["evolve", "{q}", "--budget", "3", "--prune", "false"], "--prune takes no value: write --prune or --no-prune "
     "alone; run `mlevolve evolve --help`"),
    (["evolve", "{q}", "--budget", "3", "--no-hurdle", "0.5"], "--no-hurdle takes no value: write --hurdle or "
     "--no-hurdle alone; run `mlevolve evolve --help`"),
    (["run", "{q}", "--json", "true"], "--json takes no value: write --json alone; run `mlevolve run --help`"),
    (["run", "{q}", "true"], "run `mlevolve run --help`"),  # no switch before it: the plain hint
])
def test_a_value_given_to_a_switch_is_told_it_takes_none(capsys: Capsys, argv: list[str], hint: str) -> None:
    """``--prune false`` read as a stray argument 'false' with only the help to read; the hint says the switch
    takes no value, as a benchmark script's parser says it (one function, mlevolve.script.switch_value_hint)."""
    quartic = str(ROOT / "examples" / "quartic.mlev")
    err = usage_error(capsys, *(a.format(q=quartic) for a in argv))
    assert err.splitlines() == [f"mlevolve {argv[0]}: error: unrecognized arguments: {argv[-1]}", f"hint: {hint}"]


def test_a_scripts_switch_given_a_value_is_told_it_takes_none(capsys: Capsys) -> None:
    from mlevolve.script import ArgumentParser

    parser = ArgumentParser(prog="s.py")
    parser.add_argument("db")
    parser.add_argument("--meta", action="store_true")
    with pytest.raises(SystemExit) as done:
        parser.parse_args(["a.db", "--meta", "yes"])  # an intermixed parse reads a part of them again
    assert done.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        "s.py: error: unrecognized arguments: yes", "hint: --meta takes no value: write --meta alone; run "
        "`s.py --help`"]
