"""Surface criteria: length, reading level, required, banned and unsafe terms.

Terms match whole words or phrases, ignoring case ("sum" does not match
"summer"). Banned and unsafe terms are looked for in everything a student will
see (text, hint, worked solution, answer); required terms only in the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import textstat
from textstat.backend.selections._list_words import list_words

from edursft.criteria.candidate import Candidate
from edursft.criteria.context import CriteriaContext
from edursft.criteria.registry import Criterion, Outcome, ParamError, register

UNSAFE_TERMS_FILE = Path(__file__).with_name("unsafe_terms.txt")


def _visible_text(candidate: Candidate) -> str:
    parts = (candidate.text, candidate.hint, candidate.solution, candidate.answer)
    return "\n".join(part for part in parts if part)


def _terms_pattern(terms: Sequence[str]) -> re.Pattern[str]:
    alternatives = sorted({re.escape(term.strip().casefold()) for term in terms if term.strip()}, key=len)
    return re.compile(rf"(?<!\w)(?:{'|'.join(reversed(alternatives))})(?!\w)", re.IGNORECASE)


def _words(text: str) -> int:
    return len(re.findall(r"\S+", text))


def _syllables(word: str) -> int:
    """Vowel groups, less a silent final e: the usual rule-based English syllable estimate."""
    groups = len(re.findall(r"[aeiouy]+", word))
    if groups > 1 and word.endswith("e") and not word.endswith(("le", "ee")):
        groups -= 1
    return max(1, groups)


@lru_cache(maxsize=4096)
def flesch_kincaid_grade(text: str) -> float:
    """Flesch–Kincaid grade level: 0.39 words/sentence + 11.8 syllables/word - 15.59 (Kincaid et al. 1975).

    Cached per text (a preview and the run that follows judge the same candidates).
    Words and sentences are textstat's counts. Syllables are estimated by rule
    because textstat 0.7.13 looks them up in NLTK's cmudict, which it tries to
    download at run time; nothing may be downloaded here.
    """
    words = list_words(text, lowercase=True)
    if not words:
        return 0.0
    sentences = max(1, textstat.sentence_count(text))
    syllables = sum(_syllables(word) for word in words)
    return 0.39 * len(words) / sentences + 11.8 * syllables / len(words) - 15.59


def _band_score(value: float, low: float | None, high: float | None, tolerance: float) -> float:
    """1 inside [low, high], falling linearly to 0 at ``tolerance`` outside it."""
    excess = max((low - value) if low is not None else 0.0, (value - high) if high is not None else 0.0, 0.0)
    return max(0.0, 1.0 - excess / tolerance)


@register("length")
@dataclass
class Length(Criterion):
    """The text has ``min_words`` to ``max_words`` words; the soft score fades over half the bound."""

    min_words: int = 8
    max_words: int = 150

    def validate(self) -> None:
        if self.min_words < 0:
            raise ParamError("min_words", "must be 0 or more")
        if self.max_words < max(self.min_words, 1):
            raise ParamError("max_words", "must be at least min_words and at least 1")

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        tolerance = max(1.0, self.max_words / 2)
        outcomes = []
        for candidate in candidates:
            words = _words(candidate.text)
            passed = self.min_words <= words <= self.max_words
            reason = f"{words} words, outside {self.min_words}-{self.max_words}"
            score = _band_score(words, self.min_words, self.max_words, tolerance)
            outcomes.append(Outcome(passed, score, None if passed else reason))
        return outcomes


@register("feedback_length")
@dataclass
class FeedbackLength(Length):
    """Feedback stays short enough to read at a glance: 5 to 60 words by default."""

    kinds = ("feedback",)
    min_words: int = 5
    max_words: int = 60


@register("reading_level")
@dataclass
class ReadingLevel(Criterion):
    """Flesch–Kincaid grade level (:func:`flesch_kincaid_grade`) between ``min_grade`` and ``max_grade``.

    The soft score fades to 0 four grades outside the band.
    """

    min_grade: float | None = None
    max_grade: float | None = 8.0

    def validate(self) -> None:
        if self.min_grade is None and self.max_grade is None:
            raise ParamError("max_grade", "set min_grade, max_grade or both")
        if self.min_grade is not None and self.max_grade is not None and self.max_grade < self.min_grade:
            raise ParamError("max_grade", "must be at least min_grade")

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        outcomes = []
        for candidate in candidates:
            grade = flesch_kincaid_grade(candidate.text)
            low_ok = self.min_grade is None or grade >= self.min_grade
            high_ok = self.max_grade is None or grade <= self.max_grade
            passed = low_ok and high_ok
            reason = f"reading grade {grade:.1f} outside {self.min_grade}-{self.max_grade}"
            score = _band_score(grade, self.min_grade, self.max_grade, 4.0)
            outcomes.append(Outcome(passed, score, None if passed else reason))
        return outcomes


@register("required_terms")
@dataclass
class RequiredTerms(Criterion):
    """The text uses the terms (``match`` "all" or "any"); the soft score is the fraction present."""

    terms: list[str]
    match: str = "all"

    def validate(self) -> None:
        if not any(term.strip() for term in self.terms):
            raise ParamError("terms", "give at least one term")
        if self.match not in ("all", "any"):
            raise ParamError("match", 'must be "all" or "any"')

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        terms = [term.strip() for term in self.terms if term.strip()]
        patterns = [_terms_pattern([term]) for term in terms]
        outcomes = []
        for candidate in candidates:
            present = [
                term for term, pattern in zip(terms, patterns, strict=True) if pattern.search(candidate.text)
            ]
            passed = len(present) == len(terms) if self.match == "all" else bool(present)
            missing = ", ".join(term for term in terms if term not in present)
            outcomes.append(
                Outcome(passed, len(present) / len(terms), None if passed else f"missing: {missing}")
            )
        return outcomes


@register("banned_terms")
@dataclass
class BannedTerms(Criterion):
    """None of the terms appears anywhere a student will read."""

    terms: list[str]

    def validate(self) -> None:
        if not any(term.strip() for term in self.terms):
            raise ParamError("terms", "give at least one term")

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        pattern = _terms_pattern(self.terms)
        outcomes = []
        for candidate in candidates:
            found = sorted({match.casefold() for match in pattern.findall(_visible_text(candidate))})
            outcomes.append(Outcome.of(not found, f"banned term(s): {', '.join(found)}"))
        return outcomes


@lru_cache(maxsize=1)
def unsafe_terms() -> tuple[str, ...]:
    """The shipped list of words and phrases unsuitable for school pupils (one a line, # comments)."""
    lines = UNSAFE_TERMS_FILE.read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.startswith("#"))


@register("unsafe_content")
@dataclass
class UnsafeContent(Criterion):
    """No profanity, sexual, self-harm, drug or violent content from the shipped list (plus ``extra_terms``).

    ``allow`` removes list entries a school considers fine in its context.
    """

    extra_terms: list[str] = field(default_factory=list)
    allow: list[str] = field(default_factory=list)

    def evaluate(self, candidates: Sequence[Candidate], context: CriteriaContext) -> list[Outcome]:
        allowed = {term.casefold() for term in self.allow}
        terms = [term for term in (*unsafe_terms(), *self.extra_terms) if term.casefold() not in allowed]
        pattern = _terms_pattern(terms)
        outcomes = []
        for candidate in candidates:
            found = sorted({match.casefold() for match in pattern.findall(_visible_text(candidate))})
            outcomes.append(Outcome.of(not found, f"unsafe term(s): {', '.join(found)}"))
        return outcomes
