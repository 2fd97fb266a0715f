"""The lazy `mlevolve` namespace shows the API and the modules, not its plumbing.

Moved from the QA rounds' files (tests/cli/test_qa_round*.py), named for the behaviour they test."""

from __future__ import annotations


# ------------------------------------------------------------------------------ 5: smaller wording
def test_the_lazy_namespace_shows_the_api_and_modules_not_its_plumbing() -> None:
    import mlevolve.gp

    for package in (mlevolve, mlevolve.gp):
        names = set(dir(package))
        assert not names & {"TYPE_CHECKING", "importlib", "annotations", "submodules", "_HOMES", "_lazy"}
        assert {"__getattr__", "__dir__", "__doc__"} <= names
    assert {"check", "run", "GrammarSpec", "api", "gp", "__version__"} <= set(dir(mlevolve))
    assert {"backends", "engine", "archive"} <= set(dir(mlevolve.gp))
