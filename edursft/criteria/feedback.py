"""Feedback criteria: good feedback points at the student's mistake without giving the answer away.

A feedback candidate's ``context`` carries ``exercise`` (the problem text),
``correct_answer`` and ``wrong_answer`` (what the student wrote), and optionally
``mistake`` (a description of the error, e.g. from a misconception detector).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from edursft.criteria.candidate import Candidate
from edursft.criteria.context import CriteriaContext
from edursft.criteria.registry import Criterion, Outcome, ParamError, register
from edursft.embedding import embed
from edursft.verification import answers_equivalent
from edursft.verification.arithmetic import parse_decimal

_NUMBER = re.compile(r"(?<![\w.])-?\$?\d+(?:,\d{3})*(?:\.\d+)?(?:\s*/\s*\d+)?%?(?![\w])")
_LATEX_SEGMENT = re.compile(r"\$\$(.+?)\$\$", re.DOTALL)
_GIVEAWAY = re.compile(r"\b(?:the\s+)?(?:correct\s+|right\s+)?answer\s+(?:is|was|should be)\b", re.IGNORECASE)


def _value(text: str) -> Fraction | None:
    cleaned = text.replace("$", "").replace(" ", "")
    percent = cleaned.endswith("%")
    cleaned = cleaned.removesuffix("%")
    if "/" in cleaned:
        numerator, denominator = cleaned.split("/", 1)
        parsed = parse_decimal(numerator), parse_decimal(denominator)
        if parsed[0] is None or parsed[1] is None or parsed[1][0] == 0:
            return None
        value = parsed[0][0] / parsed[1][0]
    else:
        decimal = parse_decimal(cleaned)
        if decimal is None:
            return None
        value = decimal[0]
    return value / 100 if percent else value


def mentions(text: str, answer: str, *, ignore: str = "") -> bool:
    """Whether ``text`` states ``answer``: as a number (``$18``, ``18.0``), as equivalent maths
    between ``$$``, or word for word. Numbers that also occur in ``ignore`` (the exercise)
    do not count: quoting the problem's own data gives nothing away.
    """
    answer = answer.strip()
    if not answer:
        return False
    target = _value(answer)
    given = {_value(m.group(0)) for m in _NUMBER.finditer(ignore)} if ignore else set()
    if target is not None:
        for match in _NUMBER.finditer(text):
            value = _value(match.group(0))
            if value is not None and value == target and value not in given:
                return True
        return False
    if any(answers_equivalent(segment, answer) for segment in _LATEX_SEGMENT.findall(text)):
        return True
    bare = answer.strip("$ ").strip()
    return bool(bare) and re.search(rf"(?<!\w){re.escape(bare)}(?!\w)", text, re.IGNORECASE) is not None


@register("no_answer_reveal")
@dataclass
class NoAnswerReveal(Criterion):
    """The feedback does not state the correct answer, nor announce "the answer is ..."."""

    kinds = ("feedback",)

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        outcomes = []
        for candidate in candidates:
            correct = candidate.context.get("correct_answer") or candidate.answer
            if not correct:
                outcomes.append(
                    Outcome.of(False, "no correct answer to check against (context.correct_answer)")
                )
                continue
            exercise = str(candidate.context.get("exercise", ""))
            if _GIVEAWAY.search(candidate.text):
                outcomes.append(Outcome.of(False, "announces the answer"))
            else:
                revealed = mentions(candidate.text, str(correct), ignore=exercise)
                outcomes.append(Outcome.of(not revealed, f"reveals the correct answer {correct!r}"))
        return outcomes


@register("addresses_mistake")
@dataclass
class AddressesMistake(Criterion):
    """The feedback refers to this student's mistake: it names their wrong answer, or it is
    about the described mistake (embedding similarity at least ``min_similarity``).

    Score: 1 when the wrong answer is named, else the similarity to the mistake scaled to 0.6.
    """

    cost = 2

    kinds = ("feedback",)
    min_similarity: float = 0.4

    def validate(self) -> None:
        if not -1.0 <= self.min_similarity <= 1.0:
            raise ParamError("min_similarity", "must be a cosine similarity between -1 and 1")

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        outcomes: list[Outcome | None] = []
        described: list[int] = []
        for i, candidate in enumerate(candidates):
            wrong = candidate.context.get("wrong_answer")
            if wrong is not None and mentions(candidate.text, str(wrong)):
                outcomes.append(Outcome(True, 1.0))
            elif candidate.context.get("mistake"):
                outcomes.append(None)
                described.append(i)
            else:
                what = f"the student's answer {wrong!r}" if wrong is not None else "a wrong answer or mistake"
                outcomes.append(Outcome.of(False, f"does not refer to {what}"))
        if described:
            texts = embed([candidates[i].text for i in described])
            mistakes = embed([str(candidates[i].context["mistake"]) for i in described])
            for i, similarity in zip(described, np.einsum("ij,ij->i", texts, mistakes), strict=True):
                passed = bool(similarity >= self.min_similarity)
                reason = (
                    f"neither names the wrong answer nor discusses the mistake (similarity {similarity:.2f})"
                )
                outcomes[i] = Outcome(
                    passed, float(np.clip(similarity / 0.6, 0, 1)), None if passed else reason
                )
        return [outcome for outcome in outcomes if outcome is not None]
