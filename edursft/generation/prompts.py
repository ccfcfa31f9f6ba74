"""The generator's text format: what is asked for (the prompt) and what comes back.

One document reads, for an exercise::

    <|exercise|><|skill|> Percent Of<|level|> 2<|problem|> What is 20% of 140?
    <|solution|> ... <<0.2*140=28>>28.<|answer|> 28<|hint|> Divide by 100 ...<|end|>

and for feedback on a wrong answer::

    <|feedback|><|skill|> Percent Of<|level|> 2<|problem|> What is 20% of 140?
    <|answer|> 28<|wrong|> 2800<|response|> Divide the percent by 100 ...<|end|>

The prompt is everything up to and including ``<|problem|>`` (exercises) or
``<|response|>`` (feedback); the completion is the rest. Tagged fields let the
criteria read problem, solution, answer and hint separately, and parsing never
raises: a malformed generation becomes a candidate marked ``well_formed=False``
that the criteria then reject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from edursft.criteria.candidate import Candidate

EXERCISE = "<|exercise|>"
FEEDBACK = "<|feedback|>"
SKILL = "<|skill|>"
LEVEL = "<|level|>"
PROBLEM = "<|problem|>"
SOLUTION = "<|solution|>"
ANSWER = "<|answer|>"
HINT = "<|hint|>"
WRONG = "<|wrong|>"
RESPONSE = "<|response|>"
END = "<|end|>"
PAD = "<|pad|>"
TAGS: tuple[str, ...] = (
    EXERCISE,
    FEEDBACK,
    SKILL,
    LEVEL,
    PROBLEM,
    SOLUTION,
    ANSWER,
    HINT,
    WRONG,
    RESPONSE,
    END,
)

Kind = Literal["exercise", "feedback"]
_TAG_SPLIT = re.compile("(" + "|".join(re.escape(t) for t in TAGS) + ")")


@dataclass(frozen=True)
class Request:
    """What the generator is asked for; feedback requests carry the exercise and the wrong answer.

    ``level`` is the target difficulty, 1 (easy) to 3 (hard), the scale of the seed content.
    """

    kind: Kind
    skill: str
    level: int = 2
    problem: str = ""
    correct_answer: str = ""
    wrong_answer: str = ""
    prompt_id: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def identifier(self) -> str:
        """Stable id used to cap accepted samples per prompt."""
        if self.prompt_id:
            return self.prompt_id
        if self.kind == "exercise":
            return f"exercise|{self.skill}|{self.level}"
        return f"feedback|{self.skill}|{self.problem}|{self.wrong_answer}"


def _clean(text: str) -> str:
    """One line of text, without tags that would break the format."""
    return " ".join(_TAG_SPLIT.sub(" ", str(text)).split())


def build_prompt(request: Request) -> str:
    """The conditioning text for ``request``; the model continues it."""
    kind = EXERCISE if request.kind == "exercise" else FEEDBACK
    head = f"{kind}{SKILL} {_clean(request.skill)}{LEVEL} {request.level}"
    if request.kind == "exercise":
        return f"{head}{PROBLEM}"
    return (
        f"{head}{PROBLEM} {_clean(request.problem)}{ANSWER} {_clean(request.correct_answer)}"
        f"{WRONG} {_clean(request.wrong_answer)}{RESPONSE}"
    )


def exercise_completion(problem: str, solution: str, answer: str, hint: str) -> str:
    """The target text of an exercise, as the generator should write it."""
    return (
        f" {_clean(problem)}{SOLUTION} {_clean(solution)}{ANSWER} {_clean(answer)}{HINT} {_clean(hint)}{END}"
    )


def feedback_completion(feedback: str) -> str:
    """The target text of a feedback message."""
    return f" {_clean(feedback)}{END}"


def _fields(completion: str) -> tuple[dict[str, str], list[str]]:
    """Split a completion on its tags; returns the fields and the problems found."""
    issues: list[str] = []
    body, ended, _ = completion.partition(END)
    if not ended:
        issues.append("no end tag")
    parts = _TAG_SPLIT.split(body)
    fields: dict[str, str] = {"": parts[0].strip()}
    for tag, text in zip(parts[1::2], parts[2::2], strict=True):
        if tag in fields:
            issues.append(f"repeated {tag}")
            continue
        fields[tag] = text.strip()
    return fields, issues


def parse_completion(request: Request, completion: str, *, log_q: float = 0.0) -> Candidate:
    """Turn generated text into a Candidate; malformed text gives a candidate marked not well formed."""
    fields, issues = _fields(completion)
    context = {
        "level": request.level,
        "target_difficulty": (request.level - 1) / 2,
        "prompt": build_prompt(request),
        "raw": completion,
        **request.extra,
    }
    if request.kind == "exercise":
        expected = [SOLUTION, ANSWER, HINT]
        issues += [f"missing {tag}" for tag in expected if tag not in fields]
        issues += [f"unexpected {tag}" for tag in fields if tag not in ("", *expected)]
        problem, answer = fields[""], fields.get(ANSWER, "")
        if not problem or not answer:
            issues.append("empty problem or answer")
        context.update(well_formed=not issues, parse_issues=issues)
        return Candidate(
            text=problem,
            answer=answer,
            skill=request.skill,
            kind="exercise",
            hint=fields.get(HINT, ""),
            solution=fields.get(SOLUTION, ""),
            log_q=log_q,
            prompt_id=request.identifier(),
            context=context,
        )
    issues += [f"unexpected {tag}" for tag in fields if tag]
    if not fields[""]:
        issues.append("empty feedback")
    context.update(
        well_formed=not issues,
        parse_issues=issues,
        exercise=request.problem,
        correct_answer=request.correct_answer,
        wrong_answer=request.wrong_answer,
    )
    return Candidate(
        text=fields[""],
        answer=request.correct_answer,
        skill=request.skill,
        kind="feedback",
        hint="",
        solution="",
        log_q=log_q,
        prompt_id=request.identifier(),
        context=context,
    )


def candidate_completion(candidate: Candidate) -> str:
    """The completion text that would have produced ``candidate`` (for fine-tuning on it)."""
    if candidate.kind == "feedback":
        return feedback_completion(candidate.text)
    return exercise_completion(candidate.text, candidate.solution, candidate.answer, candidate.hint)
