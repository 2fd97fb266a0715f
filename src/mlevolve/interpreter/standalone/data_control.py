"""The RL regime's tasks: a reinforcement-learning environment.  The gymnasium classic-control
``cartpole``, ``acrobot`` and ``mountaincar`` (gymnasium is imported only when one is loaded) and
``chain``, a small tabular chain MDP in numpy.
"""

from typing import Any

import numpy as np

from mlevolve.interpreter.standalone.spec import package, parse_spec

CHAIN_TRAP_REWARD = 0.1


class ChainMDP:
    """A chain of ``length`` states, starting at the left end; action 1 moves right, action 0 left.

    Reaching the right end pays 1 and ends the episode; moving left from the start pays
    ``CHAIN_TRAP_REWARD`` and ends it (a trap a greedy learner must look past).  Observations are
    one-hot states (float32); an episode is truncated after ``max_steps`` steps.  Deterministic.
    """

    def __init__(self, length: int, max_steps: int) -> None:
        self.length = length
        self.max_steps = max_steps
        self.state = 0
        self.t = 0

    def _obs(self) -> Any:
        obs = np.zeros(self.length, np.float32)
        obs[self.state] = 1.0
        return obs

    def reset(self, seed: int | None = None) -> tuple[Any, dict[str, Any]]:
        self.state, self.t = 0, 0
        return self._obs(), {}

    def step(self, action: int) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        self.t += 1
        if action == 0 and self.state == 0:
            return self._obs(), CHAIN_TRAP_REWARD, True, False, {}
        self.state = max(0, self.state + (1 if action == 1 else -1))
        done = self.state == self.length - 1
        return self._obs(), 1.0 if done else 0.0, done, self.t >= self.max_steps and not done, {}


def make_env(env_id: str, max_steps: int, chain_length: int = 0) -> Any:
    """A gymnasium classic-control environment (imported here, only when needed) or the chain MDP."""
    if not env_id:
        return ChainMDP(chain_length, max_steps)
    import gymnasium

    return gymnasium.make(env_id, max_episode_steps=max_steps)


# name: (gymnasium id, obs dim, actions, max steps, gamma, episodes per epoch, eval episodes, chain length)
CONTROL: dict[str, tuple[str, int, int, int, float, int, int, int]] = {
    "cartpole": ("CartPole-v1", 4, 2, 200, 0.99, 40, 10, 0),
    "acrobot": ("Acrobot-v1", 6, 3, 200, 0.99, 40, 10, 0),
    "mountaincar": ("MountainCar-v0", 2, 3, 200, 0.99, 40, 10, 0),
    "chain": ("", 8, 2, 20, 0.9, 20, 5, 8),
}


CONTROL_FIELDS = ("env_id", "obs_dim", "n_actions", "max_steps", "gamma", "episodes_per_epoch", "eval_episodes",
                  "chain_length")


def control_task(spec: str, seed: int = 0) -> dict[str, Any]:
    """The environment ``spec`` names (no options; ``seed`` is unused: the loop seeds its episodes): its
    ``CONTROL`` row by ``CONTROL_FIELDS`` and ``make_env``, which makes a fresh one (gymnasium's API).
    An epoch of training is ``episodes_per_epoch`` episodes; fitness averages ``eval_episodes``."""
    name, _ = parse_spec(spec, {}, CONTROL, "a control task")
    row: dict[str, Any] = dict(zip(CONTROL_FIELDS, CONTROL[name], strict=True))
    if row["env_id"]:  # gymnasium's: checked here, where a missing package is one line, not at the first episode
        package("gymnasium", name)
    return {"name": name, **row, "make_env": lambda: make_env(row["env_id"], row["max_steps"], row["chain_length"])}
