"""What fresh users of ``mlevolve meta`` met (meta67): the commands a meta run ends with (``next:``), each runnable
as printed; a meta archive's rows named by their own terms (inner run, generator, meta-generation) in ``best`` and
``show``."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from tests.conftest import ROOT, Capsys, cli

XY = "x,y\n" + "".join(f"{i / 4},{(i / 4) ** 2 + 0.5}\n" for i in range(-10, 10))


def _config(folder: Path, test: str = "nguyen4", inner: str = "") -> Path:
    """A meta configuration of a few seconds in ``folder`` (made), beside a data file ``xy.csv``."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "xy.csv").write_text(XY)
    path = folder / "m.toml"
    path.write_text(f'program = "{ROOT / "examples" / "quartic.mlev"}"\nevolve = ["f"]\n\n[split]\n'
                    f'train = ["nguyen1", "nguyen3"]\nvalidation = ["nguyen2"]\ntest = ["{test}"]\n\n'
                    f"[inner]\nbudget = 8\npopulation = 4\ntournament = 2\nelites = 2\n{inner}\n"
                    "[meta]\npopulation = 2\ngenerations = 1\ntasks = 2\nseeds = 1\nelitism = 1\n"
                    "validation_seeds = 1\n")
    return path


def _next(out: str) -> list[str]:
    """The commands a summary's ``next:`` block lists."""
    lines = out.splitlines()
    return [line.strip() for line in lines[lines.index("next:") + 1:] if line.startswith("    ")]


def test_a_meta_run_ends_with_the_commands_to_run_next_each_runnable_as_printed(
        tmp_path: Path, capsys: Capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """`evolve` ends with `next:` and the commands to run then; `meta` ended with its archive's and generator's
    paths only.  Its commands use the generator: what it learned, an evolve of the program on a held-out task with
    it (a data file's, beside the configuration, in a folder whose name needs quoting: read as the configuration
    reads it), the report."""
    config = _config(tmp_path / "my runs", test="xy.csv:target=y")
    here = tmp_path / "elsewhere"
    here.mkdir()
    monkeypatch.chdir(here)
    code, out, _ = cli(capsys, "meta", str(config), "--db", "m.db", "-o", "learned.grammar.toml")
    assert code == 0
    data = shlex.quote(f"{tmp_path / 'my runs' / 'xy.csv'}:target=y")
    assert _next(out) == [
        "mlevolve grammar diff learned.grammar.toml",
        f"mlevolve evolve {ROOT / 'examples' / 'quartic.mlev'} --evolve f --task {data} --grammar "
        "learned.grammar.toml --budget 8 --population 4 --tournament 2 --init random --no-fit",
        "mlevolve report m.db -o m.html"]
    for command in _next(out):  # as a shell splits it
        argv = shlex.split(command)
        assert argv[0] == "mlevolve"
        code, said, err = cli(capsys, *argv[1:])
        assert code == 0, (command, said, err)
    assert (here / "m.html").is_file()


def test_the_printed_evolve_takes_the_inner_runs_algorithm_without_a_setting_it_would_refuse(
        tmp_path: Path) -> None:
    """Random search reads no population or tournament: `evolve` refuses them, so the command leaves them out."""
    from mlevolve import api
    from mlevolve.grammar.spec import load_grammar
    from mlevolve.meta.config import load_config

    config = _config(tmp_path, inner='algorithm = "random"\nfit = true\n')
    config.write_text(config.read_text().replace("population = 4\ntournament = 2\n", ""))
    cfg = load_config(config)
    program = api.programs._program(cfg.program, load_grammar())
    evolve = api.metarun.meta_next(cfg, program, "m.db", "g.toml")[1]
    assert evolve.endswith("--grammar g.toml --budget 8 --algorithm random --init random")
