"""The RL regime's loop: a policy-gradient (``pg_loss``) or DQN (``td_loss``) agent trained on an
environment made by the task (gymnasium's API; this module never imports gymnasium), scored by its
greedy return."""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from mlevolve.interpreter.standalone.common import Budget, CandidateFailure


@dataclass
class RLProgram:
    """A compiled RL objective: its kind, ``"pg_loss"`` (trains a policy) or ``"td_loss"`` (a DQN), and
    the elementwise function."""

    kind: str
    loss: Callable[..., torch.Tensor]


RL_HIDDEN = 64
RL_LEARNING_RATE = {"pg": 0.01, "td": 0.001}
RL_ENVS = 8  # episodes run side by side (one batched forward pass per step)
DQN_BATCH = 64
DQN_TARGET_EVERY = 50  # updates between copies of the Q-network to the target network
MAX_OBJECTIVE = 1e9  # an objective beyond this in magnitude has diverged


def _mlp(n_in: int, n_out: int, hidden: int = RL_HIDDEN) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                         nn.Linear(hidden, n_out))


def _step(loss: torch.Tensor, optimiser: torch.optim.Optimizer, params: Sequence[torch.Tensor], where: str,
          first: bool = False, outputs: Sequence[torch.Tensor] = ()) -> None:
    """One gradient step on a scalar objective; a non-finite or diverged one is a candidate failure (the model's
    ``outputs`` it was computed from named where they were not finite first), as is one that does not depend on
    the model: none of it in its graph, or (``first``: the first step) no gradient from it (0.0 * z, as the probes
    refuse)."""
    if not torch.isfinite(loss):
        bad = not all(bool(torch.isfinite(out).all()) for out in outputs)
        raise CandidateFailure("the model's outputs are not finite" if bad else "the objective is not finite", where)
    if abs(float(loss.detach())) > MAX_OBJECTIVE:
        raise CandidateFailure(f"the objective diverged (|loss| > {MAX_OBJECTIVE:g})", where)
    if not loss.requires_grad:
        raise CandidateFailure("the objective does not depend on the model", where)
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    if first and not any(p.grad is not None and bool(p.grad.any()) for p in params):
        raise CandidateFailure("the objective does not depend on the model", where)
    optimiser.step()
    if not all(torch.isfinite(p).all() for p in params):
        raise CandidateFailure("the parameters are not finite", where)


def _episodes(envs: list[Any], seeds: list[int], act: Callable[[torch.Tensor], Any],
              observe: Callable[[list[tuple[Any, int, float, Any, bool]]], None] | None = None) -> list[dict[str, Any]]:
    """Run one episode in each env side by side; ``act`` maps a batch of observations to actions and
    ``observe`` sees each step's transitions (obs, action, reward, next obs, terminated)."""
    obs = [np.asarray(env.reset(seed=s)[0], np.float32) for env, s in zip(envs, seeds, strict=True)]
    runs: list[dict[str, Any]] = [{"obs": [], "act": [], "rew": []} for _ in envs]
    active = list(range(len(envs)))
    while active:
        actions = act(torch.as_tensor(np.stack([obs[i] for i in active])))
        transitions = []
        still = []
        for i, a in zip(active, actions, strict=True):
            nxt, reward, terminated, truncated, _ = envs[i].step(int(a))
            nxt = np.asarray(nxt, np.float32)
            runs[i]["obs"].append(obs[i])
            runs[i]["act"].append(int(a))
            runs[i]["rew"].append(float(reward))
            transitions.append((obs[i], int(a), float(reward), nxt, bool(terminated)))
            obs[i] = nxt
            if not (terminated or truncated):
                still.append(i)
        active = still
        if observe is not None:
            observe(transitions)
    return runs


def _greedy_return(envs: list[Any], net: nn.Module, seeds: list[int]) -> float:
    """Mean undiscounted return of greedy (argmax) episodes, in batches of ``len(envs)``."""
    totals: list[float] = []
    with torch.no_grad():
        for start in range(0, len(seeds), len(envs)):
            chunk = seeds[start:start + len(envs)]
            runs = _episodes(envs[:len(chunk)], chunk, lambda x: net(x).argmax(1).tolist())
            totals += [sum(r["rew"]) for r in runs]
    return float(np.mean(totals))


def _discounted(rewards: list[float], gamma: float) -> list[float]:
    out, running = [0.0] * len(rewards), 0.0
    for i in range(len(rewards) - 1, -1, -1):
        running = rewards[i] + gamma * running
        out[i] = running
    return out


def _train_pg(data: dict[str, Any], loss_fn: Callable[..., torch.Tensor], envs: list[Any], episodes: int,
              seed: int, budget: Budget, started: float) -> tuple[nn.Module, int, list[float]]:
    """REINFORCE-style training: batches of whole episodes, one update per batch."""
    policy, value = _mlp(data["obs_dim"], data["n_actions"]), _mlp(data["obs_dim"], 1)
    params = [*policy.parameters(), *value.parameters()]
    optimiser = torch.optim.Adam(params, lr=RL_LEARNING_RATE["pg"])
    sampler = torch.Generator().manual_seed(seed)

    def act(x: torch.Tensor) -> Any:
        return torch.multinomial(torch.softmax(policy(x), 1), 1, generator=sampler)[:, 0].tolist()

    returns: list[float] = []
    updates = 0
    for start in range(0, episodes, len(envs)):
        seeds = [seed * 100_003 + start + i for i in range(min(len(envs), episodes - start))]
        with torch.no_grad():
            runs = _episodes(envs[:len(seeds)], seeds, act)
        returns += [sum(r["rew"]) for r in runs]
        obs = torch.as_tensor(np.concatenate([np.stack(r["obs"]) for r in runs]))
        actions = torch.as_tensor([a for r in runs for a in r["act"]])
        ret = torch.as_tensor([g for r in runs for g in _discounted(r["rew"], data["gamma"])], dtype=torch.float32)
        logp_all = torch.log_softmax(policy(obs), 1)
        logp = logp_all.gather(1, actions[:, None])[:, 0]
        entropy = -(logp_all.exp() * logp_all).sum(1)
        v = value(obs)[:, 0]
        adv = ret - v.detach()
        adv = (adv - adv.mean()) / (adv.std() + 1e-8) if len(adv) > 1 else adv
        updates += 1
        _step(torch.broadcast_to(loss_fn(logp, ret, adv, v, entropy), logp.shape).mean(), optimiser, params,
              f"update {updates}, episode {start + len(seeds)}", updates == 1, (logp, v, entropy))
        budget.check_time(started, f"update {updates}", start + len(seeds), episodes, "episodes")
    return policy, updates, returns


def _train_td(data: dict[str, Any], loss_fn: Callable[..., torch.Tensor], envs: list[Any], episodes: int,
              seed: int, budget: Budget, started: float) -> tuple[nn.Module, int, list[float]]:
    """DQN-style training: epsilon-greedy episodes, a replay buffer, one minibatch update per
    environment step, and a target network copied every ``DQN_TARGET_EVERY`` updates."""
    q = _mlp(data["obs_dim"], data["n_actions"])
    target = _mlp(data["obs_dim"], data["n_actions"])
    target.load_state_dict(q.state_dict())
    params = list(q.parameters())
    optimiser = torch.optim.Adam(params, lr=RL_LEARNING_RATE["td"])
    rng = np.random.default_rng(seed)
    replay: list[tuple[Any, int, float, Any, bool]] = []
    state = {"updates": 0, "epsilon": 1.0}

    def act(x: torch.Tensor) -> Any:
        greedy = q(x).argmax(1).numpy()
        explore = rng.random(len(greedy)) < state["epsilon"]
        return np.where(explore, rng.integers(0, data["n_actions"], len(greedy)), greedy).tolist()

    def update() -> None:
        if len(replay) < DQN_BATCH:
            return
        batch = [replay[i] for i in rng.integers(0, len(replay), DQN_BATCH)]
        obs = torch.as_tensor(np.stack([b[0] for b in batch]))
        actions = torch.as_tensor([b[1] for b in batch])
        reward = torch.as_tensor([b[2] for b in batch], dtype=torch.float32)
        nxt = torch.as_tensor(np.stack([b[3] for b in batch]))
        discount = torch.as_tensor([0.0 if b[4] else data["gamma"] for b in batch], dtype=torch.float32)
        with torch.enable_grad():
            q_sa = q(obs).gather(1, actions[:, None])[:, 0]
            with torch.no_grad():
                best = target(nxt).max(1).values
            state["updates"] += 1
            _step(torch.broadcast_to(loss_fn(q_sa, best, reward, discount), q_sa.shape).mean(), optimiser, params,
                  f"update {state['updates']}", state["updates"] == 1, (q_sa, best))
        if state["updates"] % DQN_TARGET_EVERY == 0:
            target.load_state_dict(q.state_dict())
        budget.check_time(started, f"update {state['updates']}")

    def observe(transitions: list[tuple[Any, int, float, Any, bool]]) -> None:
        replay.extend(transitions)
        for _ in transitions:  # one minibatch update per environment step
            update()

    returns: list[float] = []
    for start in range(0, episodes, len(envs)):
        state["epsilon"] = max(0.05, 1.0 - start / max(1.0, 0.5 * episodes))  # linear decay over the first half
        seeds = [seed * 100_003 + start + i for i in range(min(len(envs), episodes - start))]
        with torch.no_grad():
            runs = _episodes(envs[:len(seeds)], seeds, act, observe)
        returns += [sum(r["rew"]) for r in runs]
        budget.check_time(started, f"update {state['updates']}", start + len(seeds), episodes, "episodes")  # its pace
    return q, int(state["updates"]), returns


def train_rl(data: dict[str, Any], program: RLProgram, *, epochs: int = 10, seed: int = 0,
             budget: Budget | None = None) -> dict[str, Any]:
    """Train an agent on the environment ``data["make_env"]`` makes with the program's objective.

    ``pg_loss``: a softmax policy and a value network (two 64-64 tanh MLPs, one Adam) trained on
    batches of ``RL_ENVS`` whole episodes.  ``td_loss``: a DQN (replay, target network, epsilon
    greedy).  ``epochs`` times ``episodes_per_epoch`` training episodes.  Deterministic for a seed.
    Fitness: the mean return of greedy validation episodes; test episodes use other seeds.
    """
    budget = budget or Budget()
    started = time.perf_counter()
    torch.manual_seed(seed)
    envs = [data["make_env"]() for _ in range(RL_ENVS)]
    episodes = epochs * int(data["episodes_per_epoch"])
    train = _train_pg if program.kind == "pg_loss" else _train_td
    net, updates, returns = train(data, program.loss, envs, episodes, seed, budget, started)
    n_eval = int(data["eval_episodes"])
    metrics: dict[str, Any] = {
        "val_return": _greedy_return(envs, net, [10**6 + seed * 1000 + i for i in range(n_eval)]),
        "test_return": _greedy_return(envs, net, [2 * 10**6 + seed * 1000 + i for i in range(n_eval)]),
        "train_return": float(np.mean(returns[-RL_ENVS:])),
    }
    metrics["fitness"] = metrics["val_return"]
    metrics.update(episodes=episodes, steps=updates, params=sum(p.numel() for p in net.parameters()),
                   train_seconds=round(time.perf_counter() - started, 4))
    return metrics
