"""``mlevolve best`` lists a program above a fitter one where the two tie up to float rounding (the smaller first,
:func:`mlevolve.results.shown_order`), and said nothing of it (qa76): the list now says the rule where it applies."""

from __future__ import annotations

from mlevolve.cli import tie_note


def _row(rank: int, fitness: float | None, size: int) -> dict[str, object]:
    return {"rank": rank, "fitness": fitness, "size": size}


def test_a_tie_listed_smaller_first_is_said_with_the_rule() -> None:
    rows = [_row(1, -0.25, 5), _row(2, -0.2499999999999999, 9), _row(3, -0.5, 3)]
    assert tie_note(rows) == ("order: by fitness, a tie (within 1e-09 relative) listed smallest first (#2, size 9, is "
                              "fitter than #1, size 5, by 1.11e-16: a tie)")


def test_a_list_in_order_of_fitness_says_nothing() -> None:
    assert tie_note([_row(1, -0.25, 5), _row(2, -0.25, 9), _row(3, -0.5, 3), _row(4, None, 1)]) is None
    assert tie_note([_row(1, None, 5), _row(2, -0.1, 9)]) is None


def _pruned(rank: int, fitness: float, size: int, line: str) -> dict[str, object]:
    return {**_row(rank, fitness, size), "source": "pruned", "pruned": line}


def test_the_pruned_best_above_a_fitter_row_is_said_as_the_prune_not_a_tie() -> None:
    """qa102: the run's pruned best, scored on the prune's common draw, heads the list above a row fitter by 0.00336
    on its own draw; the line called that a tie."""
    line = ("pruned from candidate 43 (hash a2fa6a9ab707; fitness 0.50923 on its own draw): 6 -> 1 node, fitness "
            "0.49819 -> 0.5 on 100 common tasks")
    rows = [_pruned(1, 0.5, 1, line), _row(2, 0.50336, 13), _row(3, 0.50029, 9)]
    assert tie_note(rows) == (
        "order: by fitness, but the run's best pruned, the answer, first in its candidate's place (#2, size 13, is "
        "fitter than #1, size 1, by 0.00336: #1 is scored on the prune's 100 common tasks, the others each on tasks "
        "drawn for it)")


def test_a_pruned_best_within_its_tolerance_and_a_tie_below_are_each_said_with_their_reason() -> None:
    line = "pruned from candidate 7 (hash 0123456789ab): 9 -> 5 nodes, val_mse 2.1e-15 -> 3e-15"
    rows = [_pruned(1, -3e-15, 5, line), _row(2, -2.1e-15, 9), _row(3, -0.25, 3), _row(4, -0.2499999999999999, 7),
            _row(5, -0.5, 3), _row(6, -0.4999999999999999, 4)]
    assert tie_note(rows) == (
        "order: by fitness, but the run's best pruned, the answer, first in its candidate's place (#2, size 9, is "
        "fitter than #1, size 5, by 9e-16: #1's edits cost it less than the prune's tolerance below its "
        "candidate); and a tie (within 1e-09 relative) listed smallest first (#4, size 7, is fitter than #3, size 3, "
        "by 1.11e-16; #6, size 4, is fitter than #5, size 3, by 1.11e-16: ties)")


def test_a_select_answer_heading_the_list_is_left_to_its_own_lines() -> None:
    rows = [{**_row(1, 0.9, 3), "selected": "best"}, _row(2, 0.99, 9), _row(3, 0.95, 5)]
    assert tie_note(rows) is None


def test_the_pruned_fittest_below_a_select_answer_is_not_called_the_answer_or_first() -> None:
    """qa106: where ``--select best`` answers with another formula (#1), the pruned fittest is #2: the line called it
    "the answer, first"."""
    line = "pruned from candidate 131 (hash d12c04eb1cb4): 11 -> 9 nodes, train_mse 1.617429 -> 1.61743"
    rows = [{**_row(1, 0.52259, 2), "selected": "best"}, _pruned(2, 0.551711, 9, line), _row(3, 0.551712, 12)]
    assert tie_note(rows) == (
        "order: by fitness, but the run's fittest pruned in its candidate's place (#3, size 12, is fitter than #2, "
        "size 9, by 1e-06: #2's edits cost it less than the prune's tolerance below its candidate)")
