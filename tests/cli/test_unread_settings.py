"""A setting only some regimes read (--epochs, --hurdle, --fit), given for a program of another, is one error:
it was ignored silently, yet epochs and hurdle are part of a run's identity (api.check_settings_apply)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mlevolve import api
from mlevolve.dsl.errors import SettingError
from tests.conftest import Capsys, cli

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
QUARTIC, LINEAR, MLP = (str(EXAMPLES / f"{n}.mlev") for n in ("quartic", "linear_regression", "mlp_digits"))
NETWORKS = "supervised, RL and generative programs"
AS_WRITTEN = "it trains a network's weights and takes its own constants as written"  # not "trains its constants"


@pytest.mark.parametrize(("argv", "error", "hint"), [
    (["run", QUARTIC, "--epochs", "3"], "--epochs does not apply to a formula program: it is not trained for epochs",
     f"drop --epochs; it applies to {NETWORKS}"),
    (["run", QUARTIC, "--epochs", "10"], "--epochs does not apply to a formula program: it is not trained for "
     "epochs", f"drop --epochs; it applies to {NETWORKS}"),  # typed: refused even at its default
    (["export", LINEAR, "-o", "x.py", "--epochs", "2"], "--epochs does not apply to a learner program: it is not "
     "trained for epochs", f"drop --epochs; it applies to {NETWORKS}"),
    (["evolve", QUARTIC, "--epochs", "2", "--budget", "2"], "--epochs does not apply to a formula program: it is "
     "not trained for epochs", f"drop --epochs; it applies to {NETWORKS}"),
    (["evolve", QUARTIC, "--hurdle", "--budget", "2"], "--hurdle does not apply to a formula program: it is "
     "scored in full, without a hurdle", f"drop --hurdle; it applies to {NETWORKS}"),
    # a switch typed off is named as typed
    (["evolve", QUARTIC, "--no-hurdle", "--budget", "2"], "--no-hurdle does not apply to a formula program: it is "
     "scored in full, without a hurdle", f"drop --no-hurdle; it applies to {NETWORKS}"),
    (["evolve", MLP, "--no-fit", "--budget", "2"], f"--no-fit does not apply to a supervised program: {AS_WRITTEN}",
     "drop --no-fit; it applies to learner and formula programs"),
    (["evolve", MLP, "--fit", "--budget", "2"], f"--fit does not apply to a supervised program: {AS_WRITTEN}",
     "drop --fit; it applies to learner and formula programs"),
])
def test_a_flag_the_programs_regime_does_not_read_is_refused(capsys: Capsys, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, argv: list[str],
                                                            error: str, hint: str) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.splitlines() == [f"mlevolve {argv[0]}: error: {error}", f"hint: {hint}"]
    assert not list(tmp_path.iterdir())  # no archive, no script


@pytest.mark.parametrize(("call", "message"), [
    (lambda: api.run(QUARTIC, epochs=3), "epochs does not apply to a formula program: it is not trained for epochs"),
    (lambda: api.export(LINEAR, epochs=3), "epochs does not apply to a learner program: it is not trained for epochs"),
    (lambda: api.evolve(QUARTIC, hurdle=False), "hurdle does not apply to a formula program: it is scored in full, "
     "without a hurdle"),
    (lambda: api.evolve(MLP, fit=False), "fit does not apply to a supervised program: "
     f"{AS_WRITTEN}"),
])
def test_the_api_refuses_the_same_settings_off_their_defaults(call: Any, message: str) -> None:
    with pytest.raises(SettingError) as caught:
        call()
    assert caught.value.message == message


def test_the_api_takes_its_defaults_and_a_network_takes_epochs() -> None:
    assert "def main" in api.export(QUARTIC, epochs=10)  # the default: nothing given
    assert "--epochs" in api.export(MLP, epochs=3)
    api.check_settings_apply(MLP, ["epochs", "hurdle"])
    api.check_settings_apply(QUARTIC, ["fit"])


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.mlev")), ids=lambda p: p.stem)
def test_epochs_applies_where_the_exported_script_takes_it(example: Path) -> None:
    """The oracle: an exported script has --epochs exactly where the rule lets the setting be given, and refuses
    it elsewhere in the rule's words (it said only "unrecognized arguments: --epochs")."""
    source = api.export(str(example))
    try:
        api.check_settings_apply(str(example), ["epochs"])
    except SettingError as err:
        err.rename(lambda name: f"--{name}")
        assert 'parser.add_argument("--epochs"' not in source
        assert f"if '--epochs' in odd:  # as mlevolve refuses it\n            parser.error({err.message!r},\n" in source
        assert f"{err.hint!r})" in source
    else:
        assert 'parser.add_argument("--epochs"' in source and "as mlevolve refuses it" not in source
