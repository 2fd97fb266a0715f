"""How a metric's value is shown as text to a person: the one rule of the library's commands and report and of an
exported script, which carries this module (``main`` prints its metrics with :func:`shown_metric`).  Standard
library only, so that :mod:`mlevolve.results` reads it without NumPy."""

import math

METRIC_DIGITS = 5  # significant digits of a metric shown as text, by every command, report and exported script
# (run, evolve's summary and progress, best, show, report): 5 resolve 1e-5 to 1e-4 relative, the order of the least
# gain a verdict counts (results.GAIN_RTOL, 1e-5), and leave out a float's last, noisy digits (float32 training);
# --json, the API's dicts and the archive keep all 17 (the verdict widens two values it compares until they differ).


def shown_number(x: float, digits: int) -> str:
    """``x`` to ``digits`` significant digits, or to as many more (up to 17) as it takes not to read as a round
    number it is not: 0.999998 is not shown as ``1`` (a perfect score), nor 99.99999 as ``100``."""
    text = f"{x:.{digits}g}"
    while digits < 17 and "e" not in text and math.isfinite(x) and float(text) != x and float(text).is_integer():
        digits += 1
        text = f"{x:.{digits}g}"
    return text


def shown_metric(x: float) -> str:
    """A metric's value as text for a person: :data:`METRIC_DIGITS` significant digits (:func:`shown_number`), the
    one rule of ``mlevolve run``, ``best``, ``show``, ``evolve``'s summary, the report and an exported script."""
    return shown_number(float(x), METRIC_DIGITS)
