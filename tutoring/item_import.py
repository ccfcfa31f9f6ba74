"""Importing real exercise corpora (OATutor, GSM8K) into the item bank.

The whole file is parsed before anything is written; a malformed line stops the
import with an error naming the file and line, and the write is one transaction.
Items are keyed by (source, source_ref), so importing the same file again adds
nothing. The corpus's license and attribution are stored on every item and shown
wherever a student sees it (CC BY 4.0 requires the attribution).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from tutoring.models import Item, Skill

BATCH = 2000

OATUTOR_LICENSE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)"
OATUTOR_ATTRIBUTION = (
    "Hints and scaffolds by the OATutor Project (CAHL research lab, UC Berkeley, https://oatutor.io). "
    "Problems adapted from OpenStax textbooks (Rice University, CC BY 4.0, access for free at "
    "https://openstax.org): Elementary Algebra 2e, Intermediate Algebra 2e, College Algebra 2e, "
    "Introductory Statistics. Selected and reshaped; text unchanged."
)
GSM8K_LICENSE = "MIT"
GSM8K_ATTRIBUTION = (
    "GSM8K, Copyright (c) 2021 OpenAI, MIT License (Cobbe et al. 2021, "
    '"Training Verifiers to Solve Math Word Problems").'
)
GSM8K_SKILL = ("gsm8k:word-problems", "Multi-step Word Problems")
FORMATS = ("oatutor", "gsm8k")


class ItemImportError(ValueError):
    """A line of the corpus cannot be imported; nothing was written."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        super().__init__(f"{path}, line {line}: {problem}")
        self.path, self.line, self.problem = path, line, problem


@dataclass
class ParsedItem:
    source_ref: str
    title: str
    text: str
    answer: str
    answer_type: str
    choices: list
    hints: list
    solution: str
    skills: list[tuple[str, str]]  # (external id, name)
    license: str
    attribution: str


@dataclass(frozen=True)
class ImportSummary:
    created: int
    skipped: int
    skills_created: int


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def _text(value: object) -> str:
    return str(value or "").replace("\\n", "\n").strip()


def _list(record: dict, key: str, *, item_type: type, required: bool = True) -> list:
    """``record[key]`` as a list of ``item_type``, or a ValueError naming the field.

    A string where a list belongs would otherwise be read character by character.
    """
    value = record[key] if required else record.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, item_type) for v in value):
        raise ValueError(f"field {key!r} must be a list of {item_type.__name__}s")
    if required and not value:
        raise ValueError(f"field {key!r} is empty")
    return value


def _oatutor_hints(hints: list) -> list[dict]:
    """Hints and scaffolds in order; a hint's sub-hints follow it."""
    flat = []
    for hint in hints:
        if not isinstance(hint, dict) or "type" not in hint:
            raise ValueError("each entry of 'hints' must be an object with a 'type'")
        entry = {"type": hint["type"], "title": _text(hint.get("title")), "text": _text(hint.get("text"))}
        if hint["type"] == "scaffold":
            entry["answer"] = _text((_list(hint, "answers", item_type=object, required=False) or [""])[0])
        flat.append(entry)
        flat.extend(_oatutor_hints(_list(hint, "sub_hints", item_type=dict, required=False)))
    return flat


def _humanise(snake: str) -> str:
    words = snake.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _parse_oatutor(record: dict) -> ParsedItem:
    if record["problem_type"] == "MultipleChoice":
        answer_type = "choice"
    else:
        answer_type = "math" if record["answer_type"] == "arithmetic" else "string"
    parts = [_text(record.get(k)) for k in ("problem_body", "step_title", "step_body")]
    return ParsedItem(
        source_ref=f"oatutor:{record['id']}",
        title=_text(record["problem_title"]) or _text(record["lesson"]),
        text="\n".join(p for p in parts if p),
        answer=_text(_list(record, "answers", item_type=object)[0]),
        answer_type=answer_type,
        choices=[_text(c) for c in _list(record, "choices", item_type=object, required=False)],
        hints=_oatutor_hints(_list(record, "hints", item_type=object, required=False)),
        solution="",
        skills=[(f"oatutor:{s}", _humanise(s)) for s in _list(record, "skills", item_type=str)],
        license=OATUTOR_LICENSE,
        attribution=OATUTOR_ATTRIBUTION,
    )


_ANNOTATION = re.compile(r"<<[^<>]*>>")


def _parse_gsm8k(record: dict, split: str, number: int) -> ParsedItem:
    solution = str(record["answer"])
    if "####" not in solution:
        raise ValueError("the answer has no '#### final answer' line")
    steps, final = solution.rsplit("####", 1)
    final = final.strip().replace(",", "")
    if not final:
        raise ValueError("the final answer after '####' is empty")
    question = _text(record["question"])
    if not question:
        raise ValueError("the question is empty")
    # The worked solution's lines, without calculator annotations, are the hints in order.
    hints = [{"type": "hint", "text": _ANNOTATION.sub("", line).strip()} for line in steps.splitlines()]
    return ParsedItem(
        source_ref=f"gsm8k:{split}:{number}",
        title=question[:80] + ("…" if len(question) > 80 else ""),
        text=question,
        answer=final,
        answer_type="math",
        choices=[],
        hints=[h for h in hints if h["text"]],
        solution=solution,
        skills=[GSM8K_SKILL],
        license=GSM8K_LICENSE,
        attribution=GSM8K_ATTRIBUTION,
    )


def parse_corpus(path: str | Path, fmt: str) -> list[ParsedItem]:
    """Every line of the file as an item; raises ItemImportError naming the first bad line."""
    path = Path(path)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    split = path.name.split(".")[0]
    parsed = []
    first_line: dict[str, int] = {}  # source_ref -> the line that defined it
    for number, line in _lines(path):
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("the line is not a JSON object")
            item = _parse_oatutor(record) if fmt == "oatutor" else _parse_gsm8k(record, split, number)
            if item.source_ref in first_line:
                # Items are keyed by it: a second one would be a database error, not a line number.
                raise ValueError(
                    f"id {item.source_ref!r} already appears on line {first_line[item.source_ref]}"
                )
            first_line[item.source_ref] = number
            parsed.append(item)
        except json.JSONDecodeError as error:
            raise ItemImportError(path, number, f"not valid JSON ({error.msg})") from error
        except KeyError as error:
            raise ItemImportError(path, number, f"missing field {error.args[0]!r}") from error
        except (TypeError, ValueError, IndexError, AttributeError) as error:
            raise ItemImportError(path, number, str(error) or type(error).__name__) from error
    return parsed


def _skills(wanted: dict[str, str]) -> tuple[dict[str, int], int]:
    """Skill pks by external id, creating the missing ones (a taken name gets the corpus in brackets)."""
    found = dict(Skill.objects.filter(external_id__in=wanted).values_list("external_id", "pk"))
    missing = {ext: name for ext, name in wanted.items() if ext not in found}
    taken = set(Skill.objects.filter(name__in=missing.values()).values_list("name", flat=True))
    new = []
    for ext, name in sorted(missing.items()):
        if name in taken:
            name = f"{name} ({ext.split(':', 1)[0]})"
        taken.add(name)
        new.append(Skill(external_id=ext, name=name))
    Skill.objects.bulk_create(new, batch_size=BATCH)
    found.update(Skill.objects.filter(external_id__in=missing).values_list("external_id", "pk"))
    return found, len(new)


def import_items(path: str | Path, fmt: str) -> ImportSummary:
    """Load a corpus file into the bank as approved imported items; re-running adds nothing."""
    parsed = parse_corpus(path, fmt)
    refs = [p.source_ref for p in parsed]
    with transaction.atomic():
        existing = set(
            Item.objects.filter(source=Item.Source.IMPORTED, source_ref__in=refs).values_list(
                "source_ref", flat=True
            )
        )
        todo = [p for p in parsed if p.source_ref not in existing]
        skills, skills_created = _skills({ext: name for p in todo for ext, name in p.skills})
        Item.objects.bulk_create(
            [
                Item(
                    kind=Item.Kind.EXERCISE,
                    title=p.title[:300],
                    text=p.text,
                    answer=p.answer,
                    answer_type=p.answer_type,
                    choices=p.choices,
                    hints=p.hints,
                    solution=p.solution,
                    source=Item.Source.IMPORTED,
                    source_ref=p.source_ref,
                    license=p.license,
                    attribution=p.attribution,
                    status=Item.Status.APPROVED,
                )
                for p in todo
            ],
            batch_size=BATCH,
        )
        pks = dict(
            Item.objects.filter(
                source=Item.Source.IMPORTED, source_ref__in=[p.source_ref for p in todo]
            ).values_list("source_ref", "pk")
        )
        Through = Item.skills.through
        Through.objects.bulk_create(
            [
                Through(item_id=pks[p.source_ref], skill_id=skills[ext])
                for p in todo
                for ext in dict.fromkeys(ext for ext, _ in p.skills)
            ],
            batch_size=BATCH,
        )
    return ImportSummary(created=len(todo), skipped=len(existing), skills_created=skills_created)
