"""Compiled DSL against hand-written PyTorch: the cost of running a program through mlevolve.

The compiled side is ``examples/mlp_digits.mlev`` trained through mlevolve's evaluation path
(``evaluate_compiled``: instantiate the generated code, then ``runtime.train_supervised``) on the
``digits`` task, 10 epochs.  The hand-written side is the same training written directly in
PyTorch below:

- model: Linear(64, 64) - ReLU - Linear(64, 64) - ReLU - Linear(64, 10), initialised from the same
  seed in the same order (so both start from identical weights);
- loss: -sum(y * log(softmax(out) + 1e-7)) / batch, y one-hot (the example's `xent`);
- update: SGD with heavy-ball momentum 0.9 at a constant rate 0.05 (the example's `momentum` and
  `constant`), applied PER PARAMETER with ``torch.optim.SGD(lr=0.05, momentum=0.9)``, which
  computes m = 0.9 m + g, w = w - lr m, the same arithmetic as the example (mlevolve applies it
  once per step to one flat vector of all parameters);
- data: the same arrays from ``mlevolve.interpreter.tasks.load_task('digits')``, the same shuffled
  order (numpy ``default_rng(seed).permutation`` per epoch), batches of 64, 10 epochs;
- then validation and test accuracy and loss, as mlevolve reports them.

The hand-written loop skips what mlevolve adds for robustness (the finiteness checks of loss and
weights, the time budget, the meta-device size probe): that is the overhead being measured.
Both run single-threaded, interleaved in one process, after a warm-up; the medians are compared.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import mlevolve
from mlevolve.interpreter.codegen import Compiled, compile_program
from mlevolve.interpreter.evaluate import Settings, evaluate_compiled
from mlevolve.interpreter.tasks import Supervised, load_task
from mlevolve.script import ArgumentParser

ROOT = Path(__file__).resolve().parents[1]
EPOCHS = 10
BATCH = 64
LR = 0.05
MOMENTUM = 0.9


def hand_written(task: Supervised, epochs: int = EPOCHS, seed: int = 0) -> dict[str, Any]:
    """The example, trained by a plain PyTorch loop."""
    started = time.perf_counter()
    x_train, y_train = torch.as_tensor(task.x_train), torch.as_tensor(task.y_train)
    n_classes = task.n_classes
    torch.manual_seed(seed)
    order_rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Linear(task.n_features, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, n_classes))
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    n = len(x_train)
    steps = 0
    for _ in range(epochs):
        model.train()
        order = torch.from_numpy(order_rng.permutation(n))
        for start in range(0, n, BATCH):
            batch = order[start:start + BATCH]
            xb, yb = x_train[batch], y_train[batch]
            p = torch.softmax(model(xb), dim=1)
            loss = -(F.one_hot(yb, n_classes).to(p.dtype) * torch.log(p + 1e-7)).sum() / len(batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += 1
    model.eval()
    metrics: dict[str, Any] = {}
    with torch.no_grad():
        for split, x, y in (("val", task.x_val, task.y_val), ("test", task.x_test, task.y_test)):
            out, target = model(torch.as_tensor(x)), torch.as_tensor(y)
            metrics[f"{split}_accuracy"] = float((out.argmax(1) == target).float().mean())
            metrics[f"{split}_loss"] = float(F.cross_entropy(out, target))
    metrics.update(steps=steps, train_seconds=time.perf_counter() - started)
    return metrics


def compare(compiled: Compiled, task: Supervised, epochs: int, runs: int, warmup: int) -> dict[str, Any]:
    """Interleaved timings of both sides (alternating which goes first): medians and the last metrics."""
    settings = Settings(seed=0, epochs=epochs, batch_size=BATCH, threads=1)

    def run_compiled() -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        outcome = evaluate_compiled(compiled, task, settings)
        elapsed = time.perf_counter() - started
        assert outcome.failure is None, outcome.failure
        return elapsed, outcome.metrics

    def run_hand() -> tuple[float, dict[str, Any]]:
        started = time.perf_counter()
        metrics = hand_written(task, epochs)
        return time.perf_counter() - started, metrics

    for _ in range(warmup):
        run_compiled()
        run_hand()
    times: dict[str, list[float]] = {"compiled": [], "hand": []}
    metrics: dict[str, dict[str, Any]] = {}
    for i in range(runs):
        sides = [("compiled", run_compiled), ("hand", run_hand)]
        for side, fn in sides if i % 2 == 0 else sides[::-1]:
            elapsed, metrics[side] = fn()
            times[side].append(elapsed)
    steps = int(metrics["compiled"]["steps"])
    assert steps == metrics["hand"]["steps"] == epochs * math.ceil(len(task.y_train) / BATCH)
    return {"steps": steps, "times": times, "metrics": metrics,
            "compiled": statistics.median(times["compiled"]), "hand": statistics.median(times["hand"])}


def main() -> int:
    parser = ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke mode: 1 epoch, 3 runs each")
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each side (default 9, at least 7)")
    args = parser.parse_args()
    epochs, runs, warmup = (1, 3, 1) if args.quick else (EPOCHS, max(args.runs, 7), 2)
    torch.set_num_threads(1)

    print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} CPUs; python {sys.version.split()[0]}, torch {torch.__version__}, "
          f"numpy {np.__version__}; torch threads {torch.get_num_threads()}")
    spec = mlevolve.load_grammar()
    program = mlevolve.check(mlevolve.parse_file(ROOT / "examples" / "mlp_digits.mlev"))
    compiled = compile_program(program, spec)  # once, outside the timings
    task = load_task("digits", seed=0)
    assert isinstance(task, Supervised)

    result = compare(compiled, task, epochs, runs, warmup)
    c, h, steps = result["compiled"], result["hand"], result["steps"]
    times = result["times"]
    print(f"workload: examples/mlp_digits.mlev on digits, {epochs} epoch(s), {steps} steps of batch {BATCH}, "
          f"{runs} timed runs each (interleaved) after {warmup} warm-up")
    print("update rule: hand-written uses torch.optim.SGD(lr=0.05, momentum=0.9) per parameter; "
          "compiled runs the generated `momentum` once per step on one flat vector of all parameters")
    print(f"compiled (mlevolve evaluate_compiled): median {c * 1000:8.1f} ms   {c / steps * 1000:.3f} ms/step   "
          f"min {min(times['compiled']) * 1000:.1f} ms")
    print(f"hand-written PyTorch:                  median {h * 1000:8.1f} ms   {h / steps * 1000:.3f} ms/step   "
          f"min {min(times['hand']) * 1000:.1f} ms")
    print(f"ratio compiled/hand-written: {c / h:.3f} (goal <= 1.05)")
    mc, mh = result["metrics"]["compiled"], result["metrics"]["hand"]
    print(f"same accuracy: {mc['val_accuracy'] == mh['val_accuracy'] and mc['test_accuracy'] == mh['test_accuracy']} "
          f"(val {mc['val_accuracy']:.6f} vs {mh['val_accuracy']:.6f}); val_loss {mc['val_loss']:.6f} vs "
          f"{mh['val_loss']:.6f} (SGD's fused w + (-lr) m rounds differently from w - lr m)")
    if not args.quick:  # the fixed cost of one evaluation shows on short runs
        short = compare(compiled, task, 1, 7, 1)
        overhead = short["compiled"] - short["hand"]
        print(f"1-epoch runs ({short['steps']} steps, 7 each): compiled median {short['compiled'] * 1000:.1f} ms, "
              f"hand-written {short['hand'] * 1000:.1f} ms, ratio {short['compiled'] / short['hand']:.3f}, "
              f"fixed overhead per evaluation ~{overhead * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    import mlevolve.script

    mlevolve.script.run(main)
