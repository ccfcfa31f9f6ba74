"""Maths criteria: is the proposed answer right, and is the exercise the right difficulty?"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from edursft.criteria.candidate import Candidate
from edursft.criteria.context import CriteriaContext
from edursft.criteria.registry import Criterion, Outcome, ParamError, register
from edursft.verification import answer_solves, check_worked_solution
from edursft.verification.direct import direct_answer, states_answer
from edursft.verification.grounding import ungrounded_number
from edursft.verification.steps import count_calculations

_LATEX_SEGMENT = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
_TASK = re.compile(
    r"\b(?:solve|simplify|evaluate|compute|calculate|expand|factor|factorise|factorize|find|what is)\b"
    r"(?:\s+for\s+[a-z])?\s*:?\s*(?P<task>[^?]+?)\s*[?.]?\s*$",
    re.IGNORECASE,
)
_PERCENT_OF = re.compile(r"(\d+(?:\.\d+)?)\s*%\s*of\s+")


def maths_task(text: str) -> str | None:
    """The expression or equation an exercise asks about, if it states one.

    OATutor writes the maths between ``$$``; otherwise the text after an
    instruction verb ("Solve 2x+3=7", "What is 25% of 80?") is taken.
    """
    segments = [segment.strip() for segment in _LATEX_SEGMENT.findall(text) if segment.strip()]
    if segments:
        return segments[-1]
    match = _TASK.search(text.replace("\\n", " "))
    if not match:
        return None
    task = re.sub(r"\s+for\s+[a-z]\s*$", "", match.group("task"))
    return _PERCENT_OF.sub(r"(\1/100)*", task)


@register("answer_verified")
@dataclass
class AnswerVerified(Criterion):
    """The proposed answer is checked, not trusted; an answer that cannot be checked fails.

    A question whose text alone fixes the answer ("Find the median of 11, 2, 4.",
    "Divide 3/4 by 1/2.") is solved from the text first, and the answer must be that
    value whatever the solution shows (``verification.direct``: a consistent solution
    that adds the wrong pair of middle values recomputes and is grounded, yet wrong).
    With a worked solution containing calculations (GSM8K style), every step is
    recomputed and the answer must follow from them, and (``grounded``) every number
    the calculations start from must come from the problem, an earlier step or a
    unit constant: a consistent solution to another problem is not a verified answer
    (see ``verification.grounding``). Otherwise the maths the text states (an
    equation to solve, an expression to simplify) is solved with sympy.
    """

    cost = 1

    kinds = ("exercise",)
    require_last_step: bool = False
    grounded: bool = True

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        return [self._verify(candidate) for candidate in candidates]

    def _verify(self, candidate: Candidate) -> Outcome:
        if not candidate.answer or not candidate.answer.strip():
            return Outcome.of(False, "no proposed answer")
        exact = direct_answer(candidate.text)
        if exact is not None and not states_answer(candidate.answer, exact):
            return Outcome.of(
                False, f"the question fixes the answer at {_written(exact)}, not {candidate.answer.strip()!r}"
            )
        if candidate.solution and count_calculations(candidate.solution):
            result = check_worked_solution(
                candidate.solution, candidate.answer, require_last_step=self.require_last_step
            )
            if result.ok and self.grounded:
                number = ungrounded_number(candidate.text, candidate.solution)
                if number is not None:
                    return Outcome.of(
                        False, f"worked solution: {number} is neither in the problem nor worked out before"
                    )
            return Outcome.of(result.ok, f"worked solution: {result.reason}")
        task = maths_task(candidate.text)
        if task is None:
            return Outcome.of(False, "cannot be checked: no worked calculations and no maths in the text")
        return Outcome.of(
            answer_solves(task, candidate.answer), f"sympy: {candidate.answer!r} does not answer {task!r}"
        )


def _written(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{value} ({float(value):.4g})"


def estimate_p_correct(candidate: Candidate) -> float:
    """Documented item-difficulty estimate used until the student model supplies predictions.

    A hand-set logistic curve, not fitted to data: p = sigmoid(1.7 - 0.4 (s - 1)
    - 0.01 max(0, w - 40)), where s is the number of calculation steps (counted in
    the worked solution, else the operators in the stated maths, at least 1) and w
    the words of the text. It gives 0.85 for a one-step item, 0.62 for four steps
    and 0.25 for eight, the ordering GSM8K's step counts suggest (Cobbe et al.
    2021 rank problems by steps), while long texts cost a little reading effort.
    """
    steps = count_calculations(candidate.solution) if candidate.solution else 0
    if steps == 0:
        task = maths_task(candidate.text) or ""
        steps = len(re.findall(r"[-+*/^=]|\\frac|\\sqrt", task))
    steps = max(1, steps)
    words = len(candidate.text.split())
    logit = 1.7 - 0.4 * (steps - 1) - 0.01 * max(0, words - 40)
    return 1.0 / (1.0 + math.exp(-logit))


@register("difficulty_band")
@dataclass
class DifficultyBand(Criterion):
    """Predicted probability of a correct answer lies in [low, high] (desirable difficulty).

    The prediction comes from ``CriteriaContext.difficulty`` (the student model),
    else from the candidate's ``context["p_correct"]``, else from
    :func:`estimate_p_correct`. The soft score fades to 0 at 0.25 outside the band.
    """

    kinds = ("exercise",)
    low: float = 0.6
    high: float = 0.85

    def validate(self) -> None:
        if not 0.0 <= self.low <= 1.0:
            raise ParamError("low", "must be a probability between 0 and 1")
        if not self.low <= self.high <= 1.0:
            raise ParamError("high", "must be between low and 1")

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        outcomes = []
        for candidate in candidates:
            if context.difficulty is not None:
                p = float(context.difficulty(candidate))
            elif isinstance(candidate.context.get("p_correct"), int | float):
                p = float(candidate.context["p_correct"])
            else:
                p = estimate_p_correct(candidate)
            passed = self.low <= p <= self.high
            score = max(0.0, 1.0 - max(self.low - p, p - self.high, 0.0) / 0.25)
            reason = f"predicted P(correct) {p:.2f} outside {self.low:g}-{self.high:g}"
            outcomes.append(Outcome(passed, score, None if passed else reason))
        return outcomes
