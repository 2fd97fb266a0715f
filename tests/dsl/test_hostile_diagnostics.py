"""Diagnostics stay readable on hostile input (warn89): a quoted source line is a bounded window around the place,
its control and bidi characters escaped; many warnings of one kind are a few in full, then one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.errors import QUOTE_WIDTH, MlevError, capped, quoted_line
from mlevolve.dsl.ir import Span
from mlevolve.dsl.kinds import unread_lets


def lets(n: int) -> str:
    """A one-line formula of ``n`` lets, each unused but the last (fuzz88's 70 KB program at n=3000)."""
    return "algorithm a\nformula f(x: Scalar) -> Scalar =\n  " + "".join(
        f"let v{i} = x + {i} in " for i in range(n)) + f"v{n - 1}\n"


def test_a_long_line_is_quoted_as_a_window_with_the_caret_under_the_place() -> None:
    line = "a" * 200 + "XYZ" + "b" * 200
    text, caret = quoted_line(line, 201, 3)
    assert len(text) <= QUOTE_WIDTH + 6 and text.startswith("...") and text.endswith("...")
    assert caret.strip() == "^^^" and text[caret.index("^"):caret.index("^") + 3] == "XYZ"


def test_a_short_line_is_quoted_whole() -> None:
    assert quoted_line("let a = x in b", 5, 1) == ("let a = x in b", "    ^")


def test_a_bidi_override_or_escape_in_a_quoted_line_is_shown_escaped_and_the_caret_follows() -> None:
    text, caret = quoted_line("a\u202eb\x1bc d", 7, 1)
    assert text == "a\\u202eb\\x1bc d" and "\u202e" not in text and text[caret.index("^")] == "d"


def test_a_rendered_error_quotes_a_window_of_a_long_line() -> None:
    source = "x" * 5000 + " bad " + "y" * 5000
    err = MlevError("unknown name 'bad'", Span(1, 5002, 1, 5005), "a hint", "p.mlev")
    said = err.render(source)
    lines = said.split("\n")
    assert lines[0] == "p.mlev:1:5002: error: unknown name 'bad'" and lines[-1] == "hint: a hint"
    assert max(map(len, lines)) < 120 and lines[1][lines[2].index("^"):][:3] == "bad"


def test_warnings_of_one_kind_past_three_are_one_line_naming_the_rest() -> None:
    errors = [MlevError(f"let 'v{i}' is never used", Span(1, i + 1, 1, i + 2), "use it") for i in range(10)]
    out = capped([MlevError("other 'q'"), *errors])
    assert [e.message for e in out] == ["other 'q'", "let 'v0' is never used", "let 'v1' is never used",
                                        "let 'v2' is never used",
                                        "and 7 more like the one above (let '…' is never used): 'v3', 'v4', 'v5', "
                                        "'v6', 'v7', ... ('v9')"]
    assert out[-1].span == errors[3].span


def test_a_cap_line_follows_its_own_kind_and_names_it() -> None:
    """qa90: two kinds interleaved (a hiding let, then an unused one, per line) put "and 56 more like the one
    above" right after a warning of the other kind; each cap now follows its kind's last shown and names it."""
    errors = [e for i in range(6) for e in (MlevError(f"in formula 'f': let 'a{i}' hides let 'a{i}' (line {i}:7) "
                                                      "before it is read: its value is dropped", Span(i, 1, i, 2)),
                                            MlevError(f"in formula 'f': let 'a{i}' is never used: its value is "
                                                      "dropped", Span(i, 1, i, 2)))]
    said = [e.message for e in capped(errors)]
    assert said[5:] == ["and 3 more like the one above (let '…' hides let '…' (line …) before it is read): 'a3', "
                        "'a4', 'a5'", "in formula 'f': let 'a2' is never used: its value is dropped",
                        "and 3 more like the one above (let '…' is never used): 'a3', 'a4', 'a5'"]


def test_unread_lets_are_found_in_one_walk_as_before() -> None:
    program = api.check(api.parse("algorithm a\nformula f(x: Scalar) -> Scalar =\n"
                                  "  let a = 2.0 in let a = 3.0 in let b = x in let c = (let c = 1.0 in c) in a + c\n"))
    said = [e.message for e in unread_lets(program)]
    assert said == ["in formula 'f': let 'a' hides let 'a' (line 3:7) before it is read: its value is dropped",
                    "in formula 'f': let 'b' is never used: its value is dropped"]


def test_three_thousand_unused_lets_warn_in_a_few_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """fuzz88: 3,000 unused lets on one 70 KB line printed 312 MB (each warning reprinted the line); now linear."""
    monkeypatch.chdir(tmp_path)
    Path("lets.mlev").write_text(lets(3000), encoding="utf-8")
    assert main(["check", "lets.mlev"]) == 0
    err = capsys.readouterr().err
    assert len(err) < 4000 and err.count("warning:") == 4
    assert ("and 2,996 more like the one above (let '…' is never used): 'v3', 'v4', 'v5', 'v6', 'v7', ... ('v2998')"
            in err)



def test_evolve_says_a_seed_body_s_let_warnings_as_check_does_capped_alike(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """evolve dropped a seed body's let warnings (tidy65); it says them as check does, the same capped lines and
    summary, once (hint96: the starting program is the user's)."""
    monkeypatch.chdir(tmp_path)
    Path("l.mlev").write_text(lets(50).replace("algorithm a\n", "algorithm a\ntask nguyen1\n"), encoding="utf-8")
    assert main(["check", "l.mlev"]) == 0
    said = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("l.mlev: ok")]
    assert main(["evolve", "l.mlev", "--budget", "2", "--db", "l.db", "--quiet"]) == 0
    assert capsys.readouterr().err.splitlines() == said and any("warning" in line for line in said)


@pytest.mark.parametrize("where", ["name", "cell"])
def test_a_long_quoted_value_is_cut_to_its_ends(where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A 70 KB name or cell was quoted whole in its one-line message."""
    monkeypatch.chdir(tmp_path)
    long = "z" * 70_000
    if where == "name":
        Path("p.mlev").write_text(f"algorithm a\nformula f(x: Scalar) -> Scalar =\n  x + {long}\n", encoding="utf-8")
        argv = ["check", "p.mlev"]
    else:
        Path("d.csv").write_text(f"a,y\n1,2\n{long},3\n", encoding="utf-8")
        argv = ["run", "p.mlev", "--task", "d.csv:target=y"]
        Path("p.mlev").write_text("algorithm a\nformula f(x: Scalar) -> Scalar =\n  x * x\n", encoding="utf-8")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err) < 1000 and "'" + "z" * 120 + "..." + "z" * 60 + "'" in err, err[:300]


def test_three_thousand_errors_print_a_bounded_block_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """One error per faulty definition, each its line's window and caret: the output is linear in the errors."""
    monkeypatch.chdir(tmp_path)
    Path("e.mlev").write_text("algorithm a\n" + "".join(
        f"formula f{i}(x: Scalar) -> Scalar = x + nope{i}{' ' * 500}\n" for i in range(3000)), encoding="utf-8")
    assert main(["check", "e.mlev"]) == 2
    err = capsys.readouterr().err
    assert err.count(": error:") == 3000 and len(err) < 3000 * 260
