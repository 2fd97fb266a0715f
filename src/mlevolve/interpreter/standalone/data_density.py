"""The generative regime's tasks: samples of a distribution for density estimation.

The 2-D toys ``moons2d``, ``circles2d``, ``gaussians8`` and ``spirals2d``: 2,000 train, 1,000
validation and 1,000 test points standardised with the train mean/std.  ``digits_density``:
sklearn's 1,797 8x8 digits as 64-D points, the integer pixels 0..16 dequantised with uniform noise
U[0, 1), split 60/20/20 stratified by digit (1,078/359/360) and standardised with the scalar
mean/std of all train pixels.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from mlevolve.interpreter.standalone.data import _sk_seed, _spirals, _split, _standardise, datasets
from mlevolve.interpreter.standalone.spec import parse_spec

DENSITY_SIZE = (2000, 1000, 1000)
DIGITS_DENSITY = "digits_density"
DIGITS_DENSITY_SPLIT = (1078, 359, 360)  # 60/20/20 of sklearn's 1,797 digits, stratified by digit


def _gaussians8(rng: np.random.Generator, n: int) -> Any:
    """A mixture of 8 Gaussians (sd 0.1) evenly spaced on the circle of radius 2."""
    angle = 2 * np.pi * rng.integers(0, 8, n) / 8
    centres = 2.0 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres + rng.normal(0.0, 0.1, (n, 2))


DENSITY: dict[str, Callable[[np.random.Generator, int], Any]] = {
    "moons2d": lambda rng, n: datasets().make_moons(n, noise=0.05, random_state=_sk_seed(rng))[0],
    "circles2d": lambda rng, n: datasets().make_circles(n, noise=0.05, factor=0.5, random_state=_sk_seed(rng))[0],
    "gaussians8": _gaussians8,
    "spirals2d": lambda rng, n: _spirals(rng, n)[0],
}


def _digits_density(rng: np.random.Generator) -> dict[str, Any]:
    """sklearn's digits, dequantised (pixel + U[0, 1)), split 60/20/20 by digit and standardised.

    Dequantisation turns the integer pixels into a continuous density on [0, 17)^64 whose
    likelihood is finite (constant pixels become uniform on [0, 1) rather than a point mass).  The
    standardisation is one scalar mean/std over all train pixels, not per pixel: per-pixel scaling
    would blow the near-constant border pixels' dequantisation noise up to unit variance.
    """
    x, y = datasets().load_digits(return_X_y=True)
    x = np.asarray(x, np.float64) + rng.uniform(0.0, 1.0, x.shape)
    train, val, test = _split(np.asarray(y, np.int64), len(y), rng)
    mean, std = float(x[train].mean()), float(x[train].std())  # one scalar each: pixels keep their relative scale
    x_train, x_val, x_test = (((x[rows] - mean) / std).astype(np.float32) for rows in (train, val, test))
    return {"name": DIGITS_DENSITY, "x_train": x_train, "x_val": x_val, "x_test": x_test}


def density_task(spec: str, seed: int = 0) -> dict[str, Any]:
    """The samples ``spec`` names (no options), drawn with the generator seeded by ``seed``: x_train,
    x_val and x_test, float32 (n, 2) for the 2-D toys, (n, 64) for digits_density."""
    name, _ = parse_spec(spec, {}, {*DENSITY, DIGITS_DENSITY}, "a density task")
    rng = np.random.default_rng(seed)
    if name == DIGITS_DENSITY:
        return _digits_density(rng)
    x = np.asarray(DENSITY[name](rng, sum(DENSITY_SIZE)), np.float64)
    a, b = DENSITY_SIZE[0], DENSITY_SIZE[0] + DENSITY_SIZE[1]
    x_train, x_val, x_test = _standardise(x[:a], x[a:b], x[b:])
    return {"name": name, "x_train": x_train, "x_val": x_val, "x_test": x_test}
