"""Maths answer checking: sympy equivalence of answers and step-by-step worked solutions."""

from edursft.verification.answers import AnswerParseError, answer_solves, answers_equivalent, parse_answer
from edursft.verification.steps import StepCheck, VerificationResult, check_worked_solution

__all__ = [
    "AnswerParseError",
    "StepCheck",
    "VerificationResult",
    "answer_solves",
    "answers_equivalent",
    "check_worked_solution",
    "parse_answer",
]
