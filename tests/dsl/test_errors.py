"""Golden tests of every class of user error: the exact text `mlevolve check` writes to stderr.

Each error is ``FILE:LINE:COL: error: MESSAGE``, the source line, a caret line under the offending
span, and a ``hint:`` line; the exit status is 2 and there is never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlevolve import api
from mlevolve.cli import main
from mlevolve.dsl.errors import MlevError, MlevErrors
from mlevolve.dsl.kinds import KINDS, LEARNER_METHODS, KindSpec
from mlevolve.dsl.parse import parse
from mlevolve.dsl.types import LAYER as LAYER_T
from mlevolve.dsl.types import TENSOR, type_str
from tests.conftest import run_mlevolve

HEAD = "algorithm a\n"

# name -> (file content, expected stderr).  The file is written as NAME.mlev in the current directory.
GOLDEN: dict[str, tuple[str | bytes, str]] = {
    # ---------------------------------------------------------------------------------- syntax
    "unexpected_token": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  x + * x\n",
        "unexpected_token.mlev:3:7: error: unexpected '*'\n"
        "      x + * x\n"
        "          ^\n"
        "hint: expected one of: '(', '-', a name, a number\n",
    ),
    "unexpected_char": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  x $ x\n",
        "unexpected_char.mlev:3:5: error: unexpected character '$'\n"
        "      x $ x\n"
        "        ^\n"
        "hint: names are ASCII letters, digits and '_'; numbers are like 3, 0.5 or 1e-3\n",
    ),
    # a bracket left open: said at the bracket, not where the parse broke (a fresh user's finding: the next
    # definition's line was named); at the end of the file, before a later line, on its own line, and a stray ')'
    "unexpected_eof": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  relu(x\n",
        "unexpected_eof.mlev:3:7: error: '(' is never closed: the file ends first\n"
        "      relu(x\n"
        "          ^\n"
        "hint: close it with ')' before the end of the file\n",
    ),
    "unclosed_before_next_definition": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  relu(x\n\nloss xent(p: Tensor, y: Tensor) -> Tensor =\n"
        "  -(y * log(p + 1e-7))\n",
        "unclosed_before_next_definition.mlev:3:7: error: '(' is never closed: found 'loss' at 5:1\n"
        "      relu(x\n"
        "          ^\n"
        "hint: close it with ')' before line 5\n",
    ),
    "unclosed_operand_before_next_definition": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  relu(x +\n\nloss xent(p: Tensor, y: Tensor) -> Tensor =\n"
        "  -(y * log(p + 1e-7))\n",
        "unclosed_operand_before_next_definition.mlev:3:7: error: '(' is never closed: found 'xent' at 5:6\n"
        "      relu(x +\n"
        "          ^\n"
        "hint: close it with ')' before line 5\n",
    ),
    "unclosed_closed_later": (  # the next definition's extra ')' closes it as text, not as a program
        HEAD + "activation f(x: Tensor) -> Tensor =\n  relu(x\nloss xent(p: Tensor, y: Tensor) -> Tensor =\n"
        "  -(y * log(p + 1e-7)))\n",
        "unclosed_closed_later.mlev:3:7: error: '(' is not closed before 'loss' at 4:1\n"
        "      relu(x\n"
        "          ^\n"
        "hint: close it with ')' before line 4\n",
    ),
    "unclosed_nested": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  add(relu(x, x\n",
        "unclosed_nested.mlev:3:11: error: '(' is never closed: the file ends first\n"
        "      add(relu(x, x\n"
        "              ^\n"
        "hint: close it with ')' before the end of the file; 1 more '(' before it is open too, at 3:6\n",
    ),
    "unclosed_parameters": (
        HEAD + "activation f(x: Tensor -> Tensor =\n  relu(x)\n",
        "unclosed_parameters.mlev:2:13: error: '(' is never closed: found '->' at 2:24\n"
        "    activation f(x: Tensor -> Tensor =\n"
        "                ^\n"
        "hint: close it with ')' before '->', or mend what is before it (expected there one of: ')', ',')\n",
    ),
    "stray_close": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  relu(x))\n",
        "stray_close.mlev:3:10: error: ')' closes no open '('\n"
        "      relu(x))\n"
        "             ^\n"
        "hint: remove it, or add the '(' it closes (every '(' before it is closed already)\n",
    ),
    "missing_comma_in_lines": (  # a bracket closed further on, no definition between: the token is the mistake
        HEAD + "activation f(x: Tensor) -> Tensor =\n  add(x,\n    x x)\n",
        "missing_comma_in_lines.mlev:4:7: error: unexpected 'x'\n"
        "        x x)\n"
        "          ^\n"
        "hint: expected one of: ')', ','\n",
    ),
    # a word after a complete body was read as the next definition's kind, and the error came where that header
    # broke: at the end of the file (`2 x10` is `2`, then `x10`), or at the `(` of `sin(x)` (a new user's pass)
    "stray_word_after_body": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x * 2 x10\n",
        "stray_word_after_body.mlev:3:9: error: unexpected 'x10' after an expression\n"
        "      x * 2 x10\n"
        "            ^^^\n"
        "hint: join terms with an operator (+ - * /) and call a primitive as NAME(ARGS); a new definition starts with "
        "its kind (activation, loss, augment, schedule, formula, model, optimizer, learner, pg_loss, td_loss, "
        "vae_loss, flow_loss)\n",
    ),
    "stray_call_after_body": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x * 2 sin(x)\n\nformla g(x: Scalar) -> Scalar = x\n",
        "stray_call_after_body.mlev:3:9: error: unexpected 'sin' after an expression\n"
        "      x * 2 sin(x)\n"
        "            ^^^\n"
        "hint: join terms with an operator (+ - * /) and call a primitive as NAME(ARGS); a new definition starts with "
        "its kind (activation, loss, augment, schedule, formula, model, optimizer, learner, pg_loss, td_loss, "
        "vae_loss, flow_loss)\n",
    ),
    # a name written against a number (the lexer reads the number, then the name): said as "after an expression"
    # with the hint to join terms, where the number was meant whole or as a product
    "glued_hex": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x * 0x10\n",
        "glued_hex.mlev:3:8: error: unexpected 'x10' right after the number 0\n"
        "      x * 0x10\n"
        "           ^^^\n"
        "hint: numbers are decimal: write 16\n",
    ),
    "glued_underscore": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  1_000 * x + 1\n",
        "glued_underscore.mlev:3:4: error: unexpected '_000' right after the number 1\n"
        "      1_000 * x + 1\n"
        "       ^^^^\n"
        "hint: a number has no _ between its digits: write 1000\n",
    ),
    "glued_exponent": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x * 1.5e\n",
        "glued_exponent.mlev:3:10: error: unexpected 'e' right after the number 1.5\n"
        "      x * 1.5e\n"
        "             ^\n"
        "hint: an exponent is written with its digits, without spaces: 1.5e3 or 1.5e-3\n",
    ),
    "glued_product_in_call": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  sin(2x)\n",
        "glued_product_in_call.mlev:3:8: error: unexpected 'x' right after the number 2\n"
        "      sin(2x)\n"
        "           ^\n"
        "hint: a product is written with *: 2 * x\n",
    ),
    "eof_after_algorithm": (
        "algorithm\n",
        "eof_after_algorithm.mlev:1:10: error: the algorithm line is `algorithm NAME`: its name is missing\n"
        "    algorithm\n"
        "             ^\n"
        "hint: a header is one line: `algorithm NAME`, with the name on the same line\n",
    ),
    "missing_algorithm": (
        "activation f(x: Tensor) -> Tensor =\n  x\n",
        "missing_algorithm.mlev:1:1: error: unexpected 'activation'\n"
        "    activation f(x: Tensor) -> Tensor =\n"
        "    ^^^^^^^^^^\n"
        "hint: expected one of: 'algorithm'"
        "; a program starts with `algorithm NAME`, then `task NAME` (optional), then its definitions\n",
    ),
    "keyword_let": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  let in = x in x\n",
        "keyword_let.mlev:3:7: error: unexpected keyword 'in'\n"
        "      let in = x in x\n"
        "          ^^\n"
        "hint: expected one of: a name ('in' is a keyword and cannot be used as a name)"
        "; a binding is `let NAME = EXPR in EXPR`\n",
    ),
    "keyword_param": (
        HEAD + "activation f(state: Tensor) -> Tensor =\n  x\n",
        "keyword_param.mlev:2:19: error: unexpected ':'\n"
        "    activation f(state: Tensor) -> Tensor =\n"
        "                      ^\n"
        "hint: expected one of: a name ('state' is a keyword and cannot be used as a name)\n",
    ),
    "keyword_ref": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x + task\n",
        "keyword_ref.mlev:3:7: error: unexpected keyword 'task'\n"
        "      x + task\n"
        "          ^^^^\n"
        "hint: expected one of: '(', '-', a name, a number ('task' is a keyword and cannot be used as a name)\n",
    ),
    "let_operand": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x + let y = x * x in y\n",
        "let_operand.mlev:3:7: error: unexpected keyword 'let'\n"
        "      x + let y = x * x in y\n"
        "          ^^^\n"
        "hint: expected one of: '(', '-', a name, a number (a let as an operand or a negation's is written in "
        "parentheses: x + (let NAME = EXPR in EXPR))\n",
    ),
    "let_negated": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  -let y = x in y\n",
        "let_negated.mlev:3:4: error: unexpected keyword 'let'\n"
        "      -let y = x in y\n"
        "       ^^^\n"
        "hint: expected one of: '(', '-', a name, a number (a let as an operand or a negation's is written in "
        "parentheses: x + (let NAME = EXPR in EXPR))\n",
    ),
    "number_name": (
        HEAD + "formula 3f(x: Scalar) -> Scalar =\n  x\n",
        "number_name.mlev:2:9: error: unexpected '3'\n"
        "    formula 3f(x: Scalar) -> Scalar =\n"
        "            ^\n"
        "hint: expected one of: a name; a definition is `KIND NAME(NAME: Type, ...) -> Type = EXPR`; a learner's is "
        "`learner NAME(state NAME: Type) predict(NAME: Type) -> Type = EXPR learn(...) -> Type = EXPR`\n",
    ),
    "out_of_range": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x * 1e999\n",
        "out_of_range.mlev:3:7: error: number 1e999 is out of range\n"
        "      x * 1e999\n"
        "          ^^^^^\n"
        "hint: a literal must be a finite double, at most about 1.8e308\n",
    ),
    "underflow": (  # read as 0.0 without a word, and `fmt --write` wrote 0.0 (a new user's pass)
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x * 1e-400\n",
        "underflow.mlev:3:7: error: number 1e-400 is below the smallest float, 5e-324, and would read as 0\n"
        "      x * 1e-400\n"
        "          ^^^^^^\n"
        "hint: write 0 if 0 is meant, else a number from 5e-324 up\n",
    ),
    # ---------------------------------------------------------------------------------- types
    "arg_types": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  dot(x, x)\n",
        "arg_types.mlev:3:3: error: in activation 'f': 'dot' expects (Vector, Vector), found (Tensor, Tensor)\n"
        "      dot(x, x)\n"
        "      ^^^^^^^^^\n"
        "hint: did you mean x * x? "
        "it takes (Vector, Vector); primitives that take (Tensor, Tensor) and give a Tensor: add, div, max, min, "
        "mul, sub\n",
    ),
    # the primitives a hint lists give what may stand there (ux81: gaussian_matrix was listed where a Scalar is)
    "arg_types_result": (
        HEAD + "formula f(x0: Scalar, x1: Scalar) -> Scalar =\n  dot(x0, x1)\n",
        "arg_types_result.mlev:3:3: error: in formula 'f': 'dot' expects (Vector, Vector), found (Scalar, Scalar)\n"
        "      dot(x0, x1)\n"
        "      ^^^^^^^^^^^\n"
        "hint: did you mean x0 * x1? "
        "it takes (Vector, Vector); primitives that take (Scalar, Scalar) and give a Scalar: add, div, max, min, "
        "mul, sub\n",
    ),
    "arg_types_result_argument": (  # an argument's: what its call's forms take there
        HEAD + "learner lr(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + dot(y, p) * x\n",
        "arg_types_result_argument.mlev:4:58: error: in learner 'lr', method learn: 'dot' expects (Vector, Vector), "
        "found (Scalar, Scalar)\n"
        "      learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w + dot(y, p) * x\n"
        "                                                             ^^^^^^^^^\n"
        "hint: did you mean y * p? "
        "it takes (Vector, Vector); primitives that take (Scalar, Scalar) and give a Scalar or a Vector: add, "
        "div, gaussian_vector, max, min, mul, sub, uniform_vector\n",
    ),
    "arg_types_result_vector": (
        HEAD + "learner lr(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = dot(y, p)\n",
        "arg_types_result_vector.mlev:4:54: error: in learner 'lr', method learn: 'dot' expects (Vector, Vector), "
        "found (Scalar, Scalar)\n"
        "      learn(x: Vector, y: Scalar, p: Scalar) -> Vector = dot(y, p)\n"
        "                                                         ^^^^^^^^^\n"
        "hint: it takes (Vector, Vector); primitives that take (Scalar, Scalar) and give a Vector: gaussian_vector, "
        "uniform_vector\n",
    ),
    "arg_types_result_let": (  # a let's value may be any type the kind computes with: a formula's, Scalar
        HEAD + "formula f(x0: Scalar, x1: Scalar) -> Scalar =\n  let v = dot(x0, x1) in v\n",
        "arg_types_result_let.mlev:3:11: error: in formula 'f': 'dot' expects (Vector, Vector), "
        "found (Scalar, Scalar)\n"
        "      let v = dot(x0, x1) in v\n"
        "              ^^^^^^^^^^^\n"
        "hint: did you mean x0 * x1? "
        "it takes (Vector, Vector); primitives that take (Scalar, Scalar) and give a Scalar: add, div, max, min, "
        "mul, sub\n",
    ),
    "arg_types_real_for_int": (
        HEAD + "model net() -> Layer =\n  seq(dense(64.0), relu_layer())\n",
        "arg_types_real_for_int.mlev:3:7: error: in model 'net': 'dense' expects (Int), found (Scalar)\n"
        "      seq(dense(64.0), relu_layer())\n"
        "          ^^^^^^^^^^^\n"
        "hint: it takes (Int) (an Int is written without a decimal point, e.g. 64)\n",
    ),
    "arg_types_arithmetic_for_int": (  # it said only "found (Scalar)" (a fresh-user pass)
        HEAD + "model net() -> Layer =\n  seq(dense(32 + 32), relu_layer())\n",
        "arg_types_arithmetic_for_int.mlev:3:7: error: in model 'net': 'dense' expects (Int), found (Scalar)\n"
        "      seq(dense(32 + 32), relu_layer())\n"
        "          ^^^^^^^^^^^^^^\n"
        "hint: it takes (Int) (an Int is a whole number written out, e.g. 64, or a let bound to one: a size has no "
        "arithmetic)\n",
    ),
    "arg_range": (  # ran as dropout(0.9), silently, where dense(0) is refused (a fresh-user pass)
        HEAD + "model net() -> Layer =\n  seq(dense(8), dropout(1.5))\n",
        "arg_range.mlev:3:25: error: in model 'net': dropout rate must be in [0, 0.9], got 1.5\n"
        "      seq(dense(8), dropout(1.5))\n"
        "                            ^^^\n"
        "hint: dropout(p) zeroes a fraction p of the features while training: 0 (none) up to 0.9 (at most), "
        "e.g. dropout(0.2)\n",
    ),
    "arg_range_let": (  # a name let-bound to a literal is that literal; the use is marked
        HEAD + "model net() -> Layer =\n  let rate = -0.1 in\n  seq(dense(8), dropout(rate))\n",
        "arg_range_let.mlev:4:25: error: in model 'net': dropout rate must be in [0, 0.9], got -0.1\n"
        "      seq(dense(8), dropout(rate))\n"
        "                            ^^^^\n"
        "hint: dropout(p) zeroes a fraction p of the features while training: 0 (none) up to 0.9 (at most), "
        "e.g. dropout(0.2)\n",
    ),
    "body_type": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  2.0 * 3.0\n",
        "body_type.mlev:3:3: error: in activation 'f': expected Tensor, found Scalar\n"
        "      2.0 * 3.0\n"
        "      ^^^^^^^^^\n"
        "hint: the body's type must be the declared result type Tensor; a Scalar becomes one in arithmetic with a "
        "Tensor, as in 1.0 + 0.0 * x\n",
    ),
    "body_type_let": (  # a let's body is marked (the let's own span was its name's: `c` of `let c = ...`)
        HEAD + "loss l(p: Tensor, y: Tensor) -> Tensor =\n  let c = 2.0 in c * 3.0\n",
        "body_type_let.mlev:3:18: error: in loss 'l': expected Tensor, found Scalar\n"
        "      let c = 2.0 in c * 3.0\n"
        "                     ^^^^^^^\n"
        "hint: the body's type must be the declared result type Tensor; a Scalar becomes one in arithmetic with a "
        "Tensor, as in 1.0 + 0.0 * p\n",
    ),
    "body_type_learner_method": (
        HEAD + "learner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    y - p\n",
        "body_type_learner_method.mlev:6:5: error: in learner 'l', method learn: expected Vector, found Scalar\n"
        "        y - p\n"
        "        ^^^^^\n"
        "hint: the body's type must be the declared result type Vector; fill(s) is the Vector whose every entry is "
        "Scalar s\n",
    ),
    "unknown_primitive": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  x * sigmod(x)\n",
        "unknown_primitive.mlev:3:7: error: in activation 'f': unknown primitive 'sigmod'\n"
        "      x * sigmod(x)\n"
        "          ^^^^^^^^^\n"
        "hint: did you mean 'sigmoid'?\n",
    ),
    "unknown_primitive_far": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  frobnicate(x)\n",
        "unknown_primitive_far.mlev:3:3: error: in activation 'f': unknown primitive 'frobnicate'\n"
        "      frobnicate(x)\n"
        "      ^^^^^^^^^^^^^\n"
        "hint: `mlevolve grammar show` lists the primitives; a learned rule is known with its grammar file "
        "(--grammar FILE)\n",
    ),
    "result_type_unknown": (  # it read as the kind's signature, (Scalar) -> Sclar, not as a type unknown
        HEAD + "formula f(x: Scalar) -> Sclar =\n  x\n",
        "result_type_unknown.mlev:2:9: error: formula 'f': unknown type 'Sclar' of the result\n"
        "    formula f(x: Scalar) -> Sclar =\n"
        "            ^\n"
        "hint: did you mean 'Scalar'? types: Scalar, Vector, Matrix, Tensor, Int, Layer\n",
    ),
    "python_type": (
        HEAD + "formula f(x: float) -> Scalar =\n  x\n",
        "python_type.mlev:2:14: error: unknown type 'float' of parameter 'x'\n"
        "    formula f(x: float) -> Scalar =\n"
        "                 ^^^^^\n"
        "hint: 'float' is another language's name: write Scalar; types: Scalar, Vector, Matrix, Tensor, Int, Layer\n",
    ),
    "method_result_type": (
        HEAD + "learner l(state w: Vector)\n  predict(x: Vector) -> float =\n    dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w\n",
        "method_result_type.mlev:3:3: error: learner 'l': unknown type 'float' of predict's result\n"
        "      predict(x: Vector) -> float =\n"
        "      ^^^^^^^\n"
        "hint: 'float' is another language's name: write Scalar; types: Scalar, Vector, Matrix, Tensor, Int, Layer\n",
    ),
    "tan_is_not_tanh": (  # another library's name: what .mlev writes, not the closest name (it said 'tanh')
        HEAD + "formula f(x: Scalar) -> Scalar =\n  tan(x)\n",
        "tan_is_not_tanh.mlev:3:3: error: in formula 'f': unknown primitive 'tan'\n"
        "      tan(x)\n"
        "      ^^^^^^\n"
        "hint: 'tan' is another library's name: write sin(x) / cos(x) (tanh is the hyperbolic tangent)\n",
    ),
    "pow": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  pow(x, 2)\n",
        "pow.mlev:3:3: error: in formula 'f': unknown primitive 'pow'\n"
        "      pow(x, 2)\n"
        "      ^^^^^^^^^\n"
        "hint: 'pow' is another library's name: write square(x) for x * x, and another power as x * x * x, "
        "sqrt(x), reciprocal(x) or exp(p * log(x)) for x > 0\n",
    ),
    "python_power": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x ** 2\n",
        "python_power.mlev:3:6: error: unexpected '*': .mlev has no power operator\n"
        "      x ** 2\n"
        "         ^\n"
        "hint: write square(x) for x * x, and another power as x * x * x, sqrt(x), reciprocal(x) or "
        "exp(p * log(x)) for x > 0\n",
    ),
    "caret_power": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x ^ 2\n",
        "caret_power.mlev:3:5: error: unexpected character '^'\n"
        "      x ^ 2\n"
        "        ^\n"
        "hint: .mlev has no power operator: write square(x) for x * x, and another power as x * x * x, sqrt(x), "
        "reciprocal(x) or exp(p * log(x)) for x > 0\n",
    ),
    "pi": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  pi * x\n",
        "pi.mlev:3:3: error: in formula 'f': unknown name 'pi'\n"
        "      pi * x\n"
        "      ^^\n"
        "hint: 'pi' is no name of .mlev: write the number, 3.141592653589793\n",
    ),
    "e_near_a_parameter": (  # it said only "write the number, 2.718281828459045", where ex was meant
        HEAD + "formula f(ex: Scalar) -> Scalar =\n  e * 2.0\n",
        "e_near_a_parameter.mlev:3:3: error: in formula 'f': unknown name 'e'\n"
        "      e * 2.0\n"
        "      ^\n"
        "hint: did you mean 'ex'? If not: 'e' is no name of .mlev: write the number, 2.718281828459045\n",
    ),
    "pi_near_a_binding": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  let phi = x * 2.0 in pi + phi\n",
        "pi_near_a_binding.mlev:3:24: error: in formula 'f': unknown name 'pi'\n"
        "      let phi = x * 2.0 in pi + phi\n"
        "                           ^^\n"
        "hint: did you mean 'phi'? If not: 'pi' is no name of .mlev: write the number, 3.141592653589793\n",
    ),
    "e_far_from_every_name": (  # no close name: the constant alone
        HEAD + "formula f(x: Scalar) -> Scalar =\n  e * x\n",
        "e_far_from_every_name.mlev:3:3: error: in formula 'f': unknown name 'e'\n"
        "      e * x\n"
        "      ^\n"
        "hint: 'e' is no name of .mlev: write the number, 2.718281828459045\n",
    ),
    "call_a_name": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x(1.0)\n",
        "call_a_name.mlev:3:3: error: in formula 'f': 'x' is a name, not a primitive: it cannot be called\n"
        "      x(1.0)\n"
        "      ^^^^^^\n"
        "hint: only primitives of the grammar take arguments\n",
    ),
    "call_an_activation": (  # the hint said only "only primitives of the grammar take arguments" (a fresh-user pass)
        HEAD + "activation a(x: Tensor) -> Tensor =\n  relu(x)\nmodel net() -> Layer =\n  seq(dense(8), a())\n",
        "call_an_activation.mlev:5:17: error: in model 'net': 'a' is a layer, named in a layer position: it is not "
        "called on arguments\n"
        "      seq(dense(8), a())\n"
        "                    ^^^\n"
        "hint: a model names an activation without parentheses: seq(dense(16), a); the layer before is its input\n",
    ),
    # "unknown name 'x'" (the argument was checked before the call): a layer position takes a layer by name
    "call_an_activation_on_x": (
        HEAD + "activation a(x: Tensor) -> Tensor =\n  relu(x)\nmodel net() -> Layer =\n  seq(dense(16), a(x))\n",
        "call_an_activation_on_x.mlev:5:18: error: in model 'net': 'a' is a layer, named in a layer position: it is "
        "not called on arguments\n"
        "      seq(dense(16), a(x))\n"
        "                     ^^^^\n"
        "hint: a model names an activation without parentheses: seq(dense(16), a); the layer before is its input\n",
    ),
    "call_a_primitive_on_x_in_model": (  # "unknown name 'x'": relu is a function of values, not a layer
        HEAD + "model net() -> Layer =\n  seq(dense(16), relu(x))\n",
        "call_a_primitive_on_x_in_model.mlev:3:18: error: in model 'net': 'relu' is a primitive, not a layer: a "
        "model names activations\n"
        "      seq(dense(16), relu(x))\n"
        "                     ^^^^^^^\n"
        "hint: write relu_layer(), the layer that applies relu: seq(dense(16), relu_layer()); or define activation "
        "a(x: Tensor) -> Tensor = relu(x), then write seq(dense(16), a)\n",
    ),
    # a literal float32 does not hold passed check, then ran as inf (and a NaN loss) or as 0
    "literal_beyond_float32": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  relu(x) * 1e39\n",
        "literal_beyond_float32.mlev:3:13: error: in activation 'f': number 1e39 is beyond float32, which this body "
        "runs in: it would be inf\n"
        "      relu(x) * 1e39\n"
        "                ^^^^\n"
        "hint: a literal here is at most about 3.4e38, float32's largest (formulas and learners run in float64)\n",
    ),
    "literal_below_float32": (
        HEAD + "schedule s(t: Scalar) -> Scalar =\n  0.1 + 1e-46 * t\n",
        "literal_below_float32.mlev:3:9: error: in schedule 's': number 1e-46 is below float32's smallest, which this "
        "body runs in: it would read as 0\n"
        "      0.1 + 1e-46 * t\n"
        "            ^^^^^\n"
        "hint: write 0 if 0 is meant, else a number from 1.4e-45 up\n",
    ),
    "call_a_layer_primitive_on_x": (  # "unknown name 'x'": relu_layer takes no arguments
        HEAD + "model net() -> Layer =\n  seq(dense(16), relu_layer(x))\n",
        "call_a_layer_primitive_on_x.mlev:3:18: error: in model 'net': 'relu_layer' takes 0 arguments, got 1\n"
        "      seq(dense(16), relu_layer(x))\n"
        "                     ^^^^^^^^^^^^^\n"
        "hint: signatures: relu_layer()\n",
    ),
    "call_a_definition_on_unknowns": (  # "unknown name 'p'": the call of a definition is the mistake
        HEAD + "loss l(p: Tensor, y: Tensor) -> Tensor =\n  p - y\nmodel net() -> Layer =\n  seq(dense(16), l(p, y))\n",
        "call_a_definition_on_unknowns.mlev:5:18: error: in model 'net': 'l' is loss 'l' of this program, not a "
        "primitive: definitions cannot call one another\n"
        "      seq(dense(16), l(p, y))\n"
        "                     ^^^^^^^\n"
        "hint: write the computation where it is used (a model names an activation without arguments: "
        "seq(dense(16), act))\n",
    ),
    "primitive_as_layer": (  # "unknown name 'relu'" (a fresh-user pass): relu is a primitive, not a layer
        HEAD + "model net() -> Layer =\n  seq(dense(8), relu)\n",
        "primitive_as_layer.mlev:3:17: error: in model 'net': 'relu' is a primitive, not a layer: a model names "
        "activations\n"
        "      seq(dense(8), relu)\n"
        "                    ^^^^\n"
        "hint: write relu_layer(), the layer that applies relu: seq(dense(16), relu_layer()); or define activation "
        "a(x: Tensor) -> Tensor = relu(x), then write seq(dense(16), a)\n",
    ),
    "primitive_without_a_layer_as_layer": (  # sigmoid has no sigmoid_layer: the hint defines an activation
        HEAD + "model net() -> Layer =\n  seq(dense(8), sigmoid)\n",
        "primitive_without_a_layer_as_layer.mlev:3:17: error: in model 'net': 'sigmoid' is a primitive, not a layer: "
        "a model names activations\n"
        "      seq(dense(8), sigmoid)\n"
        "                    ^^^^^^^\n"
        "hint: define activation a(x: Tensor) -> Tensor = sigmoid(x), then write seq(dense(16), a)\n",
    ),
    # a Python habit: indexing, a module's function, a single-quoted task said "names are ASCII letters, digits and
    # '_'" (a fresh-user pass); the hint says what .mlev writes instead
    "python_indexing": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  x[0]\n",
        "python_indexing.mlev:3:4: error: unexpected character '['\n"
        "      x[0]\n"
        "       ^\n"
        "hint: .mlev has no indexing or lists: a Vector, Matrix or Tensor is used whole, elementwise or by dot(u, v), "
        "mean(v), matmul(A, B); a formula takes one Scalar parameter per column\n",
    ),
    "python_module_function": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  torch.relu(x)\n",
        "python_module_function.mlev:3:8: error: unexpected character '.'\n"
        "      torch.relu(x)\n"
        "           ^\n"
        "hint: .mlev has no modules, attributes or methods: call a primitive by its name, relu(x) (not torch.relu(x)) "
        "or mean(v) (not v.mean()); `mlevolve grammar show` lists them\n",
    ),
    "single_quoted_task": (
        HEAD + "task 'iris'\nactivation f(x: Tensor) -> Tensor =\n  x\n",
        "single_quoted_task.mlev:2:6: error: unexpected character \"'\"\n"
        "    task 'iris'\n"
        "         ^\n"
        "hint: .mlev has no single quotes: a data file or a task with options is written in double quotes, "
        "task \"data.csv:target=y\"; a comment starts with #\n",
    ),
    "primitive_uncalled": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  x + sin\n",
        "primitive_uncalled.mlev:3:7: error: in formula 'f': 'sin' is a primitive, not a name: it takes arguments\n"
        "      x + sin\n"
        "          ^^^\n"
        "hint: call it, as sin(...)\n",
    ),
    "nullary_layer_uncalled": (  # it said "it takes arguments ... call it, as relu_layer(...)": it takes none
        HEAD + "model net() -> Layer =\n  seq(dense(8), relu_layer)\n",
        "nullary_layer_uncalled.mlev:3:17: error: in model 'net': 'relu_layer' is a primitive, not a name: it is "
        "called, with no arguments\n"
        "      seq(dense(8), relu_layer)\n"
        "                    ^^^^^^^^^^\n"
        "hint: call it, as relu_layer()\n",
    ),
    "call_itself": (  # it said "unknown primitive 'f'" of the definition it was in (a fresh-user pass)
        HEAD + "activation f(x: Tensor) -> Tensor =\n  f(x)\n",
        "call_itself.mlev:3:3: error: in activation 'f': 'f' is the activation being defined, not a primitive: a "
        "definition cannot call itself\n"
        "      f(x)\n"
        "      ^^^^\n"
        "hint: write the computation where it is used (a model names an activation without arguments: "
        "seq(dense(16), act))\n",
    ),
    "call_another": (
        HEAD + "formula g(x: Scalar) -> Scalar =\n  x\nformula f(x: Scalar) -> Scalar =\n  1.0 + g(x)\n",
        "call_another.mlev:5:9: error: in formula 'f': 'g' is formula 'g' of this program, not a primitive: "
        "definitions cannot call one another\n"
        "      1.0 + g(x)\n"
        "            ^^^^\n"
        "hint: write the computation where it is used (a model names an activation without arguments: "
        "seq(dense(16), act))\n",
    ),
    "name_itself": (  # "unknown name 'net'" of the model it was in (a fresh-user pass)
        HEAD + "activation a(x: Tensor) -> Tensor =\n  relu(x)\nmodel net() -> Layer =\n  seq(dense(8), a, net)\n",
        "name_itself.mlev:5:20: error: in model 'net': 'net' is the model being defined: a definition cannot use "
        "itself\n"
        "      seq(dense(8), a, net)\n"
        "                       ^^^\n"
        "hint: names in scope: a\n",
    ),
    "name_another": (
        HEAD + "loss l(p: Tensor, y: Tensor) -> Tensor =\n  p - y\nmodel net() -> Layer =\n  seq(dense(8), l)\n",
        "name_another.mlev:5:17: error: in model 'net': 'l' is loss 'l' of this program, which 'net' cannot use\n"
        "      seq(dense(8), l)\n"
        "                    ^\n"
        "hint: names in scope: none\n",
    ),
    "learner_param_is_state": (  # a traceback of the generated code (duplicate argument 'x'): a fresh-user pass
        HEAD + "learner L(state x: Vector)\n  predict(x: Vector) -> Scalar = dot(x, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = x\n",
        "learner_param_is_state.mlev:3:11: error: learner 'L': parameter 'x' of predict is also a state variable of "
        "the learner\n"
        "      predict(x: Vector) -> Scalar = dot(x, x)\n"
        "              ^\n"
        "hint: rename one: a method's parameters and the learner's state share its scope\n",
    ),
    "learner_param_twice": (
        HEAD + "learner L(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, y: Scalar) -> Vector = w\n",
        "learner_param_twice.mlev:4:31: error: learner 'L': parameter 'y' of learn is declared twice\n"
        "      learn(x: Vector, y: Scalar, y: Scalar) -> Vector = w\n"
        "                                  ^\n"
        "hint: rename one: a method's parameters and the learner's state share its scope\n",
    ),
    "loss_names_swapped": (  # trained with y as the prediction, silently (a fresh-user pass)
        HEAD + "loss l(y: Tensor, p: Tensor) -> Tensor =\n  p - y\n",
        "loss_names_swapped.mlev:2:8: error: loss 'l': parameter 'y' is in the place of 'p': its parameters bind by "
        "position\n"
        "    loss l(y: Tensor, p: Tensor) -> Tensor =\n"
        "           ^\n"
        "hint: write loss l(p, y): elementwise loss of prediction p against target y (summed over outputs, averaged "
        "over the batch); p is the softmax for classification\n",
    ),
    "learner_names_swapped": (  # learned with p as the target, stepping away from it, silently (a fresh-user pass)
        HEAD + "learner l(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
        "  learn(x: Vector, p: Scalar, y: Scalar) -> Vector = w + 0.1 * (y - p) * x\n",
        "learner_names_swapped.mlev:4:20: error: learner 'l': parameter 'p' of learn is in the place of 'y': its "
        "parameters bind by position\n"
        "      learn(x: Vector, p: Scalar, y: Scalar) -> Vector = w + 0.1 * (y - p) * x\n"
        "                       ^\n"
        "hint: write learn(x, y, p): the example x, its target y and the prediction p that predict made of x\n",
    ),
    "optimizer_names_swapped": (
        HEAD + "optimizer o(g: Tensor, w: Tensor, lr: Scalar) -> Tensor =\n  w - lr * g\n",
        "optimizer_names_swapped.mlev:2:13: error: optimizer 'o': parameter 'g' is in the place of 'w': its "
        "parameters bind by position\n"
        "    optimizer o(g: Tensor, w: Tensor, lr: Scalar) -> Tensor =\n"
        "                ^\n"
        "hint: write optimizer o(w, g, ...): an update rule: new weight and new state from weight, gradient and "
        "state\n",
    ),
    "loss_synonyms_swapped": (  # the common names of a role are its own too (a fresh-user pass)
        HEAD + "loss l(target: Tensor, pred: Tensor) -> Tensor =\n  pred - target\n",
        "loss_synonyms_swapped.mlev:2:8: error: loss 'l': parameter 'target' (a name for 'y') is in the place of 'p': "
        "its parameters bind by position\n"
        "    loss l(target: Tensor, pred: Tensor) -> Tensor =\n"
        "           ^^^^^^\n"
        "hint: write loss l(p, y): elementwise loss of prediction p against target y (summed over outputs, averaged "
        "over the batch); p is the softmax for classification\n",
    ),
    "optimizer_scalar_named": (  # lr and t are passed by name; another name was "not allowed", with no reason
        HEAD + "optimizer o(w: Tensor, g: Tensor, rate: Scalar) -> Tensor =\n  w - rate * g\n",
        "optimizer_scalar_named.mlev:2:35: error: optimizer 'o': a Scalar parameter is the learning rate 'lr' or the "
        "step 't', not 'rate'\n"
        "    optimizer o(w: Tensor, g: Tensor, rate: Scalar) -> Tensor =\n"
        "                                      ^^^^\n"
        "hint: rename it to lr (passed by name, in lower case); an optimizer is (w: Tensor, g: Tensor, [lr: Scalar], "
        "[t: Scalar], m: Tensor, ...) -> (Tensor, Tensor, ...): the new weight, then each new state\n",
    ),
    "optimizer_scalar_cased": (  # LR was refused naming lr "or t", without saying the case matters
        HEAD + "optimizer o(w: Tensor, g: Tensor, LR: Scalar, Step: Scalar) -> Tensor =\n  w - LR * g\n",
        "optimizer_scalar_cased.mlev:2:35: error: optimizer 'o': a Scalar parameter is the learning rate 'lr' or the "
        "step 't', not 'LR'\n"
        "    optimizer o(w: Tensor, g: Tensor, LR: Scalar, Step: Scalar) -> Tensor =\n"
        "                                      ^^\n"
        "hint: rename it to lr (passed by name, in lower case); an optimizer is (w: Tensor, g: Tensor, [lr: Scalar], "
        "[t: Scalar], m: Tensor, ...) -> (Tensor, Tensor, ...): the new weight, then each new state\n",
    ),
    "optimizer_scalar_step": (
        HEAD + "optimizer o(w: Tensor, g: Tensor, lr: Scalar, step: Scalar) -> Tensor =\n  w - lr * g\n",
        "optimizer_scalar_step.mlev:2:47: error: optimizer 'o': a Scalar parameter is the learning rate 'lr' or the "
        "step 't', not 'step'\n"
        "    optimizer o(w: Tensor, g: Tensor, lr: Scalar, step: Scalar) -> Tensor =\n"
        "                                                  ^^^^\n"
        "hint: rename it to t (passed by name, in lower case); an optimizer is (w: Tensor, g: Tensor, [lr: Scalar], "
        "[t: Scalar], m: Tensor, ...) -> (Tensor, Tensor, ...): the new weight, then each new state\n",
    ),
    "optimizer_lr_tensor": (  # read as a state tensor ("the result must be ..."), yet passed the rate by its name
        HEAD + "optimizer o(w: Tensor, g: Tensor, lr: Tensor) -> Tensor =\n  w - lr * g\n",
        "optimizer_lr_tensor.mlev:2:35: error: optimizer 'o': 'lr' is the learning rate, a Scalar, not Tensor\n"
        "    optimizer o(w: Tensor, g: Tensor, lr: Tensor) -> Tensor =\n"
        "                                      ^^\n"
        "hint: write lr: Scalar; an optimizer is (w: Tensor, g: Tensor, [lr: Scalar], [t: Scalar], m: Tensor, ...) -> "
        "(Tensor, Tensor, ...): the new weight, then each new state\n",
    ),
    "optimizer_second_rate": (  # `eta` beside `lr` was told to be renamed to lr
        HEAD + "optimizer o(w: Tensor, g: Tensor, lr: Scalar, eta: Scalar) -> Tensor =\n  w - lr * g\n",
        "optimizer_second_rate.mlev:2:47: error: optimizer 'o': a Scalar parameter is the learning rate 'lr' or the "
        "step 't', not 'eta'\n"
        "    optimizer o(w: Tensor, g: Tensor, lr: Scalar, eta: Scalar) -> Tensor =\n"
        "                                                  ^^^\n"
        "hint: drop it: lr is passed once\n",
    ),
    "td_loss_done_flag": (  # a DQN's `(1 - done)` where gamma is passed trained toward the trap, silently
        HEAD + "td_loss t(q: Tensor, target: Tensor, reward: Tensor, done: Tensor) -> Tensor =\n"
        "  square(q - (reward + 0.9 * (1.0 - done) * target))\n",
        "td_loss_done_flag.mlev:2:54: error: td_loss 't': parameter 'done' reads as a done flag (1 at a terminal "
        "state), but no td_loss is passed one\n"
        "    td_loss t(q: Tensor, target: Tensor, reward: Tensor, done: Tensor) -> Tensor =\n"
        "                                                         ^^^^\n"
        "hint: the 4th parameter is the discount: gamma, 0 at a terminal state (each task's gamma: `mlevolve tasks`); "
        "write reward + discount * target, not (1 - done)\n",
    ),
    "vae_loss_sigma": (  # a KL written for a standard deviation trained on the log-variance, silently
        HEAD + "vae_loss e(x: Tensor, recon: Tensor, mu: Tensor, sigma: Tensor) -> Tensor =\n"
        "  square(x - recon) + 0.5 * (square(mu) + square(sigma) - log(square(sigma)) - 1.0)\n",
        "vae_loss_sigma.mlev:2:50: error: vae_loss 'e': parameter 'sigma' reads as the encoder's standard deviation "
        "or variance, but a vae_loss is passed its log-variance\n"
        "    vae_loss e(x: Tensor, recon: Tensor, mu: Tensor, sigma: Tensor) -> Tensor =\n"
        "                                                     ^^^^^\n"
        "hint: the 4th parameter is logvar, log(sigma^2): the variance is exp(logvar), the standard deviation "
        "exp(0.5 * logvar)\n",
    ),
    # the progress t declared as lr, unread: a constant rate passed check, as if the schedule were given the rate
    # (each other kind refuses a parameter named for a quantity its place does not hold)
    "schedule_lr": (
        HEAD + "schedule s(lr: Scalar) -> Scalar =\n  0.05\n",
        "schedule_lr.mlev:2:12: error: schedule 's': parameter 'lr' reads as the learning rate, but a schedule is "
        "passed the training progress t in [0, 1] and returns the rate\n"
        "    schedule s(lr: Scalar) -> Scalar =\n"
        "               ^^\n"
        "hint: write schedule s(t: Scalar) -> Scalar = ..., e.g. 0.05 * (1.0 - t)\n",
    ),
    # PyTorch's LambdaLR passes a step count: exp(-0.001 * step) on the progress t in [0, 1] trained at a constant
    # rate, silently (a fresh-user pass)
    "schedule_step": (
        HEAD + "schedule s(step: Scalar) -> Scalar =\n  0.1 * exp(-0.001 * step)\n",
        "schedule_step.mlev:2:12: error: schedule 's': parameter 'step' reads as a step count, but a schedule is "
        "passed the training progress t in [0, 1] (step / steps, 0 at the first step)\n"
        "    schedule s(step: Scalar) -> Scalar =\n"
        "               ^^^^\n"
        "hint: write schedule s(t: Scalar) -> Scalar = ..., with t the fraction of training done, "
        "e.g. 0.05 * exp(-3.0 * t)\n",
    ),
    # a log-softmax written on p, which is already the softmax: accepted as a name for p (a fresh-user pass)
    "loss_logits": (
        HEAD + "loss l(logits: Tensor, y: Tensor) -> Tensor =\n  -(y * logits)\n",
        "loss_logits.mlev:2:8: error: loss 'l': parameter 'logits' reads as the logits or log-probabilities, but a "
        "loss is passed p: the softmax probabilities (classification) or the prediction (regression)\n"
        "    loss l(logits: Tensor, y: Tensor) -> Tensor =\n"
        "           ^^^^^^\n"
        "hint: the 1st parameter is p, already the softmax: write -(y * log(p + 1e-7)) for cross-entropy, "
        "with p: Tensor\n",
    ),
    "pg_loss_prob": (  # log(prob) of what is already a log-probability: NaN, or a wrong gradient, not a hint
        HEAD + "pg_loss r(prob: Tensor, ret: Tensor, adv: Tensor, value: Tensor, entropy: Tensor) -> Tensor =\n"
        "  -(log(prob) * adv)\n",
        "pg_loss_prob.mlev:2:11: error: pg_loss 'r': parameter 'prob' reads as a probability, but a pg_loss is passed "
        "the log-probability of the action taken\n"
        "    pg_loss r(prob: Tensor, ret: Tensor, adv: Tensor, value: Tensor, entropy: Tensor) -> Tensor =\n"
        "              ^^^^\n"
        "hint: the 1st parameter is logp, already the log: write logp * adv, not log(prob) * adv\n",
    ),
    # a misspelt keyword said what was expected, or suggested a kind (lern: learner), not the keyword meant (a
    # fresh-user pass)
    "method_typo": (
        HEAD + "learner l(state w: Vector)\n  predcit(x: Vector) -> Scalar = dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w\n",
        "method_typo.mlev:3:3: error: unexpected 'predcit'\n"
        "      predcit(x: Vector) -> Scalar = dot(w, x)\n"
        "      ^^^^^^^\n"
        "hint: did you mean 'predict'? expected one of: '->', 'setup', 'predict' or 'learn'; a definition is "
        "`KIND NAME(NAME: Type, ...) -> Type = EXPR`; a learner's is `learner NAME(state NAME: Type) predict(NAME: "
        "Type) -> Type = EXPR learn(...) -> Type = EXPR`\n",
    ),
    "method_typo_after_a_method": (
        HEAD + "learner l(state w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
        "  lern(x: Vector, y: Scalar, p: Scalar) -> Vector = w\n",
        "method_typo_after_a_method.mlev:4:3: error: unexpected 'lern' after an expression\n"
        "      lern(x: Vector, y: Scalar, p: Scalar) -> Vector = w\n"
        "      ^^^^\n"
        "hint: did you mean 'learn'? join terms with an operator (+ - * /) and call a primitive as NAME(ARGS); a new "
        "definition starts with its kind (activation, loss, augment, schedule, formula, model, optimizer, learner, "
        "pg_loss, td_loss, vae_loss, flow_loss); a learner's method with setup, predict or learn\n",
    ),
    "state_typo": (
        HEAD + "learner l(stat w: Vector)\n  predict(x: Vector) -> Scalar = dot(w, x)\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = w\n",
        "state_typo.mlev:2:11: error: unexpected 'w' after 'stat'\n"
        "    learner l(stat w: Vector)\n"
        "              ^^^^\n"
        "hint: did you mean 'state'? a learner's memory is declared `state NAME: Type`\n",
    ),
    "let_capitalised": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  Let y = x in y\n",
        "let_capitalised.mlev:3:3: error: unexpected 'y' after 'Let'\n"
        "      Let y = x in y\n"
        "      ^^^\n"
        "hint: did you mean 'let'? keywords are lower case: a binding is `let NAME = EXPR in EXPR`\n",
    ),
    "in_typo": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  let y = x inn y\n",
        "in_typo.mlev:3:13: error: unexpected 'inn'\n"
        "      let y = x inn y\n"
        "                ^^^\n"
        "hint: did you mean 'in'? expected one of: 'in'; a binding is `let NAME = EXPR in EXPR`\n",
    ),
    # a reduction in an elementwise kind was told the elementwise primitives, and sum "did you mean 'sub'?" (a
    # fresh-user pass): training reduces a loss itself
    "reduction_in_a_loss": (
        HEAD + "loss l(p: Tensor, y: Tensor) -> Tensor =\n  mean(square(p - y))\n",
        "reduction_in_a_loss.mlev:3:3: error: in loss 'l': no form of 'mean' takes (Tensor)\n"
        "      mean(square(p - y))\n"
        "      ^^^^^^^^^^^^^^^^^^^\n"
        "hint: it takes (Vector) or (Matrix); a Tensor is used elementwise, with no reductions: a loss or objective "
        "is written per element (square(p - y), not mean(square(p - y))), and training sums it over outputs and "
        "averages it over the batch\n",
    ),
    "sum_in_a_loss": (
        HEAD + "loss l(p: Tensor, y: Tensor) -> Tensor =\n  sum(square(p - y))\n",
        "sum_in_a_loss.mlev:3:3: error: in loss 'l': unknown primitive 'sum'\n"
        "      sum(square(p - y))\n"
        "      ^^^^^^^^^^^^^^^^^^\n"
        "hint: mlevolve has no sum or product primitive: a loss or objective is written per element (square(p - y)) "
        "and training sums it over outputs and averages it over the batch; a Vector's mean is mean(v), its sum "
        "dot(v, fill(1.0))\n",
    ),
    "arity": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  relu(x, x)\n",
        "arity.mlev:3:3: error: in activation 'f': 'relu' takes 1 argument, got 2\n"
        "      relu(x, x)\n"
        "      ^^^^^^^^^^\n"
        "hint: signatures: relu(Scalar); relu(Vector); relu(Matrix); relu(Tensor)\n",
    ),
    "arity_plural": (
        HEAD + "model net() -> Layer =\n  seq(dense(8))\n",
        "arity_plural.mlev:3:3: error: in model 'net': 'seq' takes 2, 3 or 4 arguments, got 1\n"
        "      seq(dense(8))\n"
        "      ^^^^^^^^^^^^^\n"
        "hint: signatures: seq(Layer, Layer); seq(Layer, Layer, Layer); seq(Layer, Layer, Layer, Layer)\n",
    ),
    # five layers in one seq were told its signatures only (a fresh-user pass): the hint nests them
    "arity_nest": (
        HEAD + "model net() -> Layer =\n  seq(dense(8), relu_layer(), dense(8), relu_layer(), dense(4))\n",
        "arity_nest.mlev:3:3: error: in model 'net': 'seq' takes 2, 3 or 4 arguments, got 5\n"
        "      seq(dense(8), relu_layer(), dense(8), relu_layer(), dense(4))\n"
        "      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        "hint: signatures: seq(Layer, Layer); seq(Layer, Layer, Layer); seq(Layer, Layer, Layer, Layer); nest for "
        "more: seq(a, b, c, seq(d, e))\n",
    ),
    "arity_nest_max": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  max(x, 1, 2)\n",
        "arity_nest_max.mlev:3:3: error: in formula 'f': 'max' takes 2 arguments, got 3\n"
        "      max(x, 1, 2)\n"
        "      ^^^^^^^^^^^^\n"
        "hint: signatures: max(Scalar, Scalar); max(Vector, Vector); max(Matrix, Matrix); max(Tensor, Tensor); nest "
        "for more: max(a, max(b, c))\n",
    ),
    "unbound": (
        HEAD + "loss l(p: Tensor, y: Tensor) -> Tensor =\n  square(p - z)\n",
        "unbound.mlev:3:14: error: in loss 'l': unknown name 'z'\n"
        "      square(p - z)\n"
        "                 ^\n"
        "hint: names in scope: p, y\n",
    ),
    "unbound_close": (
        HEAD + "formula f(alpha: Scalar) -> Scalar =\n  alpah * 2.0\n",
        "unbound_close.mlev:3:3: error: in formula 'f': unknown name 'alpah'\n"
        "      alpah * 2.0\n"
        "      ^^^^^\n"
        "hint: did you mean 'alpha'?\n",
    ),
    "unbound_outside_let": (
        HEAD + "formula f(x: Scalar) -> Scalar =\n  (let a = x in a) + a\n",
        "unbound_outside_let.mlev:3:22: error: in formula 'f': unknown name 'a'\n"
        "      (let a = x in a) + a\n"
        "                         ^\n"
        "hint: names in scope: x\n",
    ),
    # ---------------------------------------------------------------------------------- definitions
    "duplicate": (
        HEAD + "activation f(x: Tensor) -> Tensor =\n  relu(x)\n\nactivation f(x: Tensor) -> Tensor =\n  x\n",
        "duplicate.mlev:5:12: error: duplicate definition 'f'\n"
        "    activation f(x: Tensor) -> Tensor =\n"
        "               ^\n"
        "hint: 'f' is first defined on line 2\n",
    ),
    "duplicate_param": (
        HEAD + "loss l(p: Tensor, p: Tensor) -> Tensor =\n  p\n",
        "duplicate_param.mlev:2:19: error: loss 'l': parameter 'p' is declared twice\n"
        "    loss l(p: Tensor, p: Tensor) -> Tensor =\n"
        "                      ^\n"
        "hint: rename one\n",
    ),
    "activation_signature": (
        HEAD + "activation f(x: Tensor, y: Tensor) -> Tensor =\n  x + y\n",
        "activation_signature.mlev:2:12: error: activation 'f': must have the signature (Tensor) -> Tensor, "
        "not (Tensor, Tensor) -> Tensor\n"
        "    activation f(x: Tensor, y: Tensor) -> Tensor =\n"
        "               ^\n"
        "hint: activation: an elementwise nonlinearity\n",
    ),
    "optimizer_signature": (
        HEAD + "optimizer o(w: Tensor, g: Tensor, m: Tensor) -> Tensor =\n  w - g\n",
        "optimizer_signature.mlev:2:11: error: optimizer 'o': with 1 state parameter the result must be "
        "(Tensor, Tensor), not Tensor\n"
        "    optimizer o(w: Tensor, g: Tensor, m: Tensor) -> Tensor =\n"
        "              ^\n"
        "hint: an optimizer is (w: Tensor, g: Tensor, [lr: Scalar], [t: Scalar], m: Tensor, ...) -> "
        "(Tensor, Tensor, ...): the new weight, then each new state\n",
    ),
    "learner_method_signature": (
        HEAD + "learner l(state w: Vector)\n  predict(x: Vector) -> Vector =\n    w\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    w\n",
        "learner_method_signature.mlev:3:3: error: learner 'l': method predict must be predict(Vector) -> Scalar, "
        "not predict(Vector) -> Vector\n"
        "      predict(x: Vector) -> Vector =\n"
        "      ^^^^^^^\n"
        "hint: predict(x: Vector) -> Scalar; learn(x: Vector, y: Scalar, p: Scalar) -> state; setup() -> state; the "
        "state here is Vector\n",
    ),
    "learner_learn_returns_scalar": (  # the message named the signature wanted, not the type found
        HEAD + "learner l(state w: Vector, state b: Scalar)\n  predict(x: Vector) -> Scalar =\n    dot(w, x) + b\n"
        "  learn(x: Vector, y: Scalar, p: Scalar) -> Scalar =\n    y - p\n",
        "learner_learn_returns_scalar.mlev:5:3: error: learner 'l': method learn must be learn(Vector, Scalar, "
        "Scalar) -> (Vector, Scalar), not learn(Vector, Scalar, Scalar) -> Scalar\n"
        "      learn(x: Vector, y: Scalar, p: Scalar) -> Scalar =\n"
        "      ^^^^^\n"
        "hint: predict(x: Vector) -> Scalar; learn(x: Vector, y: Scalar, p: Scalar) -> state; setup() -> state; the "
        "state here is (Vector, Scalar)\n",
    ),
    "learner_missing_method": (
        HEAD + "learner l(state w: Vector)\n  predict(x: Vector) -> Scalar =\n    dot(w, x)\n",
        "learner_missing_method.mlev:2:9: error: learner 'l': missing method 'learn'\n"
        "    learner l(state w: Vector)\n"
        "            ^\n"
        "hint: a learner has predict and learn (setup is optional)\n",
    ),
    "unknown_kind": (
        HEAD + "activaton f(x: Tensor) -> Tensor =\n  x\n",
        "unknown_kind.mlev:2:1: error: unknown component kind 'activaton'\n"
        "    activaton f(x: Tensor) -> Tensor =\n"
        "    ^^^^^^^^^\n"
        "hint: did you mean 'activation'?\n",
    ),
    "unknown_kind_far": (
        HEAD + "widget f(x: Tensor) -> Tensor =\n  x\n",
        "unknown_kind_far.mlev:2:1: error: unknown component kind 'widget'\n"
        "    widget f(x: Tensor) -> Tensor =\n"
        "    ^^^^^^\n"
        "hint: kinds: activation, loss, augment, schedule, formula, model, optimizer, learner, "
        "pg_loss, td_loss, vae_loss, flow_loss\n",
    ),
    "unknown_type": (
        HEAD + "activation f(x: Tensr) -> Tensor =\n  x\n",
        "unknown_type.mlev:2:17: error: unknown type 'Tensr' of parameter 'x'\n"
        "    activation f(x: Tensr) -> Tensor =\n"
        "                    ^^^^^\n"
        "hint: did you mean 'Tensor'? types: Scalar, Vector, Matrix, Tensor, Int, Layer\n",
    ),
    "state_outside_learner": (
        HEAD + "activation f(state x: Tensor) -> Tensor =\n  x\n",
        "state_outside_learner.mlev:2:20: error: activation 'f': only a learner has `state` parameters\n"
        "    activation f(state x: Tensor) -> Tensor =\n"
        "                       ^\n"
        "hint: remove `state`\n",
    ),
    # ---------------------------------------------------------------------------------- files
    "empty": (
        "",
        "empty.mlev:1:1: error: empty file\n"
        "hint: a program starts with `algorithm NAME`\n",
    ),
    "binary": (
        b"algorithm a\n\x00\x01",
        "binary.mlev: error: binary file (a NUL byte at offset 12)\n"
        "hint: a .mlev program is UTF-8 text\n",
    ),
    "not_utf8": (
        b"algorithm a\n# caf\xe9\n",
        "not_utf8.mlev:2:6: error: not UTF-8 text (byte 0xe9 at offset 17)\n"
        "hint: a .mlev program is UTF-8 text: save it as UTF-8\n",
    ),
    # ------------------------------------------------------------------ a definition with no effect on the score
    # a fresh-user pass: a schedule beside an update rule without lr trained as if absent, silently
    "schedule_without_lr": (
        HEAD + "optimizer sgd(w: Tensor, g: Tensor) -> Tensor =\n  w - 0.1 * g\n"
               "schedule cos(t: Scalar) -> Scalar =\n  0.05 * (1.0 + cos(3.14 * t))\n",
        "schedule_without_lr.mlev:4:10: error: schedule 'cos' has no effect: optimizer 'sgd' takes no lr, the rate "
        "the schedule sets\n"
        "    schedule cos(t: Scalar) -> Scalar =\n"
        "             ^^^\n"
        "hint: use lr in the update rule (e.g. w - lr * g, with lr: Scalar after g), or remove the schedule\n",
    ),
}


_ROLES = [(spec, i, name) for spec in KINDS.values() for i in range(len(spec.names))
          for name in (spec.names[i], *sorted(spec.aliases[i]))]


@pytest.mark.parametrize(("spec", "i", "name"), _ROLES, ids=[f"{s.name}-{n}" for s, _, n in _ROLES])
def test_a_role_s_name_serves_in_its_place_and_is_refused_in_another_s(spec: KindSpec, i: int, name: str) -> None:
    def source(names: list[str]) -> str:
        params = ", ".join(f"{n}: Tensor" for n in names)
        return HEAD + f"{spec.name} f({params}) -> Tensor =\n  {names[0]}\n"

    names = [f"a{j}" for j in range(len(spec.names))]
    names[i] = name
    api.check(source(names))  # in its own place, whatever the names beside it
    other = (i + 1) % len(names)
    for written in (name, name.upper()):  # in any case: `Target` too (a fresh-user pass)
        names[i], names[other] = f"a{i}", written
        with pytest.raises(MlevErrors, match=f"parameter '{written}'.* is in the place of '{spec.names[other]}'"):
            api.check(source(names))


_MISNOMERS = [(spec, name) for spec in KINDS.values() for names, _, _ in spec.misnomers for name in sorted(names)]


@pytest.mark.parametrize(("spec", "name"), _MISNOMERS, ids=[f"{s.name}-{n}" for s, n in _MISNOMERS])
def test_a_name_for_a_quantity_no_place_holds_is_refused_in_every_place(spec: KindSpec, name: str) -> None:
    """``vae_loss e(x, recon, mu, sigma)`` trained a KL written for a standard deviation on the log-variance, and
    ``pg_loss r(prob, ...)`` took the log of a log-probability, silently (a fresh-user pass): as a DQN's ``done``,
    such a name is refused in any place, in any case; it is no role's name or alias."""
    assert spec.role(name) is None
    types = spec.params or (TENSOR,) * len(spec.names)  # a schedule's one parameter, t, has no documented name
    for i in range(len(types)):
        names = [f"a{j}" for j in range(len(types))]
        names[i] = name.upper() if i % 2 else name
        params = ", ".join(f"{n}: {type_str(t)}" for n, t in zip(names, types, strict=True))
        with pytest.raises(MlevErrors, match=f"parameter '{names[i]}' reads as "):
            api.check(HEAD + f"{spec.name} f({params}) -> {type_str(spec.result or TENSOR)} =\n  {names[0]}\n")


_LEARN_ROLES = [(i, name) for i in range(3) for name in (LEARNER_METHODS["learn"].names[i],
                                                          *sorted(LEARNER_METHODS["learn"].aliases[i]))]


@pytest.mark.parametrize(("i", "name"), _LEARN_ROLES, ids=[n for _, n in _LEARN_ROLES])
def test_a_role_s_name_in_another_place_of_a_learner_s_learn_is_refused(i: int, name: str) -> None:
    """``learn(x, p, y)`` learned with ``p`` as the target, a step away from it: only definitions' own parameters
    were checked for their places, not a learner method's (a fresh-user pass)."""
    def source(names: list[str]) -> str:
        return HEAD + ("learner l(state w: Vector)\n  predict(a: Vector) -> Scalar = dot(w, a)\n"
                       f"  learn({names[0]}: Vector, {names[1]}: Scalar, {names[2]}: Scalar) -> Vector = w\n")

    names = ["a0", "a1", "a2"]
    names[i] = name
    api.check(source(names))  # in its own place
    other = i % 2 + 1  # x's name in y's place, y's in p's, p's in y's
    names[i], names[other] = f"a{i}", name.upper()
    with pytest.raises(MlevErrors, match=f"parameter '{name.upper()}'.* of learn is in the place of "
                                         f"'{LEARNER_METHODS['learn'].names[other]}'"):
        api.check(source(names))


@pytest.mark.parametrize("state", ["w", "grad", "Weight"])
def test_a_role_s_name_in_an_optimizer_s_state_place_is_refused(state: str) -> None:
    """``optimizer o(m, g, w)`` trained with ``m`` as the weight, silently: only the documented places were checked
    (a fresh-user pass)."""
    with pytest.raises(MlevErrors, match=f"parameter '{state}'.* is in the place of parameter 3: its parameters bind"):
        api.check(HEAD + f"optimizer o(m: Tensor, g: Tensor, {state}: Tensor) -> (Tensor, Tensor) =\n"
                         f"  (m - 0.1 * g, {state})\n")


def _write(directory: Path, name: str, content: str | bytes) -> Path:
    path = directory / f"{name}.mlev"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden_error(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    content, expected = GOLDEN[name]
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, name, content)
    code = main(["check", f"{name}.mlev"])
    out, err = capsys.readouterr()
    assert err == expected
    assert code == 2
    assert out == ""
    assert "Traceback" not in err


@pytest.mark.parametrize("command", [["run", "--epochs", "1"], ["export", "-o", "out.py"], ["evolve", "--budget", "2"]])
def test_an_argument_out_of_range_stops_run_export_and_evolve_before_any_work(
        command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """As ``check`` says it: exit 2, the one error with its place and hint, no traceback, nothing written."""
    monkeypatch.chdir(tmp_path)
    content, expected = GOLDEN["arg_range"]
    _write(tmp_path, "arg_range", str(content).replace(HEAD, HEAD + "task iris\n"))
    code = main([command[0], "arg_range.mlev", *command[1:]])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err == expected.replace(":3:25:", ":4:25:")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arg_range.mlev"]


def test_a_search_s_program_with_an_argument_out_of_range_checks_and_runs_clamped() -> None:
    """A search draws literals from [-2, 2] and mutates them, so its candidates (and an archive's programs, read
    back as the search made them: ``Program.written`` False) are never refused for a range: the runtime clamps."""
    from dataclasses import replace

    from mlevolve.dsl.kinds import check_program
    from mlevolve.grammar.spec import load_grammar

    text = HEAD + "model net() -> Layer =\n  seq(dense(8), dropout(1.5), dropout(-2.0))\n"
    check_program(parse(text), load_grammar())  # the engine's check: no range
    assert api.check(replace(parse(text), written=False)).written is False
    assert api.programs._stored(text, "run.db#abc").written is False
    with pytest.raises(MlevError, match=r"dropout rate must be in \[0, 0.9\], got 1.5"):
        api.check(text)


def test_missing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["check", "missing.mlev"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "missing.mlev: error: no such file\nhint: check the path\n"


def test_directory_instead_of_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.mlev").mkdir()
    assert main(["check", "d.mlev"]) == 2
    assert capsys.readouterr().err == ("d.mlev: error: is a folder, not a .mlev program\n"
                                         "hint: give the path of a .mlev program in it\n")


def test_byte_order_mark_is_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bom.mlev").write_bytes(b"\xef\xbb\xbfalgorithm a\nformula f(x: Scalar) -> Scalar =\n  x\n")
    assert main(["check", "bom.mlev"]) == 0
    assert capsys.readouterr().out == "bom.mlev: ok (formula f)\n"


def test_a_leading_byte_order_mark_is_read_alike_in_a_string_and_a_file() -> None:
    """parse() of text that starts with U+FEFF gives what the file reader gives (it drops the mark); a
    mark anywhere else is an unexpected character, as in a file."""
    text = "algorithm a\nformula f(x: Scalar) -> Scalar =\n  x\n"
    assert parse("\ufeff" + text) == parse(text)
    with pytest.raises(MlevError, match="unexpected character"):
        parse(text.replace("  x", "  \ufeffx"))


def test_every_faulty_definition_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "two", HEAD + "activation g(x: Tensor) -> Tensor =\n  relu(y)\n\n"
                                   "activation h(x: Tensor) -> Tensor =\n  foo(x)\n\n"
                                   "activation ok(x: Tensor) -> Tensor =\n  x\n")
    assert main(["check", "two.mlev"]) == 2
    assert capsys.readouterr().err == (
        "two.mlev:3:8: error: in activation 'g': unknown name 'y'\n"
        "      relu(y)\n"
        "           ^\n"
        "hint: names in scope: x\n"
        "two.mlev:6:3: error: in activation 'h': unknown primitive 'foo'\n"
        "      foo(x)\n"
        "      ^^^^^^\n"
        "hint: `mlevolve grammar show` lists the primitives; a learned rule is known with its grammar file "
        "(--grammar FILE)\n"
    )


def test_check_goes_on_after_a_bad_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "bad", "")
    _write(tmp_path, "good", HEAD + "formula f(x: Scalar) -> Scalar =\n  x\n")
    assert main(["check", "bad.mlev", "good.mlev", "missing.mlev"]) == 2
    out, err = capsys.readouterr()
    assert out == "good.mlev: ok (formula f)\n"
    assert err == (
        "bad.mlev:1:1: error: empty file\n"
        "hint: a program starts with `algorithm NAME`\n"
        "missing.mlev: error: no such file\n"
        "hint: check the path\n"
    )


@pytest.mark.e2e
@pytest.mark.parametrize("name", ["unexpected_token", "arg_types", "unknown_primitive", "not_utf8"])
def test_golden_error_in_a_subprocess(name: str, tmp_path: Path) -> None:
    content, expected = GOLDEN[name]
    _write(tmp_path, name, content)
    result = run_mlevolve("check", f"{name}.mlev", cwd=tmp_path, timeout=60)
    assert result.stderr == expected
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_fmt_reports_syntax_errors_the_same_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    content, expected = GOLDEN["unexpected_eof"]
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, "unexpected_eof", content)
    assert main(["fmt", "unexpected_eof.mlev"]) == 2
    out, err = capsys.readouterr()
    assert (out, err) == ("", expected)


# ------------------------------------------------------------------------------------------ the API


def test_api_errors_carry_file_and_span() -> None:
    with pytest.raises(MlevError) as info:
        parse("algorithm a\nformula f(x: Scalar) -> Scalar =\n  x +\n", "f.mlev")
    err = info.value
    assert err.file == "f.mlev"
    assert err.span is not None and (err.span.line, err.span.column) == (3, 6)
    assert err.message == "unexpected end of file"
    assert str(err).startswith("f.mlev:3:6: error: unexpected end of file")

    with pytest.raises(MlevErrors) as many:
        api.check(HEAD + "activation g(x: Tensor) -> Tensor =\n  y\nactivation h(x: Tensor) -> Tensor =\n  z\n",
                  file="m.mlev")
    assert [e.message for e in many.value.errors] == [
        "in activation 'g': unknown name 'y'", "in activation 'h': unknown name 'z'"]
    assert all(e.file == "m.mlev" for e in many.value.errors)


def test_parse_without_a_file_name_says_input() -> None:
    with pytest.raises(MlevError) as info:
        parse("algorithm a\nformula f(x: Scalar) -> Scalar =\n  x + 1e999\n")
    assert info.value.render().splitlines()[0] == "<input>:3:7: error: number 1e999 is out of range"
    huge = "9" * 400
    with pytest.raises(MlevError) as info:
        parse(f"algorithm a\nformula f(x: Scalar) -> Scalar =\n  x + {huge}\n")
    assert info.value.message == "number 9999999999...9999999999 (400 characters) is out of range"


def test_render_without_source_or_span() -> None:
    err = MlevError("boom", hint="do this")
    assert err.render() == "error: boom\nhint: do this"  # no place: none named
    assert MlevError("boom", file="x.mlev").render() == "x.mlev: error: boom"


@pytest.mark.parametrize("number", ["\u0662", "\uff12", "\U0001d7d0", "2\u0662", "0.\u0665"])
def test_a_number_in_other_digits_than_ascii_is_an_error(number: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Python's ``\\d`` takes every script's digits (Arabic-Indic, fullwidth, mathematical), which the
    lexer read as ASCII ones (``x * ٢`` ran as ``x * 2``); a number is ASCII digits, as in data files and
    flags: the error at the first other digit, in programs and in expressions (a grammar rule's body)."""
    from mlevolve.dsl.parse import parse_expr

    (tmp_path / "n.mlev").write_text(f"algorithm a\nformula f(x: Scalar) -> Scalar =\n  x * {number}\n")
    assert main(["check", str(tmp_path / "n.mlev")]) == 2
    first = next(c for c in number if not c.isascii())
    column = 7 + number.index(first)
    assert capsys.readouterr().err.splitlines()[0] == \
        f"{tmp_path / 'n.mlev'}:3:{column}: error: unexpected character {first!r}"
    with pytest.raises(MlevError, match="in the ASCII digits 0-9"):
        parse_expr(f"h0 + {number}")


def test_a_program_read_from_a_file_is_named_by_it_in_the_errors_run_export_and_evolve_raise(tmp_path: Path) -> None:
    """A program from ``parse_file`` keeps its file's name (:attr:`Program.file`): the errors ``run``, ``export``
    and ``evolve`` raise at its lines (the task it does not fit, a loss that cannot train on it) named ``<input>``
    where the same mistake given the path named the file, as ``check`` already did."""
    from mlevolve import api, check, parse_file

    two = tmp_path / "two.mlev"
    two.write_text("algorithm two\n\nformula f(a: Scalar, b: Scalar) -> Scalar =\n  a * b\n")
    for call in (lambda p: api.run(p, "nguyen1"), lambda p: api.export(p, "nguyen1"),
                 lambda p: api.evolve(p, task="nguyen1", budget=2, db=tmp_path / "r.db")):
        for program in (two, parse_file(two), check(parse_file(two))):
            with pytest.raises(MlevError) as info:
                call(program)
            assert info.value.render().splitlines()[0] == (
                f"{two}:3:22: error: the formula takes 2 inputs but task 'nguyen1' has 1"), program


def test_text_given_where_a_file_s_path_is_read_is_said_so(tmp_path: Path) -> None:
    """A grammar's and a meta configuration's TOML text given as a path said ``<input>: error: no such file``, the
    whole text as the file's name (the one reader, :func:`mlevolve.dsl.errors.read_bytes`); an archive's path
    likewise.  A program's text is read as the program (``api.names_file``: tests/cli/test_program_arguments.py)."""
    from mlevolve import api
    from mlevolve.grammar.spec import load_grammar

    cases = [(lambda: load_grammar("[weights]\nadd = 2\n"), "a grammar file",
              "write it to a .toml file and give its path"),
             (lambda: api.meta("[meta]\nbudget = 1\n"), "a meta configuration",
              "write it to a .toml file and give its path")]
    for call, what, hint in cases:
        with pytest.raises(MlevError) as info:
            call()
        assert info.value.render() == f"error: this is text, not the path of {what}\nhint: {hint}"
    with pytest.raises(MlevError) as info:  # the command line's FILE is a path: its text is said so
        api.run(Path("algorithm f\nformula f(x: Scalar) -> Scalar = x\n"), "nguyen1")
    assert info.value.render() == ("error: this is text, not the path of a .mlev program\nhint: write it to a .mlev "
                                   "file and give that file's path (the Python API also takes the text itself)")
    for read in (api.best, api.show):  # an archive's path given text: the text was the file's name
        with pytest.raises(MlevError) as info:
            read("algorithm f\nformula f(x: Scalar) -> Scalar = x\n")
        assert info.value.render().splitlines()[0] == "error: this is text, not the path of a run's archive"
    with pytest.raises(MlevError) as info:
        api.run(str(tmp_path / "nope.mlev"), "nguyen1")
    assert info.value.render() == f"{tmp_path / 'nope.mlev'}: error: no such file\nhint: check the path"
    with pytest.raises(MlevError) as info:
        api.meta(tmp_path)  # a folder: it said "cannot read: [Errno 21] Is a directory: ..."
    assert info.value.render() == (f"{tmp_path}: error: is a folder, not a meta configuration\n"
                                   "hint: give the path of a meta configuration in it")


def test_text_kind_tells_the_project_s_text_files_apart() -> None:
    """Every program, meta configuration and grammar file in the repository is told as its kind; a program behind
    comments, blank lines, a byte-order mark or CRLF still is; a broken or foreign text is none of them."""
    from mlevolve.dsl.errors import text_kind
    from tests.conftest import ROOT

    files = {"a .mlev program": [*ROOT.glob("examples/*.mlev"), *ROOT.glob("benchmarks/**/*.mlev")],
             "a meta configuration": [*ROOT.glob("benchmarks/meta/*.toml")],
             "a grammar file": [ROOT / "src" / "mlevolve" / "grammar" / "base.toml",
                                ROOT / "benchmarks" / "discovery" / "automl_zero_linear.toml",
                                *ROOT.glob("benchmarks/**/*grammar*.toml")]}
    files["a meta configuration"] = [f for f in files["a meta configuration"] if "grammar" not in f.name]
    for kind, paths in files.items():
        assert len(paths) >= 2
        for path in paths:
            assert text_kind(path.read_text()) == kind, path
    assert text_kind("\ufeff# a comment\r\n\n  # another\r\nalgorithm x\r\n") == "a .mlev program"
    for other in ("", "algorithmic = 1", "[meta]\nbudget = = 3", "x = 1", "formula f(x: Scalar) -> Scalar = x",
                  "[search]\npopulation = 3"):
        assert text_kind(other) is None, other


def test_a_literal_float32_does_not_hold_is_refused_in_the_kinds_that_run_in_float32_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """KindSpec.float32 is the regimes' backend (torch: float32; NumPy: float64), and a formula, which runs in
    float64, takes 1e39 and 1e-46 (as 3.4e38 passes in an activation)."""
    from mlevolve.interpreter.regimes import REGIMES

    assert {k: KINDS[k].float32 for r in REGIMES.values() for k in r.kinds} == \
        {k: r.backend == "torch" for r in REGIMES.values() for k in r.kinds}
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.mlev").write_text(HEAD + "formula f(x: Scalar) -> Scalar =\n  x * 1e39 + 1e-46\n")
    (tmp_path / "g.mlev").write_text(HEAD + "activation g(x: Tensor) -> Tensor =\n  x * 3.4e38 + 1.5e-45\n")
    assert main(["check", "f.mlev"]) == 0, capsys.readouterr().err
    assert main(["check", "g.mlev"]) == 0, capsys.readouterr().err


def test_another_librarys_names_are_none_of_mlevolves_and_their_hints_write_programs_that_check() -> None:
    """Each name of :data:`FOREIGN_NAMES` is no primitive of the base grammar (its hint never hides one), and the
    expression each hint writes (its text before a note) checks as a formula of x and y (and p, a power)."""
    import re

    from mlevolve.dsl.errors import FOREIGN_CONSTANTS, FOREIGN_NAMES, foreign_hint
    from mlevolve.grammar.spec import load_grammar

    base = load_grammar()
    for name, how in FOREIGN_NAMES.items():
        assert not base.overloads(name), name
        hint = foreign_hint(name)
        assert hint is not None and how in hint
        if how.startswith("mlevolve has no"):
            continue
        body = re.split(r" \(|: | for ", how)[0]
        api.check(parse(f"algorithm a\nformula f(x: Scalar, y: Scalar, p: Scalar) -> Scalar =\n"
                        f"  {body} + 0 * (x + y + p)\n"))
    for name, number in FOREIGN_CONSTANTS.items():
        assert float(number) > 0 and not base.overloads(name)
        api.check(parse(f"algorithm a\nformula f(x: Scalar) -> Scalar =\n  {number} * x\n"))


@pytest.mark.parametrize("kind", ["program", "grammar"])
def test_a_warning_is_remade_from_its_args_and_pickles_with_its_text(kind: str) -> None:
    """mlevolve's warnings (:class:`ProgramWarning`, :class:`GrammarWarning`) are remade as ``type(w)(*w.args)``
    (pickle, copy, pytest-xdist's workers do: a rendered text as the argument failed there with "'str' object has
    no attribute 'render'"), each with the text the command line prints: the source line and a caret too."""
    import copy
    import pickle

    from mlevolve.dsl.errors import ProgramWarning
    from mlevolve.dsl.ir import Span
    from mlevolve.grammar.spec import GrammarError, GrammarWarning

    span = Span(2, 3, 2, 5)
    source = "first line\n  g = 1\n"
    if kind == "program":
        warning: Warning = ProgramWarning(MlevError("'g' is defined but never used", span, "drop it", "p.mlev"),
                                          source)
        said = "p.mlev:2:3: warning: 'g' is defined but never used\n      g = 1\n      ^^^\nhint: drop it"
    else:
        warning = GrammarWarning(GrammarError("digest '0' is stale", span, "write it anew", "g.toml"), source)
        said = "g.toml:2:3: warning: digest '0' is stale\n      g = 1\n      ^^^\nhint: write it anew"
    for made in (warning, type(warning)(*warning.args), pickle.loads(pickle.dumps(warning)), copy.copy(warning)):
        assert type(made) is type(warning) and str(made) == said


UNREAD = "algorithm a\ntask nguyen1\n\nformula f(x: Scalar) -> Scalar =\n  let a = x * x in\n  x + 1.0\n"
UNREAD_SAID = ("w.mlev:5:7: warning: in formula 'f': let 'a' is never used: its value is dropped\n"
               "      let a = x * x in\n"
               "          ^\n"
               "hint: use a after its `in` (was another name written where a was meant?), or remove the binding\n")


@pytest.mark.parametrize("command", [["check"], ["export", "-o", "w.py"], ["run"], ["evolve", "--budget", "2"]])
def test_a_warning_shows_its_source_line_and_a_caret_as_an_error_does(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A warning printed only FILE:LINE:COL, the message and the hint, where an error also shows the line and a
    caret under the span (a fresh-user pass): every command that checks a program shows a warning as an error."""
    monkeypatch.chdir(tmp_path)
    Path("w.mlev").write_text(UNREAD, encoding="utf-8")
    assert main([command[0], "w.mlev", *command[1:]]) == 0
    err = capsys.readouterr().err
    # evolve rewrites f, its one definition, and says its unused let too, once (hint96; tidy65 said it not)
    assert err.startswith(UNREAD_SAID) and err.count("is never used") == 1


@pytest.mark.parametrize("given", ["text", "path", "parsed"])
def test_the_api_s_warning_reads_as_the_command_line_prints_it(given: str, tmp_path: Path) -> None:
    """``str`` of a :class:`ProgramWarning` from the API shows the line and the caret too, whether the program is
    given as text, as a file's path or parsed (the parsed program keeps its text, :attr:`Program.source`)."""
    from mlevolve.dsl.errors import ProgramWarning

    path = tmp_path / "w.mlev"
    path.write_text(UNREAD, encoding="utf-8")
    program = {"text": UNREAD, "path": path, "parsed": parse(UNREAD, "w.mlev")}[given]
    with pytest.warns(ProgramWarning) as caught:
        api.check(program, file="w.mlev")
    assert [str(w.message) for w in caught] == [UNREAD_SAID.rstrip("\n")]


@pytest.mark.parametrize(("body", "stderr"), [
    ("x \u2212 1", "n.mlev:3:5: error: unexpected character '\u2212'\n      x \u2212 1\n        ^\n"
                   "hint: '\u2212' is MINUS SIGN (U+2212), not ASCII: write '-' (a paste from a PDF or word "
                   "processor?)\n"),
    ("x \u00d7 x", "n.mlev:3:5: error: unexpected character '\u00d7'\n      x \u00d7 x\n        ^\n"
                   "hint: '\u00d7' is MULTIPLICATION SIGN (U+00D7), not ASCII: write '*' (a paste from a PDF or word "
                   "processor?)\n"),
])
def test_a_unicode_look_alike_of_an_operator_names_the_ascii_one(body: str, stderr: str, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """``x − 1`` (U+2212, pasted from a paper) got the generic hint about names and numbers: the hint names the
    character and the ASCII operator to write, at its line and column, exit 2."""
    monkeypatch.chdir(tmp_path)
    Path("n.mlev").write_text(f"algorithm a\nformula f(x: Scalar) -> Scalar =\n  {body}\n", encoding="utf-8")
    assert main(["check", "n.mlev"]) == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", stderr)


def _lookalikes() -> list[tuple[str, str]]:
    from mlevolve.dsl.errors import LOOKALIKES

    return sorted(LOOKALIKES.items())


@pytest.mark.parametrize(("char", "ascii_"), _lookalikes(), ids=lambda v: f"U+{ord(v[0]):04X}" if len(v) == 1
                         and not v.isascii() else None)
def test_every_look_alike_is_refused_at_its_column_with_its_ascii_character(char: str, ascii_: str, tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Each character of the table (en dash, fullwidth signs, typographic quotes, an arrow, a no-break space), in a
    body and in an expression (a grammar rule's body), is an unexpected character whose hint writes the ASCII one;
    on the task line, a name in typographic quotes is told the same (not to quote its quotes)."""
    from mlevolve.dsl.parse import parse_expr

    assert not char.isascii() and ascii_.isascii()
    said = " (a paste from a PDF or word processor?)"
    write = "write a plain space" if ascii_ == " " else f"write {ascii_!r}"
    path = tmp_path / "n.mlev"
    path.write_text(f"algorithm a\nformula f(x: Scalar) -> Scalar =\n  x {char} 1\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == f"{path}:3:5: error: unexpected character {char!r}"
    assert lines[-1].startswith("hint: ") and lines[-1].endswith(f", not ASCII: {write}{said}")
    with pytest.raises(MlevError, match=re.escape(write)):
        parse_expr(f"h0 {char} 1")
    if ascii_ == '"':
        path.write_text(f"algorithm a\ntask {char}d.csv:target=y{char}\nformula f(x: Scalar) -> Scalar =\n  x\n",
                        encoding="utf-8")
        assert main(["check", str(path)]) == 2
        lines = capsys.readouterr().err.splitlines()
        assert lines[0] == f"{path}:2:6: error: unexpected character {char!r}" and lines[-1].endswith(write + said)


@pytest.mark.parametrize("body", ["x + (let y = x * x in y)", "-(let y = x in y)", "sin(x) * (let z = x in z)"])
def test_the_let_operand_hint_s_form_parses(body: str) -> None:
    """What the hint of ``x + let ...`` says to write parses (a let in parentheses is an atom)."""
    parse(HEAD + f"formula f(x: Scalar) -> Scalar =\n  {body}\n")


@pytest.mark.parametrize("char", ["%", "@", "[", "]", "{", "}", ".", ";", "'"])
def test_python_s_operators_that_mlev_lacks_are_told_how_mlev_writes_them(char: str, tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """``x % 2``, ``x < 2``, ``x @ x`` said "names are ASCII letters, digits and '_'", as for a stray letter: the
    hint says the operator is not .mlev's and how it is written, and each formula it writes checks."""
    from mlevolve.dsl.errors import OPERATOR_HINTS

    monkeypatch.chdir(tmp_path)
    (tmp_path / "o.mlev").write_text(HEAD + f"formula f(x: Scalar) -> Scalar =\n  x {char} 2\n")
    assert main(["check", "o.mlev"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"o.mlev:3:5: error: unexpected character {char!r}\n") and err.count("\n") == 4
    assert err.endswith(f"hint: {OPERATOR_HINTS[char]}\n") and OPERATOR_HINTS[char].startswith(".mlev has no ")
    for body in re.findall(r"(?:heaviside|sign|min|max)\([^()]*\)", OPERATOR_HINTS[char]):  # the scalar ones
        api.check(parse(f"algorithm a\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  {body} + 0 * (x + y)\n"))


@pytest.mark.parametrize(("body", "column", "written"), [
    ("x == 2", 5, "=="), ("x != 2", 5, "!="), ("x <= 2", 5, "<="), ("x >= 2", 5, ">="), ("x < 2", 5, "<"),
    ("x > 2", 5, ">"), ("max(x, 1) == x", 13, "=="), ("x and x", 5, "and"), ("(x or x)", 6, "or"),
    ("not x", 3, "not"), ("(not x) * x", 4, "not"), ("x if x else 0", 5, "if"), ("x && x", 5, "&&"),
    ("x || x", 5, "||"), ("!x", 3, "!"), ("x & x", 5, "&"), ("x | x", 5, "|"),
])
def test_python_s_comparisons_and_logic_are_told_how_mlev_writes_them(
        body: str, column: int, written: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``x == 2`` got the generic "unexpected '='" and its expected tokens, ``a and b`` "join terms with an
    operator" (a fresh-user pass): each of Python's comparison and logical operators, and its conditional
    expression, is an error at the operator whole whose hint writes it in .mlev."""
    from mlevolve.dsl.errors import PYTHON_OPERATORS, python_operator

    monkeypatch.chdir(tmp_path)
    (tmp_path / "o.mlev").write_text(HEAD + f"formula f(x: Scalar) -> Scalar =\n  {body}\n")
    assert main(["check", "o.mlev"]) == 2
    message, hint = python_operator(written)
    assert capsys.readouterr().err == (
        f"o.mlev:3:{column}: error: unexpected {written!r}: {message}\n      {body}\n"
        f"    {' ' * (column - 1)}{'^' * len(written)}\nhint: {hint}\n")
    assert PYTHON_OPERATORS[written][0] in message


@pytest.mark.parametrize("written", ["==", "!=", "<=", ">=", "<", ">", "and", "or", "not", "if"])
def test_each_python_operator_s_mlev_form_checks_and_means_it(written: str) -> None:
    """Each .mlev form a hint writes checks, and computes what the Python it replaces does (0 or 1 for a condition)
    on values either side of the boundary and on it."""
    from mlevolve.dsl.errors import PYTHON_OPERATORS

    _, example, mlev = PYTHON_OPERATORS[written]
    api.check(parse(f"algorithm a\nformula f(x: Scalar, y: Scalar) -> Scalar =\n  {mlev} + 0 * (x + y)\n"))
    heaviside, sign = (lambda v: float(v > 0)), (lambda v: float((v > 0) - (v < 0)))
    for x in (-1.0, 0.0, 2.0):
        for y in (-1.0, 0.0, 2.0):
            want = float(eval(example, {}, {"x": x, "y": y}))  # the Python written
            got = eval(mlev, {"heaviside": heaviside, "sign": sign, "abs": abs, "max": max}, {"x": x, "y": y})
            assert got == want, (example, x, y)


def test_a_value_primitive_named_as_a_layer_is_told_its_layer_primitive_where_the_grammar_has_one() -> None:
    """``seq(dense(8), relu)``'s hint said to define an activation, though the grammar has ``relu_layer()`` (a
    fresh-user pass): each primitive with a nullary ``NAME_layer`` production is told it, and the model the hint
    writes checks; one without (sigmoid) is told to define an activation."""
    from mlevolve.dsl.types import LAYER
    from mlevolve.grammar.spec import load_grammar

    base = load_grammar()
    layered = sorted(o.op[:-len("_layer")] for o in base.productions
                     if o.op.endswith("_layer") and not o.args and o.result == LAYER
                     and base.overloads(o.op[:-len("_layer")]))
    assert "relu" in layered and "tanh" in layered and "sigmoid" not in layered
    for name in (*layered, "sigmoid"):
        with pytest.raises(MlevErrors) as caught:
            api.check(parse(f"algorithm a\nmodel net() -> Layer =\n  seq(dense(8), {name})\n"))
        hint = caught.value.errors[0].hint
        told = re.search(r"seq\(dense\(16\), (\w+\(\))\)", hint)
        assert (told is not None and told.group(1) == f"{name}_layer()") == (name in layered), hint
        if told is not None:
            api.check(parse(f"algorithm a\nmodel net() -> Layer =\n  seq(dense(16), {told.group(1)})\n"))


@pytest.mark.parametrize("op", ["seq", "max", "min", "add", "mul", "residual"])
def test_the_nesting_hint_writes_a_call_that_checks(op: str) -> None:
    """The hint of too many arguments to a primitive whose result may be its own argument nests them; the nested call
    it writes, with each letter a value of that type, checks (one more argument than the primitive takes, and the
    most the nesting fits)."""
    from mlevolve.grammar.spec import load_grammar

    base = load_grammar()
    closed = [s for s in base.overloads(op) if len(s.args) >= 2 and all(a == s.result for a in s.args)]
    if not closed:
        return  # residual(Layer) -> Layer takes one: no hint, checked below
    most = max(len(s.args) for s in closed)
    kind, value = ("model net() -> Layer", "dense(4)") if closed[0].result == LAYER_T else \
        ("formula f(x: Scalar) -> Scalar", "x")
    for given in (most + 1, 2 * most - 1):
        with pytest.raises(MlevErrors) as caught:
            api.check(parse(f"algorithm a\n{kind} =\n  {op}({', '.join([value] * given)})\n"))
        told = re.search(r"nest for more: (.*)$", caught.value.errors[0].hint)
        assert told is not None, caught.value.errors[0].hint
        nested = re.sub(r"\b[a-z]\b", value, told.group(1))
        api.check(parse(f"algorithm a\n{kind} =\n  {nested}\n"))


_LEARNER = ("learner l({state} w: Vector)\n  {setup}() -> Vector = w\n  {predict}(x: Vector) -> Scalar = dot(w, x)\n"
            "  {learn}(x: Vector, y: Scalar, p: Scalar) -> Vector =\n    {let} e = y - p {in_} w + 0.1 * e * x\n")
_WORDS = {"state": "state", "setup": "setup", "predict": "predict", "learn": "learn", "let": "let", "in_": "in"}


def _misspellings(word: str) -> list[str]:
    """A word capitalised, with its last letter doubled, and (5 letters or more) with one inner letter dropped."""
    found = [word.capitalize(), word + word[-1]]
    if len(word) >= 5:
        found += [word[:i] + word[i + 1:] for i in range(1, len(word) - 1)]
    return found


_TYPOS = [(slot, typo) for slot, word in _WORDS.items() for typo in _misspellings(word)]


@pytest.mark.parametrize(("slot", "typo"), _TYPOS, ids=[f"{s}-{t}" for s, t in _TYPOS])
def test_a_misspelt_keyword_is_told_the_keyword_meant(slot: str, typo: str) -> None:
    """Each keyword of a learner, misspelt where it stands (capitalised, a letter doubled or dropped), is an error
    whose hint says which keyword was meant; the program as written checks."""
    api.check(parse(HEAD + _LEARNER.format(**_WORDS)))
    with pytest.raises(MlevError) as caught:
        parse(HEAD + _LEARNER.format(**{**_WORDS, slot: typo}))
    assert caught.value.hint is not None and caught.value.hint.startswith(f"did you mean '{_WORDS[slot]}'?"), \
        caught.value.render()


_OF_TYPE = {  # a program holding `{call}` where a value v of the type goes, and v itself
    "Tensor": "algorithm a\nactivation act(v: Tensor) -> Tensor =\n  {call}\n",
    "Vector": "algorithm a\nlearner l(state v: Vector)\n  predict(x: Vector) -> Scalar = dot(v, x)\n"
              "  learn(x: Vector, y: Scalar, p: Scalar) -> Vector = {call}\n",
    "Matrix": "algorithm a\nlearner l(state v: Matrix)\n  predict(x: Vector) -> Scalar = dot(x, x)\n"
              "  learn(x: Vector, y: Scalar, p: Scalar) -> Matrix = {call}\n",
}


def test_a_number_where_two_tensors_go_is_told_how_to_write_one() -> None:
    """``max(x, 0)`` of a Tensor was told the primitives that take (Tensor, Scalar), add to sub: every two-argument
    primitive taking two Tensors (Vectors, Matrices) and no number beside one is told how to write the number as
    one, and the call the hint writes checks (a number either side, 0, another, a negative one)."""
    from mlevolve.grammar.spec import load_grammar

    base = load_grammar()
    told_of = set()
    for op in sorted({p.op for p in base.productions}):
        for type_name, program in _OF_TYPE.items():
            sigs = [tuple(type_str(a) for a in s.args) for s in base.overloads(op)]
            closed = [s for s in base.overloads(op) if type_str(s.result) == type_name]  # the body's type: it checks
            number_beside = (type_name, "Scalar") in sigs or ("Scalar", type_name) in sigs
            if (type_name, type_name) not in sigs or not closed or number_beside:
                continue
            for call in (f"{op}(v, 0)", f"{op}(2.5, v)", f"{op}(v, -1)"):
                with pytest.raises(MlevErrors) as caught:
                    api.check(parse(program.format(call=call)))
                hint = caught.value.errors[0].hint or ""
                told = re.search(r"write it as one, (.*?)(; primitives that take .*)?$", hint)
                assert told is not None and f"takes two {type_name}s" in hint, (call, hint)
                api.check(parse(program.format(call=told.group(1))))
                told_of.add((op, type_name))
    assert {("max", "Tensor"), ("min", "Vector"), ("max", "Matrix")} <= told_of


def test_max_of_a_tensor_and_0_golden(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = tmp_path / "relu.mlev"
    program.write_text("algorithm a\ntask digits\nactivation act(x: Tensor) -> Tensor =\n  max(x, 0)\n")
    assert main(["check", str(program)]) == 2
    assert capsys.readouterr().err == (
        f"{program}:4:3: error: in activation 'act': no form of 'max' takes (Tensor, Scalar)\n"
        "      max(x, 0)\n"
        "      ^^^^^^^^^\n"
        "hint: it takes (Scalar, Scalar) or (Vector, Vector) or (Matrix, Matrix) or (Tensor, Tensor); a number is a "
        "Scalar, and max takes two Tensors: write it as one, max(x, 0 * x); primitives that take (Tensor, Scalar) and "
        "give a Tensor: add, div, mul, sub\n")


def _errors_of_every_kind() -> list[MlevError]:
    """One raised error of each MlevError class whose ``__init__`` takes other arguments than the base's."""
    from mlevolve.dsl.errors import SettingError
    from mlevolve.grammar.spec import GrammarError

    made: list[MlevError] = []
    for text in ("algorithm a\nformula f(x: Scalar) -> Scalar =\n  relu2(x)\n",  # MlevErrors of an UnknownSymbol
                 "algorithm a\nformula f(x: Scalar) -> Scalar =\n  x == 2\n"):  # a syntax error, as MlevError
        with pytest.raises(MlevError) as err:
            api.check(text)
        made.append(err.value)
    made.append(SettingError("{flag} must be positive, got {got}", hint="give 1 or more", flag="--budget", got=0))
    made.append(GrammarError("no such type 'Foo'", None, None, "g.toml"))
    return made


@pytest.mark.parametrize("index", range(4))
def test_an_error_of_every_kind_pickles_and_copies_with_its_text_and_fields(index: int) -> None:
    """Unpickled (a worker's error crosses to the coordinator so) or copied, an error is of its class with its
    text and fields: MlevErrors, whose argument is its errors, once failed with "'str' object has no attribute
    'message'"."""
    import copy
    import pickle

    err = _errors_of_every_kind()[index]
    for made in (pickle.loads(pickle.dumps(err)), copy.copy(err)):
        assert type(made) is type(err) and str(made) == str(err) and made.args == err.args
        assert (made.message, made.span, made.hint, made.file) == (err.message, err.span, err.hint, err.file)
    assert isinstance(_errors_of_every_kind()[0], MlevErrors)


# One text for each way the parser fails: Lark's UnexpectedToken (two: an operator, a token out of place),
# UnexpectedCharacters, UnexpectedEOF, and an MlevError raised by a reduction callback (a number out of range).
_PARSE_FAILURES = ["x == 2", "x 2", "x $ 2", "x +", "x * 1e999"]


def _parse_error(body: str) -> MlevError:
    with pytest.raises(MlevError) as err:
        api.check(f"algorithm a\nformula f(x: Scalar) -> Scalar =\n  {body}\n")
    return err.value


@pytest.mark.parametrize("body", _PARSE_FAILURES)
def test_a_parse_error_carries_no_lark_exception_in_its_context(body: str) -> None:
    """A syntax error is raised after Lark's exception is handled, not while: raised in the handler (even ``from
    None``) it kept that exception as its ``__context__``, and with it Lark's interactive parser and the transformer."""
    link: BaseException | None = _parse_error(body)
    while link is not None:
        assert type(link).__module__.split(".")[0] != "lark", repr(link)
        link = link.__cause__ or link.__context__


@pytest.mark.parametrize("index", range(4 + len(_PARSE_FAILURES)))
def test_an_error_of_every_kind_pickles_as_a_dask_worker_pickles_it(index: int) -> None:
    """Dask's distributed installs tblib's pickling for every exception class as it is imported, and for a task's
    error with its causes (``distributed.core.error_message``): the error pickles with its ``__context__`` and
    traceback.  A syntax error's context was Lark's UnexpectedToken, whose interactive parser holds the
    transformer's callbacks: "Can't pickle <function _Build.start>: it's not the same object", in a worker and in
    any process that had imported distributed after mlevolve (the test order that failed: tests/cli/test_qa54b.py's
    Dask tests, then tests/dsl/test_errors.py)."""
    import copyreg
    import pickle

    pickling_support = pytest.importorskip("tblib.pickling_support")
    errors = [*_errors_of_every_kind(), *(_parse_error(body) for body in _PARSE_FAILURES)]
    err = errors[index]
    before = dict(copyreg.dispatch_table)
    try:
        pickling_support.install(err)  # err, its class, and its causes' and contexts' classes
        made = pickle.loads(pickle.dumps(err))
    finally:  # the registration is global: leave the next test the table it had
        copyreg.dispatch_table.clear()
        copyreg.dispatch_table.update(before)
    assert type(made) is type(err) and str(made) == str(err) and made.args == err.args
    assert (made.message, made.span, made.hint, made.file) == (err.message, err.span, err.hint, err.file)
