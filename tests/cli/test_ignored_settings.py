"""A setting the chosen algorithm would ignore is refused through the API as through the command line: one rule,
:func:`mlevolve.api.check_settings_read` (the API passes the settings off their defaults, the CLI the flags typed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlevolve import api
from mlevolve.dsl.errors import SettingError
from mlevolve.gp.diversity import DiversityConfig
from mlevolve.gp.engine import EvolveConfig
from mlevolve.grammar.spec import load_grammar
from tests.conftest import EXAMPLES, ROOT, Capsys, usage_error

QUARTIC = str(EXAMPLES / "quartic.mlev")
CASES = [  # (API keywords, CLI flags, the error and hint in the API's words, then in the command's)
    ({"algorithm": "nsga2", "tournament": 5}, ["--algorithm", "nsga2", "--tournament", "5"],
     ["algorithm nsga2 draws parents uniformly: tournament would be ignored",
      "drop tournament, or choose an algorithm that reads it: regularized, islands"],
     ["--algorithm nsga2 draws parents uniformly: --tournament would be ignored",
      "drop --tournament, or choose an --algorithm that reads it: regularized, islands"]),
    ({"algorithm": "random", "population": 8}, ["--algorithm", "random", "--population", "8"],
     ["algorithm random draws every candidate afresh: population would be ignored",
      "drop population, or choose an algorithm that reads it: regularized, mu_plus_lambda, nsga2, islands, map-elites"],
     ["--algorithm random draws every candidate afresh: --population would be ignored", "drop --population, or "
      "choose an --algorithm that reads it: regularized, mu_plus_lambda, nsga2, islands, map-elites"]),
    ({"algorithm": "random", "bandit": True}, ["--algorithm", "random", "--bandit"],  # accepted, ignored, stored in
     ["algorithm random draws every candidate afresh: bandit would be ignored",  # the identity (a fresh-user pass)
      "drop bandit, or choose an algorithm that reads it: regularized, mu_plus_lambda, nsga2, islands, map-elites"],
     ["--algorithm random draws every candidate afresh: --bandit would be ignored", "drop --bandit, or "
      "choose an --algorithm that reads it: regularized, mu_plus_lambda, nsga2, islands, map-elites"]),
    ({"diversity": DiversityConfig(islands=3)}, ["--islands", "3"],
     ["islands is a setting of algorithm islands; this run's is regularized: it would be ignored",
      "add algorithm islands, or drop islands"],
     ["--islands is a setting of --algorithm islands; this run's is regularized: it would be ignored",
      "add --algorithm islands, or drop --islands"]),
]


@pytest.mark.parametrize(("keywords", "flags", "api_words", "cli_words"), CASES)
def test_the_api_and_the_cli_refuse_a_setting_the_algorithm_ignores_alike(
        tmp_path: Path, capsys: Capsys, keywords: dict[str, Any], flags: list[str], api_words: list[str],
        cli_words: list[str]) -> None:
    db = tmp_path / "r.db"
    with pytest.raises(SettingError) as caught:
        api.evolve(QUARTIC, ["f"], budget=4, db=db, quiet=True, **keywords)
    assert [caught.value.message, caught.value.hint] == api_words
    err = usage_error(capsys, "evolve", QUARTIC, "--budget", "4", "--db", str(db), *flags)
    assert err.splitlines() == [f"mlevolve evolve: error: {cli_words[0]}", f"hint: {cli_words[1]}"]
    assert not db.exists()


def test_the_bandit_cannot_be_turned_off_under_a_grammar_with_evolved_operators(tmp_path: Path, capsys: Capsys) -> None:
    """Evolved operators are offered only through the bandit (``Engine``'s portfolio), so ``--no-bandit`` would be
    ignored: refused through the API and the command line alike; not giving it, or ``--bandit``, runs."""
    grammar = ROOT / "benchmarks" / "meta" / "pooled" / "formulas" / "learned.grammar.toml"
    spec = load_grammar(grammar)
    assert len(spec.operators) == 1
    db = tmp_path / "r.db"
    with pytest.raises(SettingError) as caught:
        api.evolve(QUARTIC, ["f"], budget=4, db=db, quiet=True, grammar=spec, bandit=False)
    said = ("the grammar learned.grammar has 1 evolved operator, offered only through the operator bandit: {} would "
            "be ignored", "drop {} (a grammar with operators always uses the bandit), or evolve with a grammar "
            "without [operators], e.g. base")
    assert [caught.value.message, caught.value.hint] == [line.format("bandit") for line in said]
    err = usage_error(capsys, "evolve", QUARTIC, "--budget", "4", "--db", str(db), "--grammar", str(grammar),
                      "--no-bandit")
    assert err.splitlines() == [f"mlevolve evolve: error: {said[0].format('--no-bandit')}",
                                f"hint: {said[1].format('--no-bandit')}"]
    assert not db.exists()
    for bandit in (None, True):  # automatic (on: the operators are offered) and on as asked: both run
        ran = api.evolve(QUARTIC, ["f"], budget=4, population=2, db=tmp_path / f"{bandit}.db", quiet=True,
                         grammar=spec, bandit=bandit)
        assert ran["candidates"] == 4


def test_a_setting_at_its_default_is_not_refused_by_the_api() -> None:
    api.check_settings_read("nsga2", [])  # evolve passes only the settings off their defaults
    with pytest.raises(SettingError, match="tournament would be ignored"):
        api.check_settings_read("nsga2", ["tournament"])
    api.check_settings_read("regularized", ["tournament", "population"])
    api.check_settings_read("hillclimb", ["islands"])  # an unknown algorithm: evolve refuses it as such
    assert EvolveConfig.tournament >= 1
