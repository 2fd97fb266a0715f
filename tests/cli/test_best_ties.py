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
