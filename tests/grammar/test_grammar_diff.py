"""``mlevolve grammar diff``: a production is listed only where its weight changed, and its line prints
the two weights differently (a change in the 8th digit read "1 -> 1 (x1.00)" before); weights scaled alike,
as mixing with the base grammar scales those it left, are one line (they were 14 lines of "(x1.01)")."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlevolve.api import grammar_diff
from mlevolve.grammar.spec import load_grammar
from tests.conftest import Capsys, cli

BASE = load_grammar()
IDS = [p.id for p in BASE.productions[:12]]


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(st.sampled_from(IDS), st.floats(0.0, 10.0), max_size=6))
def test_each_listed_weight_changed_and_reads_so(weights: dict[str, float]) -> None:
    other = BASE.with_weights(weights)
    lines = grammar_diff(BASE, other)
    changed = {k for k, w in weights.items() if w != next(p.weight for p in BASE.productions if p.id == k)}
    listed = {name for line in lines for name in (line.split(": ", 1)[1].split(", ") if " alike " in line
                                                  else [line.split()[1]])}
    assert listed == changed
    for line in (line for line in lines if " alike " not in line):
        before, after = re.search(r"(\S+) -> (\S+)", line).groups()  # type: ignore[union-attr]
        assert before != after, line


def test_an_unchanged_weight_written_again_is_not_a_change(tmp_path: Path, capsys: Capsys) -> None:
    folder = tmp_path
    (folder / "g.grammar.toml").write_text('version = 1\nextends = "base"\n[weights]\n"add(Scalar,Scalar)" = 1.0\n'
                                           '"sub(Scalar,Scalar)" = 1.0000001\n[variables]\nweight = 3.0\n')
    code, out, _ = cli(capsys, "grammar", "diff", "base", str(folder / "g.grammar.toml"))
    assert code == 0
    assert out.splitlines()[1:] == ["~ sub(Scalar,Scalar)                 1 -> 1.0000001  (x1.0000001)"]
    assert out.splitlines()[0].endswith(": 1 change")
    # one file alone is compared with the base grammar (it was read as BASE: "the following arguments are required")
    assert cli(capsys, "grammar", "diff", str(folder / "g.grammar.toml")) == (code, out, "")


@pytest.mark.parametrize(("a", "b", "shown"), [(1.0, 2.0, "1 -> 2  (x2)"), (0.7, 0.35, "0.7 -> 0.35  (x0.5)")])
def test_round_changes_keep_three_digits(a: float, b: float, shown: str) -> None:
    key = "add(Scalar,Scalar)"
    lines = grammar_diff(BASE.with_weights({key: a}), BASE.with_weights({key: b}))
    assert lines == [f"~ {key:<34} {shown}"]


def test_weights_scaled_alike_are_one_line() -> None:
    from mlevolve.meta.vary import mix_base

    types = frozenset({"Scalar"})
    mixed = mix_base(BASE.with_weights({"min(Scalar,Scalar)": 5.0}), BASE, 0.2, types)
    lines = grammar_diff(BASE, mixed)
    alike = [line for line in lines if " alike " in line]
    assert lines[0].startswith("~ min(Scalar,Scalar)") and len(alike) == 1
    factor = next(p.weight for p in mixed.productions if p.id == "add(Scalar,Scalar)")
    assert alike[0].startswith(f"~ {alike[0].split()[1]} weights x{factor:.3g} alike (a common rescaling")
    assert "add(Scalar,Scalar), sub(Scalar,Scalar)" in alike[0] and "min(Scalar,Scalar)" not in alike[0]


NOMUL = """version = 1
types = ["Scalar"]
[variables]
weight = 3.0
[literals.Scalar]
weight = 1.5
uniform = [-2.0, 2.0]
[op.add]
sig = ["Scalar, Scalar -> Scalar"]
[op.cos]
sig = ["Scalar -> Scalar"]
"""


def test_productions_dropped_and_added_are_listed_both_ways_in_the_grammars_order(tmp_path: Path,
                                                                                   capsys: Capsys) -> None:
    """A grammar of its own lacks most of base's productions: diff A B listed them as dropped (in set order, which
    changed from run to run), diff B A said nothing of them (2 changes where 131 differ)."""
    (tmp_path / "g.toml").write_text(NOMUL + '[op.mul]\nsig = ["Scalar, Scalar -> Scalar"]\n')
    (tmp_path / "nomul.toml").write_text(NOMUL)
    _, there, _ = cli(capsys, "grammar", "diff", str(tmp_path / "g.toml"), str(tmp_path / "nomul.toml"))
    _, back, _ = cli(capsys, "grammar", "diff", str(tmp_path / "nomul.toml"), str(tmp_path / "g.toml"))
    assert there.splitlines()[1:] == ["- mul(Scalar, Scalar) -> Scalar"]
    assert back.splitlines()[1:] == ["+ mul(Scalar, Scalar) -> Scalar   w=1"]
    own = load_grammar(tmp_path / "nomul.toml")
    dropped, added = grammar_diff(BASE, own), grammar_diff(own, BASE)
    assert len(dropped) == len(added) > 100
    gone = [p for p in BASE.productions if p.id not in {q.id for q in own.productions}]
    assert [line for line in dropped if line.startswith("- ") and "->" in line] == [f"- {p}" for p in gone]
    assert [line.split("   w=")[0] for line in added if line.startswith("+ ") and "->" in line] == \
           [f"+ {p}" for p in gone]
    assert "- literals.Int" in dropped and "+ literals.Int   w=1" in added


def test_the_heading_counts_what_is_listed_a_common_rescaling_as_its_weights(tmp_path: Path, capsys: Capsys) -> None:
    """qa102: the heading said ``4 changes`` over 3 weight lines and one line of 17 weights scaled alike; it now
    counts the lines of their own and the rescaled weights apart."""
    from mlevolve.meta.vary import mix_base

    mixed = mix_base(BASE.with_weights({"min(Scalar,Scalar)": 5.0}), BASE, 0.2, frozenset({"Scalar"}))
    (tmp_path / "m.grammar.toml").write_text(mixed.to_toml(BASE))
    code, out, _ = cli(capsys, "grammar", "diff", "base", str(tmp_path / "m.grammar.toml"))
    listed = out.splitlines()[1:]
    alike = [line for line in listed if " alike (a common rescaling" in line]
    assert code == 0 and len(alike) == 1, out
    scaled = int(alike[0].split()[1])
    assert scaled >= 3 and out.splitlines()[0].endswith(f": {len(listed) - 1} change"
                                                        f"{'s' if len(listed) != 2 else ''}, {scaled} weights scaled "
                                                        "alike"), out
