"""Exact, safe evaluation of plain arithmetic such as GSM8K's ``<<16-3-4=9>>``.

Calculator steps are re-computed with :class:`fractions.Fraction` over a walked
Python AST instead of ``eval``: only numbers, + - * / // % **, brackets and the
functions ``sqrt``, ``abs``, ``mod``, ``gcd``, ``lcm``, ``max`` and ``min`` are accepted, so a hostile
string can neither run code nor ask for a number with a billion digits. Exact
rationals mean ``0.1+0.2=0.3`` holds, as a person expects.
A square root must come out rational (``sqrt(169)=13``): an irrational one is
refused rather than approximated, because a rounded root would let ``sqrt(170)=13``
pass the rounding rule and a generated exercise state a wrong length as exact.

``abs``, ``mod`` (a remainder: ``%`` is a percent here), ``gcd``/``lcm`` (whole numbers) and
``max``/``min`` are there for the generator: a
model of a million weights, trained for minutes, copies numbers well and compares
or factors them badly. With the calculator taking the greatest common factor that
simplifies a fraction, or the largest and smallest values of a list, what RSFT has
to teach is which step to take, as with the four operations.
"""

from __future__ import annotations

import ast
import math
import re
from decimal import Decimal, InvalidOperation
from fractions import Fraction

MAX_EXPRESSION_CHARS = 200
# 10**MAX_RESULT_DIGITS bounds every intermediate value: school arithmetic never
# comes close, and it keeps a step like 9**9**9 from running for minutes.
MAX_RESULT_DIGITS = 60
MAX_EXPONENT = 64


class NotArithmeticError(ValueError):
    """The text is not plain arithmetic this evaluator accepts (the reason says why)."""


_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?|\.\d+)\s*%")
_ROOT_OF_NUMBER = re.compile(r"√\s*(\d+(?:\.\d+)?)")
_FUNCTIONS = ("sqrt", "abs", "mod", "gcd", "lcm", "max", "min")
_PLAIN = re.compile(rf"(?:[\d\s.,+\-*/%()]|{'|'.join(_FUNCTIONS)})+")
_CALL = re.compile(r"\b(?:mod|gcd|lcm|max|min)\s*\(")


def has_call(text: str) -> bool:
    """Whether the text calls a function of several arguments, so its commas separate them."""
    return _CALL.search(text) is not None


def normalise_arithmetic(text: str) -> str:
    """Map the notations people write (x, ×, ÷, ^, $, 1,000, 25%) to Python operators."""
    text = text.strip().replace("$", "").replace("−", "-").replace("–", "-")
    text = text.replace("×", "*").replace("·", "*").replace("÷", "/").replace("^", "**")
    if not has_call(text):  # inside a call, "gcd(12,180)" separates arguments
        text = _THOUSANDS.sub("", text)
    # "3 x 4" and "3x4" between numbers or brackets mean multiplication in GSM8K.
    text = re.sub(r"(?<=[\d)])\s*[xX]\s*(?=[\d(.])", "*", text)
    text = _ROOT_OF_NUMBER.sub(r"sqrt(\1)", text).replace("√", "sqrt")
    return _PERCENT.sub(r"(\1/100)", text)


def _number(value: object) -> Fraction:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NotArithmeticError(f"not a number: {value!r}")
    # str() keeps the decimal the author wrote (0.1 stays 1/10, not a binary float).
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def _check_size(value: Fraction) -> Fraction:
    limit = 10**MAX_RESULT_DIGITS
    if abs(value.numerator) > limit * max(1, value.denominator) or value.denominator > limit:
        raise NotArithmeticError("number too large")
    return value


def _square_root(value: Fraction) -> Fraction:
    if value < 0:
        raise NotArithmeticError("square root of a negative number")
    top, bottom = math.isqrt(value.numerator), math.isqrt(value.denominator)
    if top * top != value.numerator or bottom * bottom != value.denominator:
        raise NotArithmeticError(f"the square root of {value} is not a whole number or a fraction")
    return Fraction(top, bottom)


def _whole(name: str, values: list[Fraction]) -> list[int]:
    if any(value.denominator != 1 for value in values):
        raise NotArithmeticError(f"{name} takes whole numbers")
    return [int(value) for value in values]


def _call(name: str, args: list[Fraction]) -> Fraction:
    if name == "sqrt" and len(args) == 1:
        return _square_root(args[0])
    if name == "abs" and len(args) == 1:
        return abs(args[0])
    if name in ("max", "min") and args:
        return max(args) if name == "max" else min(args)
    if name == "mod" and len(args) == 2:
        dividend, divisor = _whole(name, args)
        if divisor <= 0 or dividend < 0:
            raise NotArithmeticError("mod takes a whole number and a positive divisor")
        return Fraction(dividend % divisor)
    if name == "gcd" and len(args) >= 2:
        return Fraction(math.gcd(*_whole(name, args)))
    if name == "lcm" and len(args) >= 2:
        return _check_size(Fraction(math.lcm(*_whole(name, args))))
    raise NotArithmeticError(f"unsupported call {name}() with {len(args)} arguments")


def _evaluate(node: ast.AST) -> Fraction:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant):
        return _number(node.value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        operand = _evaluate(node.operand)
        return operand if isinstance(node.op, ast.UAdd) else -operand
    if isinstance(node, ast.BinOp):
        left, right = _evaluate(node.left), _evaluate(node.right)
        op = node.op
        if isinstance(op, ast.Add):
            return _check_size(left + right)
        if isinstance(op, ast.Sub):
            return _check_size(left - right)
        if isinstance(op, ast.Mult):
            return _check_size(left * right)
        if isinstance(op, ast.Div | ast.FloorDiv | ast.Mod):
            if right == 0:
                raise NotArithmeticError("division by zero")
            if isinstance(op, ast.Div):
                return _check_size(left / right)
            return _check_size(Fraction(left // right) if isinstance(op, ast.FloorDiv) else left % right)
        if isinstance(op, ast.Pow):
            if right.denominator != 1 or abs(right) > MAX_EXPONENT:
                raise NotArithmeticError("exponent must be a whole number of at most 64")
            if left == 0 and right < 0:
                raise NotArithmeticError("division by zero")
            return _check_size(left ** int(right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        return _call(node.func.id, [_evaluate(arg) for arg in node.args])
    raise NotArithmeticError(f"unsupported element {type(node).__name__}")


def evaluate_arithmetic(text: str) -> Fraction:
    """The exact value of a plain arithmetic expression, or NotArithmeticError saying why not."""
    if len(text) > MAX_EXPRESSION_CHARS:
        raise NotArithmeticError("expression too long")
    source = normalise_arithmetic(text)
    if not _PLAIN.fullmatch(source):
        raise NotArithmeticError(f"not plain arithmetic: {text!r}")
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        raise NotArithmeticError(f"cannot parse {text!r}") from error
    return _evaluate(tree)


def parse_decimal(text: str) -> tuple[Fraction, int] | None:
    """A written number and its count of decimal places (``"3.33"`` -> (333/100, 2)); None if not one."""
    cleaned = _THOUSANDS.sub("", text.strip().replace("$", "").replace("−", "-"))
    if not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", cleaned):
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    exponent = value.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return Fraction(value), places


def matches_written_value(exact: Fraction, written: str) -> bool:
    """Whether ``written`` is ``exact`` itself or ``exact`` rounded to the places written.

    GSM8K authors round (``<<10/3=3.33>>``); a step is right when the stated value
    is the exact one rounded half-up to its own number of decimals.
    """
    parsed = parse_decimal(written)
    if parsed is None:
        return False
    stated, places = parsed
    if stated == exact:
        return True
    return abs(exact - stated) <= Fraction(1, 2 * 10**places)
