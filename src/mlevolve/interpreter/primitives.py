"""What each primitive compiles to: code templates, one table per backend, keyed by op name.

A template's ``{0}``, ``{1}``... are the argument expressions (always a name or a literal, since
code is straight-line); ``{*}`` is all of them, comma-separated.  A key ``op(Type,...)`` (a
production id) overrides the op's template for that signature.

- ``TORCH`` serves the neural component kinds (Scalar, Tensor, Int, Layer).  Scalars there are
  0-d tensors or Python numbers; functions marked in ``TORCH_LIFT`` need their constant arguments
  as tensors (``torch.as_tensor``), made in the precision of the function's Tensor input (float32 at
  least, ``{dtype}`` in a template: see ``codegen.constant_dtype``).
- ``NUMPY`` serves learners and formulas (Scalar, Vector, Matrix), batched over leading axes
  (tasks, examples): a Scalar is ``(...)``, a Vector ``(..., F)``, a Matrix ``(..., F, F)``.  ``DIM``
  is the feature count, ``rng`` a ``numpy.random.Generator``.

A test checks that every production of the base grammar has a template in the backend of its types.
"""

from __future__ import annotations

_UNARY_TORCH = {
    "abs": "torch.abs({0})", "reciprocal": "torch.reciprocal({0})", "exp": "torch.exp({0})",
    "log": "torch.log({0})", "sqrt": "torch.sqrt({0})", "square": "torch.square({0})", "sin": "torch.sin({0})",
    "cos": "torch.cos({0})", "tanh": "torch.tanh({0})", "sigmoid": "torch.sigmoid({0})", "relu": "torch.relu({0})",
    "heaviside": "torch.relu(torch.sign({0}))", "sign": "torch.sign({0})",
    "softplus": "F.softplus({0})", "erf": "torch.erf({0})", "noise": "torch.randn_like({0})",
}

TORCH: dict[str, str] = {
    "add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}", "neg": "-{0}",
    "min": "torch.minimum({0}, {1})", "max": "torch.maximum({0}, {1})",
    **_UNARY_TORCH,
    "full": "torch.as_tensor({0}, dtype={dtype})",
    # layers
    "dense": "nn.LazyLinear({0})", "seq": "nn.Sequential({*})", "residual": "Residual({0})",
    "layernorm": "LayerNorm()", "batchnorm": "nn.LazyBatchNorm1d()", "dropout": "dropout({0})",
    "identity": "nn.Identity()", "relu_layer": "nn.ReLU()", "tanh_layer": "nn.Tanh()",
}

# torch functions that reject Python numbers: constant arguments are wrapped in torch.tensor(...).
TORCH_LIFT = frozenset({*_UNARY_TORCH, "min", "max"})

_UNARY_NUMPY = {
    "abs": "np.abs({0})", "reciprocal": "1.0 / {0}", "exp": "np.exp({0})", "log": "np.log({0})",
    "sqrt": "np.sqrt({0})", "square": "np.square({0})", "sin": "np.sin({0})", "cos": "np.cos({0})",
    "tanh": "np.tanh({0})", "sigmoid": "1.0 / (1.0 + np.exp(-{0}))", "relu": "np.maximum({0}, 0.0)",
    "heaviside": "np.heaviside({0}, 0.0)", "sign": "np.sign({0})",
}

NUMPY: dict[str, str] = {
    "add": "{0} + {1}", "sub": "{0} - {1}", "mul": "{0} * {1}", "div": "{0} / {1}", "neg": "-{0}",
    "min": "np.minimum({0}, {1})", "max": "np.maximum({0}, {1})",
    **_UNARY_NUMPY,
    # Reductions call the ufunc directly: np.sum's Python wrapper costs more than the sum of a few numbers.
    "dot": "np.add.reduce({0} * {1}, -1)",
    "outer": "{0}[..., :, None] * {1}[..., None, :]",
    "matmul(Matrix,Vector)": "({0} @ {1}[..., None])[..., 0]",
    "matmul(Matrix,Matrix)": "{0} @ {1}",
    "transpose": "np.swapaxes({0}, -1, -2)",
    "norm(Vector)": "np.sqrt(np.add.reduce({0} * {0}, -1))",
    "norm(Matrix)": "np.sqrt(np.add.reduce({0} * {0}, (-2, -1)))",
    "mean(Vector)": "np.add.reduce({0}, -1) / DIM", "mean(Matrix)": "np.add.reduce({0}, (-2, -1)) / (DIM * DIM)",
    "std(Vector)": "np.std({0}, -1)", "std(Matrix)": "np.std({0}, (-2, -1))",
    "fill": "np.multiply.outer({0}, np.ones(DIM))",
    "rows": "np.repeat(np.expand_dims({0}, -2), DIM, -2)",
    "cols": "np.repeat(np.expand_dims({0}, -1), DIM, -1)",
    "gaussian_vector": 'draw(rng, "normal", {0}, {1}, DIM)',
    "uniform_vector": 'draw(rng, "uniform", {0}, {1}, DIM)',
    "gaussian_matrix": 'draw(rng, "normal", {0}, {1}, DIM, DIM)',
    "uniform_matrix": 'draw(rng, "uniform", {0}, {1}, DIM, DIM)',
}

# numpy elementwise ops whose Scalar operand must gain axes to meet a Vector or Matrix operand.
NUMPY_BROADCAST = frozenset({"add", "sub", "mul", "div", "min", "max"})
# The NumPy templates that act elementwise on arrays of any shape (no reduction, no DIM, no draws).
NUMPY_ELEMENTWISE = frozenset({*NUMPY_BROADCAST, "neg", *_UNARY_NUMPY})


def template(table: dict[str, str], op: str, args: tuple[str, ...]) -> str | None:
    """The template for ``op`` with argument types ``args``: by production id first, then by op."""
    return table.get(f"{op}({','.join(args)})", table.get(op))


_RANK = {"Scalar": 0, "Vector": 1, "Matrix": 2}


def numpy_expression(op: str, arg_types: tuple[str, ...], texts: list[str], numbers: list[bool]) -> str | None:
    """The NumPy expression of ``op`` over argument expressions ``texts`` (of types ``arg_types``;
    ``numbers[i]``: the argument is a Python number, a literal), or None if ``op`` has no template.

    One rule for code generation (:mod:`mlevolve.interpreter.codegen`) and the IR interpreter
    (:mod:`mlevolve.interpreter.fastpath`), whose oracle test holds them to the same numbers: in an
    op of ``NUMPY_BROADCAST`` a Scalar that is not a number gains the trailing axes of the
    highest-rank operand (``s[..., None]`` to meet a Vector); an op whose arguments are all
    numbers computes with ``np.float64`` (IEEE rules: ``1.0 / 0.0`` is inf, not an error)."""
    tpl = template(NUMPY, op, arg_types)
    if tpl is None:
        return None
    texts = list(texts)
    if op in NUMPY_BROADCAST:
        top = max(_RANK.get(t, 0) for t in arg_types)
        texts = [f"{text}[...{', None' * (top - _RANK.get(t, 0))}]" if _RANK.get(t, 0) < top and not number else text
                 for text, number, t in zip(texts, numbers, arg_types, strict=True)]
    if texts and all(numbers):
        texts[0] = f"np.float64({texts[0]})"
    return tpl.replace("{*}", ", ".join(texts)).format(*texts)
