"""Is a given maths answer the expected one? Sympy decides, never string equality.

Used twice: by the ``answer_verified`` criterion (a generated exercise's proposed
answer against the value the exercise implies) and by the site when it marks a
student's answer. Answers arrive as people and OATutor write them: ``18``,
``$70,000``, ``3/4``, ``1 1/2``, ``25%``, ``4x+12``, ``x = 2``, ``x=2 or x=-3``,
``$$\\frac{1}{2}$$``, ``\\left(x+3\\right)^2``.

Hostile input is refused before sympy sees it: a length limit, a character
whitelist, only known function names (``parse_expr`` evaluates Python, so no
quotes, underscores or attribute access ever reach it), unevaluated parsing with a
bound on exponents and factorials, and a wall-clock limit on the simplification
when running on a main thread (SIGALRM is only available there).
"""

from __future__ import annotations

import contextlib
import random
import re
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import sympy
from sympy.parsing.sympy_parser import (
    convert_equals_signs,
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)

from edursft.verification.arithmetic import parse_decimal
from edursft.verification.steps import VerificationResult, check_worked_solution

__all__ = [
    "AnswerParseError",
    "ParsedAnswer",
    "VerificationResult",
    "answer_solves",
    "answers_equivalent",
    "check_worked_solution",
    "parse_answer",
]

MAX_ANSWER_CHARS = 300
MAX_EXPONENT = 1000
TIME_LIMIT_S = 5.0
_TRANSFORMATIONS = (
    *standard_transformations,
    implicit_multiplication_application,
    convert_xor,
    convert_equals_signs,
)
# parse_expr evaluates the code it generates: give it no builtins and only the
# constructors that code calls (the character whitelist keeps everything else out).
_GLOBALS: dict[str, object] = {
    "__builtins__": {},
    **{name: getattr(sympy, name) for name in ("Integer", "Float", "Rational", "Symbol", "Function")},
    **{name: getattr(sympy, name) for name in ("Eq", "Ne", "Lt", "Le", "Gt", "Ge")},
    **{name: getattr(sympy, name) for name in ("Add", "Mul", "Pow", "factorial")},
}
_FUNCTIONS = {
    "sqrt": sympy.sqrt,
    "sin": sympy.sin,
    "cos": sympy.cos,
    "tan": sympy.tan,
    "log": sympy.log,
    "ln": sympy.log,
    "exp": sympy.exp,
    "abs": sympy.Abs,
    "pi": sympy.pi,
}
_PLAIN_CHARS = re.compile(r"[0-9A-Za-z\s.+\-*/^()=<>!]*")
_WORD = re.compile(r"[A-Za-z]+")
_MIXED_NUMBER = re.compile(r"([-+]?\d+)\s+(\d+)\s*/\s*(\d+)")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_SEPARATORS = re.compile(r"\s*(?:,|;|\bor\b|\band\b)\s*")


class AnswerParseError(ValueError):
    """The text cannot be read as a maths answer (too long, unsafe, or not maths)."""


@dataclass(frozen=True)
class ParsedAnswer:
    """One answer read as maths: a list of values (usually one) and whether it was a percentage."""

    values: tuple[sympy.Basic, ...]
    percent: bool = False


class _Timeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Interrupt sympy after ``seconds`` when on the main thread; elsewhere the size guards suffice."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def _raise(signum: int, frame: object) -> None:
        raise _Timeout

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _strip_wrappers(text: str) -> str:
    text = text.strip().replace("\\n", " ").replace("−", "-").replace("–", "-")
    text = text.replace("$$", " ").replace("\\(", " ").replace("\\)", " ").replace("\\[", " ")
    text = text.replace("\\]", " ").replace("\\$", "").replace("$", "")
    text = re.sub(r"\\(?:,|;|!|quad|qquad|displaystyle)", " ", text)
    return text.strip().rstrip(".").strip()


def _check_size(expr: sympy.Basic) -> None:
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Pow) and node.exp.is_Number and abs(node.exp) > MAX_EXPONENT:
            raise AnswerParseError("exponent too large")
        if isinstance(node, sympy.Pow) and isinstance(node.exp, sympy.Pow) and node.base.is_Number:
            raise AnswerParseError("towers of powers are not answers")
        if isinstance(node, sympy.factorial) and node.args[0].is_Number and abs(node.args[0]) > 100:
            raise AnswerParseError("factorial too large")


@lru_cache(maxsize=1)
def _latex_parser() -> Callable[[str], sympy.Basic]:
    """sympy's antlr LaTeX parser, warmed up: its first call loads the grammar (~0.5 s).

    Called before the time limit starts, so a slow first load is never mistaken for
    a hostile answer; only LaTeX answers pay for it.
    """
    from sympy.parsing.latex import parse_latex

    parse_latex("1")
    return parse_latex


def _needs_latex(*texts: str) -> bool:
    return any("\\" in text or "{" in text for text in texts)


def _parse_latex(text: str) -> sympy.Basic:
    parse_latex = _latex_parser()
    if re.search(r"\^\s*\{?\s*-?\d{4,}", text) or re.search(r"\^\s*\{[^{}]*\^", text):
        raise AnswerParseError("exponent too large")
    text = text.replace("\\left", "").replace("\\right", "").replace("\\cdot", "*").replace("\\times", "*")
    text = text.replace("\\div", "/").replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac")
    try:
        return parse_latex(text)
    except Exception as error:  # the antlr parser raises its own exception family
        raise AnswerParseError(f"cannot read LaTeX {text!r}") from error


def _parse_plain(text: str) -> sympy.Basic:
    text = text.replace("**", "^").replace("×", "*").replace("÷", "/").replace("·", "*")
    text = text.replace("√", "sqrt").replace("π", "pi")
    if not _PLAIN_CHARS.fullmatch(text):
        raise AnswerParseError(f"unexpected characters in {text!r}")
    if re.search(r"\^\s*\(?\s*-?\d{4,}", text) or re.search(r"\d{4,}\s*!", text):
        raise AnswerParseError("number too large")
    symbols: dict[str, object] = dict(_FUNCTIONS)
    for word in _WORD.findall(text):
        if word in _FUNCTIONS:
            continue
        if len(word) > 3:
            raise AnswerParseError(f"{word!r} is a word, not maths")
        symbols.update({letter: sympy.Symbol(letter) for letter in word})
    try:
        expr = parse_expr(
            text,
            local_dict=symbols,
            global_dict=dict(_GLOBALS),
            transformations=_TRANSFORMATIONS,
            evaluate=False,
        )
    except Exception as error:  # parse_expr raises SyntaxError, TypeError, TokenError...
        raise AnswerParseError(f"cannot read {text!r}") from error
    if isinstance(expr, sympy.Basic):
        return expr
    if isinstance(expr, bool):
        return sympy.true if expr else sympy.false
    raise AnswerParseError(f"cannot read {text!r}")


def _parse_single(text: str) -> sympy.Basic:
    text = _THOUSANDS.sub("", text.strip())
    mixed = _MIXED_NUMBER.fullmatch(text)
    if mixed:
        whole, numerator, denominator = (int(group) for group in mixed.groups())
        sign = -1 if text.startswith("-") else 1
        return sympy.Rational(whole) + sign * sympy.Rational(numerator, denominator)
    decimal = parse_decimal(text)
    if decimal is not None:
        value = decimal[0]
        return sympy.Rational(value.numerator, value.denominator)
    if "==" in text:
        raise AnswerParseError("comparison operators are not answers")
    expr = _parse_latex(text) if "\\" in text or "{" in text else _parse_plain(text)
    _check_size(expr)
    return expr


@lru_cache(maxsize=4096)
def parse_answer(text: str) -> ParsedAnswer:
    """Read an answer as maths; AnswerParseError when it is not (or is unsafe to try).

    Cached: the same correct answer is compared with every student's answer and every
    feedback message, and sympy parsing is the slow part. Refusals (errors, time-outs)
    are not cached, so a refusal under load is retried next time.
    """
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerParseError(f"answer longer than {MAX_ANSWER_CHARS} characters")
    cleaned = _strip_wrappers(text)
    percent = cleaned.endswith("%") or cleaned.endswith("\\%")
    if percent:
        cleaned = cleaned.removesuffix("\\%").removesuffix("%").strip()
    if not cleaned:
        raise AnswerParseError("empty answer")
    words_only = re.fullmatch(r"[A-Za-z]+(?:\s+[A-Za-z]+)*", cleaned) and re.search(r"[A-Za-z]{2}", cleaned)
    if words_only and not all(word in _FUNCTIONS for word in cleaned.split()):
        # "yes", "odd", "Tuesday": words, not a product of single-letter variables.
        raise AnswerParseError("words, not maths")
    # A comma between digits with exactly three after is a thousands separator, not a list.
    parts = [part for part in _SEPARATORS.split(_THOUSANDS.sub("", cleaned)) if part]
    if "\\" in cleaned or "{" in cleaned:
        parts = [cleaned] if len(parts) == 1 or "\\{" in cleaned else parts
    values = tuple(_parse_single(part) for part in parts)
    if percent:
        values = tuple(value / 100 for value in values)
    return ParsedAnswer(values=values, percent=percent)


def _sample_points(symbols: list[sympy.Symbol], count: int, seed: int) -> list[dict[sympy.Symbol, float]]:
    rng = random.Random(seed)
    return [{symbol: rng.uniform(0.3, 2.7) for symbol in symbols} for _ in range(count)]


def _close(a: complex, b: complex, rel_tol: float) -> bool:
    return abs(a - b) <= rel_tol * max(1.0, abs(a), abs(b))


def _numeric(expr: sympy.Basic, point: dict[sympy.Symbol, float]) -> complex | None:
    try:
        value = complex(expr.evalf(subs=point, n=20))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return value if value == value else None  # NaN is never equal


def _expressions_equal(a: sympy.Basic, b: sympy.Basic, rel_tol: float) -> bool:
    """Equal as functions: exactly when sympy can show a-b = 0, else at random points.

    Evaluating at a few random points is the Schwartz–Zippel test for polynomial
    identity; it also decides the identities ``simplify`` misses.
    """
    a, b = a.doit(), b.doit()
    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    if not symbols:
        va, vb = _numeric(a, {}), _numeric(b, {})
        return va is not None and vb is not None and _close(va, vb, rel_tol)
    if sympy.expand(a - b) == 0:
        return True
    checked = 0
    for point in _sample_points(symbols, 6, seed=7):
        va, vb = _numeric(a, point), _numeric(b, point)
        if va is None or vb is None:
            continue
        if not _close(va, vb, rel_tol):
            return False
        checked += 1
    return checked >= 3


def _equations_equivalent(a: sympy.Equality, b: sympy.Equality, rel_tol: float) -> bool:
    """Same solution set: (lhs-rhs) of one is a non-zero constant multiple of the other's."""
    fa, fb = a.lhs - a.rhs, b.lhs - b.rhs
    symbols = sorted(fa.free_symbols | fb.free_symbols, key=str)
    if not symbols:
        return bool(sympy.simplify(fa) == 0) == bool(sympy.simplify(fb) == 0)
    ratios = []
    for point in _sample_points(symbols, 6, seed=11):
        va, vb = _numeric(fa, point), _numeric(fb, point)
        if va is None or vb is None or abs(vb) < 1e-12:
            continue
        ratios.append(va / vb)
    if len(ratios) >= 3 and abs(ratios[0]) > 1e-12 and all(_close(r, ratios[0], rel_tol) for r in ratios):
        return True
    if len(symbols) == 1:
        return _solutions(a) == _solutions(b)
    return False


@lru_cache(maxsize=1024)
def _solutions(equation: sympy.Equality) -> frozenset[sympy.Basic] | None:
    (symbol,) = equation.free_symbols
    solved = sympy.solveset(equation, symbol, domain=sympy.S.Complexes)
    if isinstance(solved, sympy.FiniteSet):
        return frozenset(sympy.nsimplify(value) for value in solved)
    return None


def _as_values(answer: ParsedAnswer) -> list[sympy.Basic] | None:
    """Turn ``x = 2`` / ``x=2 or x=-3`` / ``x^2 = 4`` into the values they name, when they name values."""
    values: list[sympy.Basic] = []
    for value in answer.values:
        if isinstance(value, sympy.Equality):
            free = value.free_symbols
            if len(free) != 1:
                return None
            if isinstance(value.lhs, sympy.Symbol) and not value.rhs.free_symbols:
                values.append(value.rhs)
            elif isinstance(value.rhs, sympy.Symbol) and not value.lhs.free_symbols:
                values.append(value.lhs)
            else:
                solutions = _solutions(value)
                if solutions is None:
                    return None
                values.extend(solutions)
        elif isinstance(value, sympy.Expr):
            values.append(value)
        else:
            return None
    return values


def _same_multiset(given: list[sympy.Basic], expected: list[sympy.Basic], rel_tol: float) -> bool:
    if len(given) != len(expected):
        return False
    remaining = list(expected)
    for value in given:
        match = next(
            (i for i, other in enumerate(remaining) if _expressions_equal(value, other, rel_tol)), None
        )
        if match is None:
            return False
        remaining.pop(match)
    return True


def _parsed_equivalent(given: ParsedAnswer, expected: ParsedAnswer, rel_tol: float) -> bool:
    if len(given.values) == 1 and len(expected.values) == 1:
        g, e = given.values[0], expected.values[0]
        if isinstance(g, sympy.Equality) and isinstance(e, sympy.Equality):
            if _equations_equivalent(g, e, rel_tol):
                return True
        elif isinstance(g, sympy.Expr) and isinstance(e, sympy.Expr):
            return _expressions_equal(g, e, rel_tol)
    inequalities = [
        value
        for value in (*given.values, *expected.values)
        if isinstance(value, sympy.Rel) and not isinstance(value, sympy.Equality)
    ]
    if inequalities:
        return _inequalities_equal(given, expected)
    g_values, e_values = _as_values(given), _as_values(expected)
    if g_values is None or e_values is None:
        return False
    return _same_multiset(g_values, e_values, rel_tol)


def _inequalities_equal(given: ParsedAnswer, expected: ParsedAnswer) -> bool:
    if len(given.values) != 1 or len(expected.values) != 1:
        return False
    g, e = given.values[0], expected.values[0]
    free = g.free_symbols | e.free_symbols
    if len(free) != 1:
        return False
    (symbol,) = free
    domain = sympy.S.Reals
    return sympy.solveset(g, symbol, domain) == sympy.solveset(e, symbol, domain)


def _normalised_text(text: str) -> str:
    return re.sub(r"\s+", " ", _strip_wrappers(text)).casefold()


def answers_equivalent(given: str, expected: str, *, rel_tol: float = 1e-6) -> bool:
    """True when ``given`` states the same maths as ``expected`` (numbers, fractions,
    percentages, expressions, equations, solution lists, LaTeX).

    A percentage also matches its bare number (``25`` for ``25%``): the question
    already asked for a percent. Answers that are not maths at all (``Yes``,
    ``Tuesday``) are compared as text, ignoring case and spacing.
    """
    given_number, expected_number = parse_decimal(given), parse_decimal(expected)
    if given_number is not None and expected_number is not None:
        # Plain numbers (most answers) need no sympy: exact rational comparison.
        return given_number[0] == expected_number[0]
    if _needs_latex(given, expected) and max(len(given), len(expected)) <= MAX_ANSWER_CHARS:
        _latex_parser()
    try:
        with _time_limit(TIME_LIMIT_S):
            try:
                parsed_given, parsed_expected = parse_answer(given), parse_answer(expected)
            except AnswerParseError:
                if len(given) > MAX_ANSWER_CHARS or len(expected) > MAX_ANSWER_CHARS:
                    return False
                is_maths = re.compile(r"[\d=+*/^\\]")
                if is_maths.search(given) or is_maths.search(expected):
                    return False
                return _normalised_text(given) == _normalised_text(expected) != ""
            if _parsed_equivalent(parsed_given, parsed_expected, rel_tol):
                return True
            if parsed_given.percent != parsed_expected.percent:
                # 25 for 25% (or 25% for 25): compare the numbers as written.
                scale = 100 if parsed_given.percent else sympy.Rational(1, 100)
                rescaled = ParsedAnswer(tuple(value * scale for value in parsed_given.values))
                return _parsed_equivalent(rescaled, parsed_expected, rel_tol)
            return False
    except (_Timeout, RecursionError, MemoryError, OverflowError, ZeroDivisionError):
        return False
    except (TypeError, ValueError, AttributeError, NotImplementedError):
        # sympy raises these for shapes it cannot compare (a set against a matrix...): not equal.
        return False


def answer_solves(task: str, answer: str, *, rel_tol: float = 1e-6) -> bool:
    """Whether ``answer`` answers the maths in ``task``: the solution set of an equation
    (``2x+3=7`` -> ``x=2``), or the value of an expression to simplify or evaluate.
    """
    if _needs_latex(task, answer) and max(len(task), len(answer)) <= MAX_ANSWER_CHARS:
        _latex_parser()
    try:
        with _time_limit(TIME_LIMIT_S):
            parsed_task = parse_answer(task)
            if len(parsed_task.values) != 1 or not isinstance(parsed_task.values[0], sympy.Equality):
                return answers_equivalent(answer, task, rel_tol=rel_tol)
            equation = parsed_task.values[0]
            parsed_answer = parse_answer(answer)
            answer_value = parsed_answer.values[0]
            if (
                len(parsed_answer.values) == 1
                and isinstance(answer_value, sympy.Equality)
                and isinstance(answer_value.lhs, sympy.Symbol)
                and answer_value.lhs not in answer_value.rhs.free_symbols
                and _equations_equivalent(answer_value, equation, rel_tol)
            ):
                # Solved for one variable ("y = 2x + 3" for "2x - y + 3 = 0").
                return True
            if len(equation.free_symbols) != 1:
                return False
            solutions = _solutions(equation)
            values = _as_values(parsed_answer)
            if solutions is None or values is None:
                return False
            return _same_multiset(values, list(solutions), rel_tol)
    except (AnswerParseError, _Timeout, RecursionError, MemoryError, OverflowError, ZeroDivisionError):
        return False
    except (TypeError, ValueError, AttributeError, NotImplementedError):
        return False
