"""Training text for the generator: the seed content plus any exercise corpora given.

Every source becomes ``Example(prompt, completion)`` pairs in the format of
:mod:`edursft.generation.prompts`, so pre-training, fine-tuning and perplexity
all read the same documents. Corpora are read from the paths given (never
copied into the repository); the format is recognised from the content:
GSM8K lines (``question``/``answer`` with ``<<a=b>>`` annotations), the hinted
GSM8K test file (``problem``/``steps``), OATutor items (``problem_body``/
``step_title``/``answers``/``hints``), gzipped or not.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from edursft.generation.prompts import (
    Request,
    build_prompt,
    exercise_completion,
    feedback_completion,
)
from edursft.seed import FeedbackExample, SeedExercise

GSM8K_SKILL = "Word Problems"


class CorpusFormatError(ValueError):
    """A corpus file whose lines are not one of the known exercise formats."""


@dataclass(frozen=True)
class Example:
    """One training document split where the model starts writing."""

    prompt: str
    completion: str
    source: str

    @property
    def text(self) -> str:
        return self.prompt + self.completion


def seed_examples(
    exercises: Iterable[SeedExercise], feedback: Iterable[FeedbackExample] = ()
) -> list[Example]:
    """Seed exercises and feedback examples as training documents."""
    examples = [
        Example(
            build_prompt(Request("exercise", ex.skill, ex.level)),
            exercise_completion(ex.problem, ex.solution, ex.answer, ex.hint),
            "seed",
        )
        for ex in exercises
    ]
    examples += [
        Example(
            build_prompt(
                Request(
                    "feedback",
                    fb.exercise.skill,
                    fb.exercise.level,
                    fb.exercise.problem,
                    fb.exercise.answer,
                    fb.wrong_answer,
                )
            ),
            feedback_completion(fb.feedback),
            "seed-feedback",
        )
        for fb in feedback
    ]
    return examples


def _level(steps: int) -> int:
    """Difficulty level from the number of solution steps (1-2 easy, 3-4 medium, more hard)."""
    return 1 if steps <= 2 else 2 if steps <= 4 else 3


def _strip_latex(text: str) -> str:
    # OATutor writes inline maths between $$ ... $$ and a literal "\n" for line breaks.
    return " ".join(text.replace("$$", "").replace("\\n", " ").split())


def _gsm8k(record: dict) -> Example:
    solution, _, answer = record["answer"].rpartition("####")
    steps = [line for line in solution.strip().splitlines() if line.strip()]
    return Example(
        build_prompt(Request("exercise", GSM8K_SKILL, _level(len(steps)))),
        exercise_completion(record["question"], " ".join(steps), answer.strip(), ""),
        "gsm8k",
    )


def _gsm8k_hinted(record: dict) -> Example:
    steps = record["steps"]
    # The calculator annotations were moved to "calc"; put them back after the step text.
    solution = " ".join(step["text"] + "".join(f" <<{c}>>" for c in step["calc"]) for step in steps)
    hint = next((s["hint"] for s in steps if s.get("hint")), "")
    return Example(
        build_prompt(Request("exercise", GSM8K_SKILL, _level(len(steps)))),
        exercise_completion(record["problem"], solution, record["answer"], hint),
        "gsm8k-hinted",
    )


def _oatutor(record: dict) -> Example:
    skill = (record["skills"] or [record["lesson"]])[0].replace("_", " ").capitalize()
    problem = " ".join(
        part for part in (record["problem_body"], record["step_title"], record["step_body"]) if part.strip()
    )
    if record.get("choices"):
        problem += " Choices: " + "; ".join(record["choices"])
    hints = [h for h in record["hints"] if h["type"] == "hint"]
    scaffolds = [h for h in record["hints"] if h["type"] == "scaffold"]
    solution = " ".join(f"{h['text']} {h['answers'][0]}" for h in scaffolds if h.get("answers"))
    return Example(
        build_prompt(Request("exercise", skill, _level(len(record["hints"])))),
        exercise_completion(
            _strip_latex(problem),
            _strip_latex(solution),
            _strip_latex(record["answers"][0]),
            _strip_latex(hints[0]["text"] if hints else ""),
        ),
        "oatutor",
    )


def _recognise(record: dict) -> tuple[str, object]:
    if {"question", "answer"} <= record.keys():
        return "gsm8k", _gsm8k
    if {"problem", "steps", "answer"} <= record.keys():
        return "gsm8k-hinted", _gsm8k_hinted
    if {"problem_body", "step_title", "answers", "hints"} <= record.keys():
        return "oatutor", _oatutor
    raise KeyError(sorted(record))


def _lines(path: Path) -> Iterator[str]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        yield from handle


def read_corpus(path: str | Path) -> list[Example]:
    """Read an exercise corpus (JSON lines, optionally gzipped) into training documents."""
    path = Path(path)
    examples: list[Example] = []
    for number, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            _, convert = _recognise(record)
            example = convert(record)
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError) as error:
            raise CorpusFormatError(
                f"{path}, line {number}: not a known exercise format ({error!r})"
            ) from None
        if example.completion.strip():
            examples.append(example)
    return examples
