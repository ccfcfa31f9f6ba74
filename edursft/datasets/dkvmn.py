"""The DKVMN split format used by knowledge-tracing benchmarks.

Three lines per student: the number of attempts, the comma-separated skill ids,
the comma-separated 0/1 responses (Zhang et al. 2017, "Dynamic Key-Value Memory
Networks for Knowledge Tracing", data accompanying the paper). Every malformed
line is reported with its 1-based line number so an import can abort cleanly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class DkvmnFormatError(ValueError):
    """A line of a DKVMN file that cannot be read; ``line`` is 1-based."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}, line {line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class StudentSequence:
    """One student's ordered attempts; ``first_line`` locates the block in the file."""

    index: int
    first_line: int
    skills: np.ndarray  # int64 skill ids, in attempt order
    responses: np.ndarray  # int8, 1 correct / 0 wrong

    def __len__(self) -> int:
        return len(self.skills)


def _ints(text: str, path: str, line: int, what: str) -> list[int]:
    parts = [p.strip() for p in text.strip().rstrip(",").split(",")]
    try:
        return [int(p) for p in parts if p != ""]
    except ValueError:
        bad = next(p for p in parts if p and not p.lstrip("-").isdigit())
        raise DkvmnFormatError(path, line, f"{what} must be integers, found {bad!r}") from None


def parse_dkvmn(lines: Iterable[str], path: str = "<input>") -> Iterator[StudentSequence]:
    """Yield each student's sequence, validating counts, ids and responses."""
    block: list[tuple[int, str]] = []
    index = 0
    last_line = 0
    for number, text in enumerate(lines, start=1):
        last_line = number
        if not text.strip():
            if block:
                raise DkvmnFormatError(path, number, "blank line inside a student's three-line block")
            continue
        block.append((number, text))
        if len(block) < 3:
            continue
        (count_line, count_text), (skills_line, skills_text), (resp_line, resp_text) = block
        block = []
        count_values = _ints(count_text, path, count_line, "the attempt count")
        if len(count_values) != 1 or count_values[0] < 1:
            raise DkvmnFormatError(path, count_line, "expected one positive attempt count")
        count = count_values[0]
        skills = _ints(skills_text, path, skills_line, "skill ids")
        responses = _ints(resp_text, path, resp_line, "responses")
        if len(skills) != count:
            raise DkvmnFormatError(path, skills_line, f"expected {count} skill ids, found {len(skills)}")
        if len(responses) != count:
            raise DkvmnFormatError(path, resp_line, f"expected {count} responses, found {len(responses)}")
        if min(skills) < 0:
            raise DkvmnFormatError(path, skills_line, "skill ids must be non-negative")
        if any(r not in (0, 1) for r in responses):
            raise DkvmnFormatError(path, resp_line, "responses must be 0 or 1")
        yield StudentSequence(
            index=index,
            first_line=count_line,
            skills=np.asarray(skills, dtype=np.int64),
            responses=np.asarray(responses, dtype=np.int8),
        )
        index += 1
    if block:
        raise DkvmnFormatError(path, last_line, "file ends inside a student's three-line block")


def read_dkvmn(path: str | Path) -> list[StudentSequence]:
    """Read a whole DKVMN file; raises DkvmnFormatError naming the line."""
    with open(path, encoding="utf-8") as handle:
        return list(parse_dkvmn(handle, str(path)))


def read_skill_map(path: str | Path) -> dict[int, str]:
    """Read ``id<TAB>name`` lines (the ASSISTments skill mapping)."""
    names: dict[int, str] = {}
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            ident, sep, name = text.rstrip("\n").partition("\t")
            if not sep or not ident.strip().isdigit() or not name.strip():
                raise DkvmnFormatError(str(path), number, "expected 'skill id<TAB>skill name'")
            if int(ident) in names:
                raise DkvmnFormatError(
                    str(path), number, f"skill id {int(ident)} is named twice ({names[int(ident)]!r} before)"
                )
            names[int(ident)] = name.strip()
    return names
