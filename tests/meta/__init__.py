"""Helpers shared by the meta level's tests."""

from __future__ import annotations

from collections.abc import Sequence

from mlevolve.grammar.spec import GrammarSpec
from mlevolve.meta.mine import Elite, Mined, rewrite


def assert_rules_reexpand(elites: Sequence[Elite], grown: GrammarSpec, found: Sequence[Mined]) -> None:
    """Each elite rewritten by every mined rule in turn expands back to its own body (mining loses nothing)."""
    for e in elites:
        body = e.body
        for m in found:
            body, _ = rewrite(body, e.env, grown, m.production)
        assert grown.expand(body) == e.body
