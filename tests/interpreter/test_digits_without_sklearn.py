"""The digits task is read from the file scikit-learn ships, without importing scikit-learn."""

from __future__ import annotations

import sys

import numpy as np

from mlevolve.interpreter.tasks import read_digits
from tests.conftest import ROOT, run_child


def test_the_digits_are_sklearns_arrays() -> None:
    from sklearn.datasets import load_digits

    x, y = read_digits()
    x_sk, y_sk = load_digits(return_X_y=True)
    assert x.dtype == x_sk.dtype and y.dtype == y_sk.dtype
    assert np.array_equal(x, x_sk) and np.array_equal(y, y_sk)


def test_loading_the_digits_task_imports_no_sklearn() -> None:
    code = ("import sys\nfrom mlevolve.interpreter.tasks import load_task\n"
            "load_task('digits', 0)\nprint('sklearn' in sys.modules)\n")
    out = run_child([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True,
                    timeout=120)
    assert out.stdout.split() == ["False"]
