"""Re-checking a worked solution step by step (GSM8K style).

A GSM8K solution (Cobbe et al. 2021, "Training Verifiers to Solve Math Word
Problems") writes each calculation twice: in prose (``16 - 3 - 4 = 9``) and as a
calculator annotation (``<<16-3-4=9>>``), and ends with ``#### 18``. A solution
is verified when every annotation and every prose equation recomputes exactly
(allowing the author's rounding), the number shown after an annotation is the
annotation's result, and the final answer is the value of the last calculation.
Anything that cannot be checked (no calculations at all) does not verify.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from fractions import Fraction
from functools import lru_cache

from edursft.verification.arithmetic import (
    NotArithmeticError,
    evaluate_arithmetic,
    matches_written_value,
    parse_decimal,
)

MAX_SOLUTION_CHARS = 6000
ANNOTATION = re.compile(r"<<([^<>]*)>>")
_SHOWN_NUMBER = re.compile(r"\s*\$?(-?\d+(?:,\d{3})*(?:\.\d+)?)(?!\s*/\s*\d)")
# A stretch of prose made only of numbers, operators, brackets and "=": one character
# class, so finding them takes linear time whatever the text (no nested quantifiers
# to backtrack over: a solution is untrusted input).
ARITHMETIC_SPAN = re.compile(r"[\d\s$.,%()+\-*/×÷^=–−]+")
_CONTINUATION = re.compile(r"\b(?:x|X|times|of|by|per|and|plus|minus|over|divided)\s*$")
_OPERATOR_START = re.compile(r"\s*[-+*/×÷^–−]")
_TIMES = re.compile(r"(?<=[\d)])\s*[xX]\s*(?=[\d$(.])")  # "3 x 4", "12/20 x 100%"
# "A = 3.14 * r * r = 3.14 * 12": a formula over one-letter variables, then the same
# formula with numbers put in. Operands are numbers or single letters; no brackets.
_OPERAND = r"(?:\d+(?:\.\d+)?|\b[A-Za-z]\b)"
_SUBSTITUTION = re.compile(
    rf"(?<![\w.])({_OPERAND}(?:\s*[-+*/^]\s*{_OPERAND})+)\s*=\s*"
    r"(\d+(?:\.\d+)?(?:\s*[-+*/^]\s*\d+(?:\.\d+)?)*)(?=\s*(?:=|<<|[.,;]?\s*$|[.,;]\s))"
)
_OPERATOR = re.compile(r"[-+*/^]")


@dataclass(frozen=True)
class StepCheck:
    """One recomputed calculation: where it is, what was written, and what it really gives."""

    line: int
    written: str
    computed: str
    ok: bool


@dataclass(frozen=True)
class VerificationResult:
    """Outcome of checking a worked solution; ``failed_line`` is 1-based (None: ok or not line-specific)."""

    ok: bool
    reason: str
    failed_line: int | None = None
    steps: tuple[StepCheck, ...] = ()
    final_value: str | None = None

    def to_dict(self) -> dict:
        """JSON-ready form for run records."""
        return asdict(self)


def _format(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):.10g}"


def _check_annotation(body: str, line: int) -> tuple[StepCheck, Fraction | None]:
    if "=" not in body:
        return StepCheck(line, body, "", False), None
    expression, stated = body.rsplit("=", 1)
    try:
        value = evaluate_arithmetic(expression)
        # A result written as a fraction (<<3/4=3/4>>) must be exactly that fraction.
        ok = matches_written_value(value, stated) or (
            parse_decimal(stated) is None and evaluate_arithmetic(stated) == value
        )
    except NotArithmeticError as error:
        return StepCheck(line, body, str(error), False), None
    return StepCheck(line, body, _format(value), ok), value


def _check_prose(text: str, line: int) -> tuple[list[StepCheck], tuple[Fraction, str] | None]:
    """Every ``a op b = c = d`` chain in the prose, each side equal to the one before.

    Returns the checks and the last chain's result (its value and how to write it).
    Chains that cannot be read whole are skipped rather than misread: a unit or a
    variable glued to a number ("60g * 4/5", "= 240g", "3 * x"), mixed numbers
    ("3 1/2 - 2"), spaces as thousands separators ("$350 000"), clock times ("11:00"),
    expressions that begin in words ("60 students x 2/3", "S + 143"), and chains
    whose first side is a bare number ("23 slices x $4 = $92").
    """
    checks: list[StepCheck] = []
    last: tuple[Fraction, str] | None = None
    text = _TIMES.sub(" * ", text)
    for match in ARITHMETIC_SPAN.finditer(text):
        span = match.group(0)
        if "=" not in span:
            continue
        # A number glued to what precedes it ("11:00", "√(144)", "60g"), or an expression
        # continued from words ("60 students x 2/3", "12 x 1 and 1/4", "S + 143"): unreadable.
        start = match.start()
        glued_before = start > 0 and not span[0].isspace()
        continued = _CONTINUATION.search(text, max(0, start - 12), start) or _OPERATOR_START.match(span)
        glued_after = match.end() < len(text) and text[match.end()].isalnum() and not span[-1].isspace()
        if glued_before or continued or glued_after:
            continue
        # Sentence punctuation at the ends of a side is not part of the number.
        sides = [re.sub(r"^[.,]\s+", "", side.strip()).rstrip(".,").strip() for side in span.split("=")]
        if any(not side for side in sides) or parse_decimal(sides[0]) is not None:
            continue
        try:
            values = [evaluate_arithmetic(side) for side in sides]
        except NotArithmeticError:
            continue
        for previous, side, value in zip(values, sides[1:], values[1:], strict=False):
            ok = (
                matches_written_value(previous, side)
                if parse_decimal(side) is not None
                else value == previous
            )
            if not ok and side.endswith("%"):
                # "(75/100)*100 = 75%": the % labels the number just computed.
                ok = matches_written_value(previous, side.removesuffix("%"))
            checks.append(StepCheck(line, " = ".join(sides), _format(previous), ok))
        result = values[-1]
        last = (result, f"{_format(result * 100)}%" if sides[-1].endswith("%") else _format(result))
    return checks, last


def _substitution_error(text: str) -> str | None:
    """A formula whose numbers-in version has fewer operations than the formula (a part left out).

    RSFT found this gap: a fine-tuned generator learnt to write "A = 3.14 * r * r =
    3.14 * 12" (a factor dropped), which recomputes and uses grounded numbers, so the
    other checks passed it. Only formulas with a one-letter variable are compared;
    "a^2" and "6*6" count one operation each.
    """
    for match in _SUBSTITUTION.finditer(text):
        formula, numbers = match.group(1), match.group(2)
        if not re.search(r"[A-Za-z]", formula):
            continue
        expected, written = len(_OPERATOR.findall(formula)), len(_OPERATOR.findall(numbers))
        if 0 < written < expected:  # a bare number is an equation being solved ("4 * x = 9400")
            return f"{formula.strip()} = {numbers.strip()} leaves out part of the formula"
    return None


def check_worked_solution(
    solution: str, final_answer: str, *, require_last_step: bool = False
) -> VerificationResult:
    """Recompute every calculation of ``solution`` and check ``final_answer`` is one of its results.

    With ``require_last_step`` the answer must be the last calculation's result. That
    also catches a solution that stops one step early, but 3% of real GSM8K solutions
    state their last step in words ("so 0.4 means 40 percent") and would fail it.
    """
    from edursft.verification.answers import answers_equivalent  # answers imports this module

    if len(solution) > MAX_SOLUTION_CHARS:
        return VerificationResult(False, f"solution longer than {MAX_SOLUTION_CHARS} characters")
    steps: list[StepCheck] = []
    results: list[tuple[Fraction, str, int]] = []
    for number, raw_line in enumerate(solution.splitlines(), start=1):
        line = raw_line.strip()
        if line.startswith("####"):
            stated = line.removeprefix("####").strip()
            if not answers_equivalent(stated, final_answer):
                return VerificationResult(
                    False, f"the solution ends with {stated!r} but the answer is {final_answer!r}", number
                )
            continue
        for match in ANNOTATION.finditer(line):
            check, value = _check_annotation(match.group(1), number)
            steps.append(check)
            if not check.ok:
                return VerificationResult(
                    False,
                    f"line {number}: {check.written} does not hold ({check.computed})",
                    number,
                    tuple(steps),
                )
            shown = _SHOWN_NUMBER.match(line, match.end())
            stated_result = match.group(1).rsplit("=", 1)[1]
            if shown and not matches_written_value(value, shown.group(1)):
                return VerificationResult(
                    False,
                    f"line {number}: the calculation gives {stated_result} "
                    f"but the text says {shown.group(1)}",
                    number,
                    tuple(steps),
                )
            results.append((value, _format(value), number))
        mismatch = _substitution_error(line)
        if mismatch:
            return VerificationResult(False, f"line {number}: {mismatch}", number, tuple(steps))
        prose_checks, prose_last = _check_prose(ANNOTATION.sub("", line), number)
        for check in prose_checks:
            steps.append(check)
            if not check.ok:
                return VerificationResult(
                    False, f"line {number}: {check.written} does not hold", number, tuple(steps)
                )
        if prose_last is not None:
            results.append((*prose_last, number))
    if not results:
        return VerificationResult(False, "no calculation in the solution can be checked")
    try:
        stated = evaluate_arithmetic(final_answer)  # "18", "$70,000", "3/4", "25%"
    except NotArithmeticError:
        stated = None
    candidates = results[-1:] if require_last_step else results[::-1]
    for value, text, _ in candidates:
        follows = matches_written_value(value, final_answer) or stated == value
        # "60%" computed, "60" answered: the question asked for a percentage.
        if follows or (text.endswith("%") and stated == value * 100):
            return VerificationResult(
                True, "every step recomputes and the answer follows", None, tuple(steps), text
            )
    last_text, last_line = results[-1][1], results[-1][2]
    where = "the last step" if require_last_step else "any step"
    return VerificationResult(
        False,
        f"the answer {final_answer!r} does not follow from {where} (last result {last_text})",
        last_line,
        tuple(steps),
        last_text,
    )


@lru_cache(maxsize=4096)
def count_calculations(solution: str) -> int:
    """How many calculations a solution writes out (annotations, else prose equations).

    Cached: ``answer_verified`` and ``difficulty_band`` both count the same solution.
    """
    annotations = len(ANNOTATION.findall(solution))
    if annotations:
        return annotations
    return sum(len(_check_prose(line, 0)[0]) for line in solution.splitlines())
