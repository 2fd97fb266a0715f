"""``import mlevolve`` alone reaches every module as an attribute (``mlevolve.gp.backends``), importing
nothing heavy until a module is asked for (the lazy API of ``mlevolve/__init__.py`` and ``mlevolve/_lazy.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SRC, environment, run_child

MODULES = sorted(f"mlevolve.{p.relative_to(SRC / 'mlevolve').with_suffix('').as_posix().replace('/', '.')}"
                 for p in (SRC / "mlevolve").rglob("*.py") if not p.name.startswith("_"))


def _fresh(code: str) -> str:
    done = run_child([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=environment())
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.e2e
def test_bare_import_is_light_and_reaches_every_module_as_an_attribute() -> None:
    out = _fresh("import sys, operator, mlevolve\n"
                 "heavy = [m for m in ('torch', 'numpy', 'lark', 'mlevolve.gp') if m in sys.modules]\n"
                 f"for name in {MODULES!r}:\n"
                 "    module = operator.attrgetter(name.partition('.')[2])(mlevolve)\n"
                 "    assert module is sys.modules[name], name\n"
                 "print(heavy)")
    assert out.split() == ["[]"]


@pytest.mark.e2e
def test_an_attribute_reaches_one_module_only() -> None:
    out = _fresh("import sys, mlevolve\nmlevolve.gp.backends\n"
                 "print('torch' in sys.modules, 'mlevolve.meta' in sys.modules)")
    assert out.split() == ["False", "False"]


@pytest.mark.e2e
def test_a_parallel_networks_coordinator_imports_no_torch(tmp_path: Path) -> None:
    """Its workers import PyTorch (once, in the fork server); the coordinator, which records the run's environment,
    need not: PyTorch's import is a second of the README main job's start (benchmarks/worker_path.py)."""
    out = _fresh("import sys\nfrom mlevolve import api\nif __name__ == '__main__':\n"
                 f"    api.evolve({str(ROOT / 'examples' / 'mlp_digits.mlev')!r}, ['act'], 'digits', budget=2, "
                 f"db={str(tmp_path / 'r.db')!r}, quiet=True, workers=2)\n"
                 "    print('torch' in sys.modules)")
    assert out.split() == ["False"]


@pytest.mark.e2e
def test_running_a_formula_or_a_learner_imports_no_torch(tmp_path: Path) -> None:
    """``mlevolve run`` of a formula or learner ran its generated NumPy code over the torch runtime, importing
    PyTorch (about 1.7 s of a 2.6 s run) for code that never reads it (a fresh-user pass); its exported script never
    did.  The numbers are the same (tests/interpreter/test_export.py holds run and export to each other)."""
    learner = tmp_path / "drawn.mlev"  # a setup that draws: the learner's own generator, no global state
    learner.write_text("algorithm drawn\ntask teacher\nlearner rf(state W: Matrix, state v: Vector)\n"
                       "  setup() -> (Matrix, Vector) = (gaussian_matrix(0.0, 1.0), v)\n"
                       "  predict(x: Vector) -> Scalar = dot(v, tanh(matmul(W, x)))\n"
                       "  learn(x: Vector, y: Scalar, p: Scalar) -> (Matrix, Vector) =\n"
                       "    (W, v + 0.01 * (y - p) * tanh(matmul(W, x)))\n")
    out = _fresh("import sys\nfrom mlevolve import api\n"
                 f"for f, t in (({str(ROOT / 'examples' / 'quartic.mlev')!r}, 'nguyen1'), "
                 f"({str(ROOT / 'examples' / 'linear_regression.mlev')!r}, 'linear'), ({str(learner)!r}, 'teacher')):\n"
                 "    assert api.run(f, t, seed=3)['failure'] is None\n"
                 "print('torch' in sys.modules)")
    assert out.split() == ["False"]


def test_a_missing_name_is_an_attribute_error_and_dir_lists_the_modules() -> None:
    import mlevolve
    import mlevolve.gp

    for package in (mlevolve, mlevolve.gp):
        with pytest.raises(AttributeError, match="has no attribute 'nope'"):
            package.nope  # noqa: B018
        with pytest.raises(AttributeError):
            package._private  # noqa: B018
    assert {"backends", "engine", "archive"} <= set(dir(mlevolve.gp))
    assert {"gp", "dsl", "api", "check", "load_grammar"} <= set(dir(mlevolve))
