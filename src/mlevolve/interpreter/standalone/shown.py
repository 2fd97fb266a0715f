"""How a metric's value is shown as text to a person: the one rule of the library's commands and report and of an
exported script, which carries this module (``main`` prints its metrics with :func:`shown_metric`).  Standard
library only, so that :mod:`mlevolve.results` reads it without NumPy."""

import math

# The significant digits of a metric shown as text by mlevolve (run, evolve, best, show, report) and this script: 5
# resolve 1e-5 to 1e-4 relative, the order of the least gain a verdict counts (results.GAIN_RTOL), without a float's
# last, noisy digits; --json, the API's dicts and the archive keep all 17.
METRIC_DIGITS = 5


def shown_metric(x: float, digits: int = METRIC_DIGITS) -> str:
    """``x`` to ``digits`` significant digits, or as many more (up to 17) as it takes not to read as a round number
    it is not: 0.999998 is not shown as ``1`` (a perfect score), nor 99.99999 as ``100``."""
    text = f"{float(x):.{digits}g}"
    while digits < 17 and "e" not in text and math.isfinite(x) and float(text) != x and float(text).is_integer():
        digits += 1
        text = f"{float(x):.{digits}g}"
    return text
