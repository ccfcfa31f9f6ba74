"""Questions whose text alone fixes the answer, solved directly from the text.

A worked solution that recomputes and uses only the problem's numbers is consistent,
not necessarily right: "Find the median of 11, 2, 4, 10, 3" with "10 + 11 = 21, 21 / 2
= 10.5" passes every step check. On a fine-tuned generator's output (RSFT, 2026-12-02)
12 of 13 "verified" means, 18 of 22 medians and 4 of 5 ranges were wrong this way.
For the question shapes below the answer is computed from the text itself and the
proposed answer must equal it. The shapes are narrow on purpose (the whole question is
the computation: "Find the mean of 4, 8, 9.", "Divide 3/4 by 1/2.", "Evaluate 4^3.");
anything else returns None and is left to the step checks.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable
from fractions import Fraction
from functools import reduce

from edursft.verification.arithmetic import (
    NotArithmeticError,
    evaluate_arithmetic,
    matches_written_value,
    parse_decimal,
)

_NUM = r"-?\d+(?:\.\d+)?"
_FRACTION = rf"{_NUM}(?:\s*/\s*\d+)?"
_OPERAND = rf"\(\s*{_NUM}\s*\)|{_FRACTION}"  # "-87" or "(-87)"
_LIST = rf"{_NUM}(?:\s*(?:,\s*(?:and\s+)?|\s+and\s+){_NUM})+"
_END = r"\s*[.?]?\s*$"  # the question ends the text: nothing after it changes what is asked

_STATISTIC = re.compile(
    rf"\b(?:find|what is|what's|compute|calculate)\s+the\s+(mean|average|median|range|mode)\s+of\s+"
    rf"(?:the\s+(?:numbers|values|data(?:\s+set)?)\s*:?\s*)?({_LIST}){_END}",
    re.IGNORECASE,
)
_FACTOR = re.compile(
    rf"\b(?:find|what is|what's)\s+the\s+(greatest common (?:factor|divisor)|gcf|gcd|"
    rf"least common multiple|lcm)\s+of\s+({_LIST}){_END}",
    re.IGNORECASE,
)
_TWO_OPERANDS = re.compile(
    rf"^\s*(add|subtract|multiply|divide)\s+(?:the\s+[a-z ]+?:\s*)?({_OPERAND})\s*"
    rf"(\+|-|\*|×|÷|/|by|and|from)\s*({_OPERAND})"
    r"\s*\.(?:\s*simplify your answer\.)?\s*$",
    re.IGNORECASE,
)
_NAMED = re.compile(
    rf"\bfind the (sum|difference|product|quotient) of\s+(?:the\s+[a-z ]+?\s+)?({_NUM}) and ({_NUM}){_END}",
    re.IGNORECASE,
)
_PROPORTION = re.compile(
    rf"^\s*solve the proportion\s+({_NUM})/({_NUM})\s*=\s*({_NUM})/x for x{_END}", re.IGNORECASE
)
_ROOT = re.compile(rf"\bwhat is the square root of\s+({_NUM}){_END}", re.IGNORECASE)
_PART_OF = re.compile(rf"\bwhat is\s+({_FRACTION})\s*(%?)\s+of\s+\$?({_NUM}){_END}", re.IGNORECASE)
_AS_PERCENT = re.compile(rf"^\s*write\s+({_FRACTION})\s+as\s+a\s+percent{_END}", re.IGNORECASE)
_EXPRESSION = re.compile(
    r"\b(?:evaluate|compute|calculate|what is)\s*:?\s*([-\d\s.+*/^×÷()|]+?)" + _END, re.I
)
_OPERATOR = re.compile(r"\d\s*[-+*/^×÷(]|\|")
_MISSING_NUMERATOR = re.compile(
    rf"^\s*fill in the missing numerator:\s*(\d+)/(\d+)\s*=\s*\?/(\d+){_END}", re.I
)
_SLOPE = re.compile(
    rf"\bslope of the line through\s+\(({_NUM}),\s*({_NUM})\)\s+and\s+\(({_NUM}),\s*({_NUM})\){_END}",
    re.IGNORECASE,
)
_PATTERN = re.compile(
    rf"\bthe pattern\s+({_LIST}),\s*\.\.\.\s*continues\.\s*what is term number\s+(\d+){_END}", re.IGNORECASE
)
_ABSOLUTE = re.compile(r"\|([^|]+)\|")


def _values(text: str) -> list[Fraction]:
    return [Fraction(value) for value in re.findall(_NUM, text)]


def _value(text: str) -> Fraction:
    return evaluate_arithmetic(text.replace(" ", ""))


def _statistic(name: str, values: list[Fraction]) -> Fraction | None:
    if name in ("mean", "average"):
        return sum(values, Fraction(0)) / len(values)
    if name == "median":
        return Fraction(statistics.median(values))
    if name == "range":
        return max(values) - min(values)
    counts = Counter(values).most_common()
    return counts[0][0] if len(counts) == 1 or counts[0][1] > counts[1][1] else None  # mode: one or none


def _factor(name: str, values: list[Fraction]) -> Fraction | None:
    if any(v.denominator != 1 or v <= 0 for v in values):
        return None
    whole = [int(v) for v in values]
    if name.lower() in ("least common multiple", "lcm"):
        return Fraction(reduce(math.lcm, whole))
    return Fraction(reduce(math.gcd, whole))


_OPERATIONS: dict[str, Callable[[Fraction, Fraction], Fraction]] = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "divide": lambda a, b: a / b,
}
_NAMES = {"sum": "add", "difference": "subtract", "product": "multiply", "quotient": "divide"}
_SYMBOLS = {"+": "add", "-": "subtract", "*": "multiply", "×": "multiply", "÷": "divide", "/": "divide"}


def _two_operands(verb: str, left: str, joiner: str, right: str) -> Fraction:
    a, b = _value(left), _value(right)
    verb = verb.lower()
    if joiner == "from":  # "subtract 1/4 from 3/4"
        if verb != "subtract":
            raise NotArithmeticError("'from' only follows subtract")
        a, b = b, a
    elif joiner not in ("by", "and") and _SYMBOLS[joiner] != verb:
        # "Add 1/2 - 1/3": the words disagree; do not guess
        raise NotArithmeticError("the verb and the operator disagree")
    return _OPERATIONS[verb](a, b)


def _expression(text: str) -> Fraction:
    text = _ABSOLUTE.sub(lambda m: f"({abs(_value(m.group(1)))})", text)
    text = re.sub(r"(?<=[\d)])\s*\(", "*(", text)  # 5(9 + 1) is 5 * (9 + 1)
    return evaluate_arithmetic(text)


def _linear_term(values: list[Fraction], n: int) -> Fraction | None:
    steps = {b - a for a, b in zip(values, values[1:], strict=False)}
    return values[0] + (n - 1) * steps.pop() if len(steps) == 1 and len(values) >= 3 else None


def direct_answer(problem: str) -> Fraction | None:
    """The exact answer of a question the text fully determines, or None when it is not one."""
    text = " ".join(problem.split())
    try:
        if match := _STATISTIC.search(text):
            return _statistic(match.group(1).lower(), _values(match.group(2)))
        if match := _FACTOR.search(text):
            return _factor(match.group(1), _values(match.group(2)))
        if match := _TWO_OPERANDS.match(text):
            return _two_operands(*match.groups())
        if match := _NAMED.search(text):
            name, left, right = match.groups()
            return _OPERATIONS[_NAMES[name.lower()]](Fraction(left), Fraction(right))
        if match := _PROPORTION.match(text):
            top, bottom, other = (Fraction(g) for g in match.groups())
            return bottom * other / top
        if match := _ROOT.search(text):
            return evaluate_arithmetic(f"sqrt({match.group(1)})")
        if match := _PART_OF.search(text):
            part = _value(match.group(1)) / (100 if match.group(2) else 1)
            return part * Fraction(match.group(3))
        if match := _AS_PERCENT.match(text):
            return _value(match.group(1)) * 100
        if match := _MISSING_NUMERATOR.match(text):
            top, bottom, new_bottom = (int(g) for g in match.groups())
            return Fraction(top * new_bottom, bottom)
        if match := _SLOPE.search(text):
            x1, y1, x2, y2 = (Fraction(g) for g in match.groups())
            return (y2 - y1) / (x2 - x1) if x2 != x1 else None
        if match := _PATTERN.search(text):
            return _linear_term(_values(match.group(1)), int(match.group(2)))
        if (match := _EXPRESSION.search(text)) and _OPERATOR.search(match.group(1)):
            return _expression(match.group(1))
    except (NotArithmeticError, ZeroDivisionError, ValueError):
        return None
    return None


def states_answer(answer: str, exact: Fraction) -> bool:
    """Whether ``answer`` is ``exact``: as a number or fraction, or rounded to the decimals it shows.

    A whole number is never taken as a rounding (35/3 answered "12" is wrong); "11.67" is.
    """
    answer = answer.strip().removesuffix("%").strip()  # "25%" for "Write 1/4 as a percent."
    parsed = parse_decimal(answer)
    if parsed is not None:
        stated, places = parsed
        return stated == exact or (places > 0 and matches_written_value(exact, answer))
    try:
        return evaluate_arithmetic(answer) == exact
    except NotArithmeticError:
        return False
