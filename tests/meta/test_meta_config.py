"""A meta configuration's mistakes in valid TOML: one ``FILE:LINE:COL: error:`` line at the key at fault.

``tomllib`` keeps no positions, so the loader finds the key in the text (``dsl.errors.toml_key_span``);
these are the messages word for word, positions included, with their hints.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlevolve.dsl.errors import toml_key_span
from mlevolve.dsl.ir import Span
from tests.conftest import ROOT, Capsys, usage_error

SMOKE = (ROOT / "benchmarks" / "meta" / "smoke.toml").read_text().replace("../../examples", str(ROOT / "examples"))
QUARTIC = ROOT / "examples" / "quartic.mlev"


@pytest.mark.parametrize("old, new, error, hint", [
    ('evolve = ["f"]', 'evolve = ["g"]', f"4:12: error: evolve 'g' is not a definition of {QUARTIC}",
     "definitions: f, or all"),  # at the name (meta96)
    ('evolve = ["f"]', 'evolve = "f"', '4:1: error: `evolve` must be a list of definition names, got "f"',
     'evolve = ["f"], or ["all"] (the default)'),
    ("elites = 4", "elite = 4", "15:1: error: [inner] has no setting 'elite'",
     "did you mean 'elites'? settings: algorithm, budget, elites, epochs, fit, init, population, target, tournament"),
    ("budget = 80", 'budget = "80"', '12:1: error: [inner] budget must be an integer, got "80"',
     "budget takes an integer, written without quotes: budget = 80"),
    ("budget = 80", "budget = 80.0", "12:1: error: [inner] budget must be an integer, got 80.0",
     "budget takes an integer, e.g. budget = 300 (the default)"),
    ("seeds = 1", "seeds = true", "21:1: error: [meta] seeds must be an integer, got true",
     "seeds takes an integer, e.g. seeds = 2 (the default)"),
    ("seeds = 1", "    seeds = 0", "21:5: error: [meta] seeds must be positive, got 0",
     "for example seeds = 2 (the default)"),
    ('train = ["nguyen1", "nguyen5"]', 'train = "nguyen1"',
     '7:1: error: [split] train must be a list of task names, got "nguyen1"',
     'train = ["nguyen1", "nguyen2"] (`mlevolve tasks` lists them)'),
    ('test = ["nguyen4"]', 'tests = ["nguyen4"]', "9:1: error: [split] has no part 'tests'",
     "did you mean 'test'? parts: train, validation, test"),
    ("seed = 2", "seed = 2\n\n[bounds]\nnguyen9 = [0, 1]",
     "27:1: error: [bounds] names task 'nguyen9', which is in no split",
     "tasks in the split: nguyen1, nguyen5, nguyen2, nguyen4"),
    ('evolve = ["f"]', 'evolve = ["f"]\nbounds = 3', "5:1: error: [bounds] must be a table of task = [lo, hi], got 3",
     "write TASK = [lo, hi] under a [bounds] header"),
    ("[inner]", "[innr]", "11:2: error: unknown entry 'innr'",
     "did you mean 'inner'? entries: bounds, evolve, inner, meta, program, split"),
    ('program = "', 'program = "nope/', f"3:1: error: `program` names no file: {ROOT / 'nope' / 'examples'}",
     "the .mlev file whose slots are evolved, relative to this configuration"),
    (f'program = "{ROOT / "examples" / "quartic.mlev"}"', 'program = " "', "3:1: error: `program` is empty",
     "the .mlev file whose slots are evolved, relative to this configuration"),  # it named the folder: "no file: ."
    # a fresh-user pass: a folder was "no file"; another kind of file was said at its own name, not at `program`;
    # no [split] table said "validation needs at least 1 task", with a hint to move one from train
    (f'program = "{ROOT / "examples" / "quartic.mlev"}"', f'program = "{ROOT / "examples"}"',
     f"3:1: error: `program` names a folder: {ROOT / 'examples'}",
     "the .mlev file whose slots are evolved, relative to this configuration"),
    (f'program = "{ROOT / "examples" / "quartic.mlev"}"', f'program = "{ROOT / "benchmarks" / "meta" / "smoke.toml"}"',
     f"3:1: error: `program` names {ROOT / 'benchmarks' / 'meta' / 'smoke.toml'}: a meta configuration, not a .mlev "
     "program", "the .mlev file whose slots are evolved, relative to this configuration"),
    ('[split]\ntrain = ["nguyen1", "nguyen5"]\nvalidation = ["nguyen2"]\ntest = ["nguyen4"]\n', "",
     " error: the [split] table is missing: a meta run needs its train, validation and test tasks",
     'add [split] with train = ["nguyen1", "nguyen3"], validation = ["nguyen2"], test = [...]'),
])
def test_a_mistake_in_a_meta_configuration_is_placed_at_its_key(
        tmp_path: Path, capsys: Capsys, old: str, new: str, error: str, hint: str) -> None:
    assert old in SMOKE
    config = tmp_path / "c.toml"
    config.write_text(SMOKE.replace(old, new, 1).replace(f"nope/{ROOT / 'examples'}", str(ROOT / "nope" /
                                                                                              "examples")))
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"))
    if "nope" in new:
        error += "/quartic.mlev"
    assert err.splitlines() == [f"{config}:{error}", f"hint: {hint}"]
    assert not (tmp_path / "m.db").exists()  # refused before any archive is made


def test_a_key_is_found_under_its_table_header_dotted_or_quoted() -> None:
    text = 'program = "p"\ninner.budget = 3\n[meta]  # the GP\n  "seeds" = 2\n[split]\ntrain = []\n'
    assert toml_key_span(text, None, "program") == Span(1, 1, 1, 7)
    assert toml_key_span(text, "inner", "budget") == Span(2, 7, 2, 12)
    assert toml_key_span(text, "meta", "seeds") == Span(4, 4, 4, 8)
    assert toml_key_span(text, "meta", None) == Span(3, 2, 3, 5)  # the header's name
    assert toml_key_span(text, "meta", "train") == Span(3, 2, 3, 5)  # not in that table: its header
    assert toml_key_span(text, "bounds", "x") is None


def _settings() -> list[tuple[str, str, int, str]]:
    from mlevolve.meta import config

    return [(*key.split("."), most, why) for key, (most, why) in config._MOST.items()]


def _smoke_with(tmp_path: Path, table: str, key: str, value: str) -> tuple[Path, int, object]:
    """smoke.toml with ``[table] key = value`` (its own line for the key dropped), written to ``tmp_path``:
    the file, the line of the key, and the setting's default."""
    from mlevolve.meta.config import InnerConfig, MetaSettings

    lines = [line for line in SMOKE.splitlines() if not line.startswith(f"{key} = ")]  # smoke.toml's own, if any
    lines.insert(lines.index(f"[{table}]") + 1, f"{key} = {value}")
    config = tmp_path / "c.toml"
    config.write_text("\n".join(lines) + "\n")
    line = lines.index(f"{key} = {value}") + 1
    return config, line, getattr(InnerConfig() if table == "inner" else MetaSettings(), key)


@pytest.mark.parametrize(("table", "key", "most", "why"), _settings())
def test_an_integer_setting_past_its_bound_is_refused_before_it_runs(
        tmp_path: Path, capsys: Capsys, table: str, key: str, most: int, why: str) -> None:
    """A huge value would run for ever or exhaust memory: refused at its key, with why and the default."""
    config, line, default = _smoke_with(tmp_path, table, key, str(most + 1))
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"))
    assert err.splitlines() == [f"{config}:{line}:1: error: [{table}] {key} must be at most {most:,}, got {most + 1}",
                                f"hint: {why}; for example {key} = {default} (the default)"]
    assert not (tmp_path / "m.db").exists()


def _floats() -> list[tuple[str, str]]:
    from dataclasses import fields

    from mlevolve.meta.config import InnerConfig, MetaSettings

    return [(table, f.name) for table, cls in (("inner", InnerConfig), ("meta", MetaSettings))
            for f in fields(cls) if f.type == "float"]


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400", "-2.5e309", "1_0e400"])
@pytest.mark.parametrize(("table", "key"), _floats())
def test_every_float_setting_refuses_nan_and_inf_at_its_key(
        tmp_path: Path, capsys: Capsys, table: str, key: str, value: str) -> None:
    """nan compares false with everything (race_margin = nan never displaced; base_mix = nan failed far
    from the file as a production's bad weight): every float setting is refused by the one TOML reader.
    A number past a float's range (read as inf) is shown as written, not as the inf it was read as."""
    assert {k for _, k in _floats()} >= {"target", "base_mix", "race_margin"}
    config, line, default = _smoke_with(tmp_path, table, key, value)
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"))
    assert err.splitlines() == [f"{config}:{line}:1: error: [{table}] {key} must be a number, finite, got {value}",
                                f"hint: {key} takes a number: nan and inf are none, e.g. {key} = {default!r} "
                                "(the default)"]
    assert not (tmp_path / "m.db").exists()


@pytest.mark.parametrize("seed", [2**63, 99999999999999999999])
def test_the_meta_seed_takes_the_seed_rule_of_every_other_seed(tmp_path: Path, capsys: Capsys, seed: int) -> None:
    assert "seed = 2" in SMOKE
    config = tmp_path / "c.toml"
    config.write_text(SMOKE.replace("seed = 2", f"seed = {seed}", 1))
    err = usage_error(capsys, "meta", str(config), "--db", str(tmp_path / "m.db"))
    line = config.read_text().splitlines().index(f"seed = {seed}") + 1
    assert err.splitlines() == [f"{config}:{line}:1: error: [meta] seed must be at least 0 and below 2**63, got {seed}",
                                "hint: a seed is a whole number from 0 to 2**63 - 1"]


def test_a_runs_population_and_an_inner_runs_have_one_bound_owned_by_the_meta_configuration(capsys: Capsys) -> None:
    """``api.POPULATION_LIMIT`` repeated ``_MOST["inner.population"]``: it is read from it now, so the two move
    together; ``evolve --population`` past it is refused in the API's words with the bound as owned."""
    from mlevolve import api
    from mlevolve.meta import config

    assert api.POPULATION_LIMIT == config.most("inner.population") == config._MOST["inner.population"][0]
    most = config.most("inner.population")
    err = usage_error(capsys, "evolve", str(ROOT / "examples" / "quartic.mlev"), "--population", str(most + 1))
    assert err.splitlines()[0] == f"mlevolve evolve: error: --population must be at most {most:,}, got {most + 1}"
