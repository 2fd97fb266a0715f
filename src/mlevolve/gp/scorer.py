"""The scoring policy, the coordinator's half: cache → probe → FEC → hurdle → full training.

1. cache: a program whose canonical key was seen before gets the earlier outcome;
2. probe: a component that is non-finite (or a constant activation) on fixed probe inputs fails;
3. FEC: a program whose probe fingerprint was seen before gets that program's outcome;
4. hurdle: a supervised program first trains briefly; below the rolling ``policy.quantile`` of
   earlier short runs it stops there (AutoML-Zero's hurdles);
5. full evaluation.

Steps 2-5 run where the candidate runs, in one request (:func:`mlevolve.gp.backends.score`); the
request carries what they decide with: the FEC fingerprints (sent to a worker as deltas) and the
hurdle's window, as the :class:`Scorer` holds them when the request is made.  The :class:`Scorer`
keeps the tables: the cache (outcome by key), the FEC table (outcome by fingerprint) and the
window, and checks every outcome before the run records it (:func:`checked`).
"""

from __future__ import annotations

import math

from mlevolve.dsl.ir import Program
from mlevolve.gp.backends import Policy, Request, Scored
from mlevolve.results import Failure, Outcome, counted_source

WINDOW = 100  # the hurdle's window: this many latest short-run fitnesses


def checked(outcome: Outcome) -> Outcome:
    """A candidate's outcome as the archive may hold it: a finite fitness, or a failure with a reason
    (whatever the evaluator or backend that produced it)."""
    if outcome.failure is not None:
        return outcome
    value = outcome.metrics.get("fitness")
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        return Outcome({}, Failure(f"the fitness is not a finite number ({value!r})", "validation"), outcome.seconds)
    return outcome


class Scorer:
    """A run's scoring tables: ``cache`` (key -> first outcome), ``fec`` (fingerprint -> first
    outcome, keys also in ``fingerprints`` in the order found) and ``quick_history`` (every short-run
    fitness, in order)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.cache: dict[str, Outcome] = {}
        self.fec: dict[str, Outcome] = {}
        self.fingerprints: list[str] = []
        self.quick_history: list[float] = []

    def cached(self, key: str) -> Outcome | None:
        """Step 1: the outcome of an equal program scored before, or None."""
        return self.cache.get(key)

    def request(self, job: int, key: str, program: Program) -> Request:
        """Steps 2-5 for a candidate, as one ``score`` request with this moment's tables.  The program
        goes as itself (``Request.parsed``; to a worker as tokens), without its text (""), which no
        backend reads then and the archive makes only where it keeps it."""
        return Request(job, "score", "", key, self.fingerprints, len(self.fingerprints), 0,
                       tuple(self.quick_history[-WINDOW:]), self.policy, program)

    def resolve(self, scored: Scored) -> Scored:
        """A request's answer with its outcome: an FEC hit takes the outcome held for its
        fingerprint; every outcome is :func:`checked`, and counted under one step (:func:`counted_source`)."""
        outcome = scored.outcome
        if scored.source == "fec":
            assert scored.fingerprint is not None
            outcome = self.fec[scored.fingerprint]
        assert outcome is not None
        outcome = checked(outcome)  # a hurdle's non-finite short-run fitness fails here: counted as a failed training
        return scored._replace(outcome=outcome, source=counted_source(scored.source, outcome.failure is not None))

    def remember(self, key: str, outcome: Outcome, source: str, fingerprint: str | None) -> None:
        """Enter a finished candidate in the tables (the first outcome of a key or fingerprint stays)."""
        self.cache.setdefault(key, outcome)
        if fingerprint is not None and fingerprint not in self.fec:
            self.fec[fingerprint] = outcome
            self.fingerprints.append(fingerprint)
        if source in ("evaluated", "hurdle") and "quick_fitness" in outcome.metrics:
            self.quick_history.append(float(outcome.metrics["quick_fitness"]))
