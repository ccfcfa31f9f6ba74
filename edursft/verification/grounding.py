"""Is a worked solution about its problem? Every number a calculation starts from must come from somewhere.

Recomputing the steps (``steps.py``) shows that a solution is consistent, not that
it solves the problem: "A circle has a radius of 3 m ... 3.14 * 3 * 33 =
<<3.14*3*33=310.86>>310.86" recomputes, and so does a 30% discount taken as
0.5 * 20. On a well-trained bootstrap generator a third of the proposals the
steps check accepted were like that, and fine-tuning on them lowered the share of
verified proposals round after round.

A number a calculation starts from (an annotation's expression, the first side of
a written ``a op b = c``) is grounded when it is written in the problem (in
digits, as a fraction's or a percentage's value, or as a number word), when the
solution produced or stated it earlier (a result, or a number named in words:
"Try 11:", "the common denominator 40"), or when it is one of the constants of
units, angles and counting that real solutions use without stating them (12
months, 60 minutes, 180 degrees, 100 per cent). 92.7% of the GSM8K training
solutions that recompute are grounded by these rules (the rest derive a number in
their head); every authored seed exercise is.
"""

from __future__ import annotations

import re
from collections import Counter
from fractions import Fraction

from edursft.verification.arithmetic import has_call
from edursft.verification.steps import ANNOTATION, ARITHMETIC_SPAN

_NUMBER = re.compile(r"(?<![\d.])\d+(?:,\d{3})*(?:\.\d+)?|(?<![\d.])\.\d+")
# An annotation and the copy of its result the text shows right after it ("<<6*4=24>>24").
_ANNOTATION_SHOWN = re.compile(r"<<[^<>]*>>\s*\$?-?\d*(?:,\d{3})*(?:\.\d+)?")
_ARGUMENT = re.compile(r"(?<![\d.])\d+(?:\.\d+)?|(?<![\d.])\.\d+")  # "max(57,113)": no thousands
_FRACTION = re.compile(r"(?<![\d.])(\d+)\s*/\s*(\d+)(?![\d.])")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)", re.IGNORECASE)
_WORD = re.compile(r"[a-z]+", re.IGNORECASE)
_CARDINALS = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
    "sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety"
)
_NUMBER_WORDS: dict[str, tuple[int | Fraction, ...]] = {
    **{
        word: (value,)
        for word, value in zip(_CARDINALS.split(), (*range(21), 30, 40, 50, 60, 70, 80, 90), strict=True)
    },
    "hundred": (100,),
    "thousand": (1000,),
    "million": (1_000_000,),
    "dozen": (12,),
    "dozens": (12,),
    "half": (2, Fraction(1, 2)),
    "halves": (2, Fraction(1, 2)),
    "twice": (2,),
    "double": (2,),
    "triple": (3,),
    "thrice": (3,),
    "quarter": (4, Fraction(1, 4)),
    "quarters": (4, Fraction(1, 4)),
    "third": (3, Fraction(1, 3)),
    "thirds": (3, Fraction(1, 3)),
    "fourth": (4, Fraction(1, 4)),
    "fifth": (5, Fraction(1, 5)),
    "tenth": (10, Fraction(1, 10)),
    "pair": (2,),
    "couple": (2,),
}
# Small counts, and the units, angles and calendars solutions use without stating them.
CONSTANTS: frozenset[Fraction] = frozenset(
    Fraction(v)
    for v in (*range(11), 12, 16, 24, 30, 31, 36, 52, 60, 90, 100, 144, 180, 360, 365, 1000, 1024, "0.01")
)


def _values(text: str) -> set[Fraction]:
    return {Fraction(number.replace(",", "")) for number in _NUMBER.findall(text)}


def numbers_in(text: str) -> set[Fraction]:
    """The numbers a text states: digits, fractions' values, percentages as rates (and one
    plus or minus the rate: "25% more" is 1.25 times, "30% off" 0.7), number words."""
    found = _values(text)
    for match in _PERCENT.finditer(text):
        rate = Fraction(match.group(1)) / 100
        found |= {rate, 1 + rate, 1 - rate}
    found |= {Fraction(int(a), int(b)) for a, b in _FRACTION.findall(text) if int(b)}
    for word in _WORD.findall(text.lower()):
        found.update(Fraction(value) for value in _NUMBER_WORDS.get(word, ()))
    return found


def _line_numbers(line: str) -> tuple[list[tuple[str, Fraction | None]], Counter[Fraction], set[Fraction]]:
    """(each number the line's calculations start from, with its own annotation's result;
    how many annotations produce each value; the numbers the rest of the line produces or states).

    Within a line the order is not kept: a solution that names a number and uses it in
    one sentence ("Try 11: 11 * 11 = 121") is grounded. An annotation's own result (and
    its copy shown right after it) does not ground its operands: ``<<max(999,1)=999>>999``
    would otherwise bring in any number.
    """
    operands: list[tuple[str, Fraction | None]] = []
    results: Counter[Fraction] = Counter()
    for match in ANNOTATION.finditer(line):
        expression, _, result = match.group(1).rpartition("=")
        own = next(iter(_values(result)), None)
        pattern = _ARGUMENT if has_call(expression) else _NUMBER
        operands += [(number, own) for number in pattern.findall(expression)]
        results.update(_values(result))
    prose = _ANNOTATION_SHOWN.sub(" ", line)
    stated = prose
    produced: set[Fraction] = set()
    for match in ARITHMETIC_SPAN.finditer(prose):
        span = match.group(0)
        if "=" not in span:
            continue
        sides = span.split("=")
        if not sides[0].strip():
            sides = sides[1:]  # continued from words ("A = 3.14 * 3 * 3 = 28.26"): no own first side
        first, *rest = sides
        operands += [(number, None) for number in _NUMBER.findall(first)]
        produced |= _values(" ".join(rest))
        stated = stated.replace(span, " ", 1)
    return operands, results, produced | numbers_in(stated)


def ungrounded_number(problem: str, solution: str) -> str | None:
    """The first number a calculation starts from that neither the problem, the solution's
    earlier lines (or its own line's words and other results) nor a constant accounts for;
    None when every number is grounded."""
    known = numbers_in(problem) | CONSTANTS
    for line in solution.splitlines():
        operands, results, produced = _line_numbers(line)
        for number, own in operands:
            value = Fraction(number.replace(",", ""))
            if value in known or value in produced or results[value] > (value == own):
                continue
            return number
        known |= produced | set(results)
    return None
