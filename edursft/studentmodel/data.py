"""Student histories as model inputs: skill sets, count features and windows.

An attempt is a set of skill ids (an item may exercise several skills) and a 0/1
response. Histories of any length are cut into overlapping windows so the model
trains on fixed-size batches, while every prediction after the first window still
sees ``context`` earlier attempts inside its window and the whole history through
the count features.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from edursft.datasets.dkvmn import StudentSequence

# Features per (attempt, skill), averaged over the attempt's skills. They carry the
# whole history into windows that only see the last few hundred attempts, in the
# spirit of Performance Factors Analysis (Pavlik et al. 2009: success and failure
# counts per skill) plus recency and the current streak on the skill (ASSISTments
# skill builders end a skill after three correct answers in a row).
FEATURE_NAMES: tuple[str, ...] = (
    "log_attempts",
    "log_correct",
    "log_wrong",
    "last_correct",
    "seen_before",
    "log_gap",
    "repeats_previous",
    "log_correct_streak",
    "log_wrong_streak",
)
N_FEATURES = len(FEATURE_NAMES)


@dataclass(frozen=True)
class StudentHistory:
    """One student's attempts in order: each attempt's skill ids and its 0/1 response.

    ``item_vectors`` optionally holds the attempted items' text embeddings (one row
    per attempt, zero rows where unknown) so records on generated exercises teach
    the model how text relates to success.
    """

    skills: Sequence[Sequence[int]]
    responses: Sequence[int]
    item_vectors: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.responses)


def from_dkvmn(sequences: Sequence[StudentSequence]) -> list[StudentHistory]:
    """Single-skill DKVMN sequences as histories."""
    return [StudentHistory(skills=s.skills[:, None], responses=s.responses) for s in sequences]


def skill_matrix(skills: Sequence[Sequence[int]], width: int | None = None) -> np.ndarray:
    """Attempts x skills array of skill ids padded with -1."""
    if isinstance(skills, np.ndarray) and skills.ndim == 2:
        matrix = skills.astype(np.int64)
        if width is not None and matrix.shape[1] < width:
            pad = np.full((len(matrix), width - matrix.shape[1]), -1, dtype=np.int64)
            matrix = np.concatenate([matrix, pad], axis=1)
        return matrix
    width = width or max((len(s) for s in skills), default=1)
    matrix = np.full((len(skills), max(width, 1)), -1, dtype=np.int64)
    for row, attempt in enumerate(skills):
        matrix[row, : len(attempt)] = attempt
    return matrix


@dataclass
class SkillStatistics:
    """Running statistics of skills before some attempt; arrays of one shape."""

    attempts: np.ndarray
    correct: np.ndarray
    last_correct: np.ndarray
    last_position: np.ndarray  # -1: never attempted
    correct_streak: np.ndarray  # correct answers in a row, most recent last
    wrong_streak: np.ndarray

    @classmethod
    def empty(cls, n: int) -> SkillStatistics:
        zeros = np.zeros(n, dtype=np.float32)
        return cls(zeros, zeros.copy(), zeros.copy(), np.full(n, -1, np.int64), zeros.copy(), zeros.copy())

    def take(self, index: np.ndarray) -> SkillStatistics:
        return SkillStatistics(*(getattr(self, name)[index] for name in STATISTICS))

    def with_unseen(self, n: int) -> SkillStatistics:
        """These statistics followed by ``n`` never-attempted skills."""
        extra = SkillStatistics.empty(n)
        return SkillStatistics(
            *(np.concatenate([getattr(self, name), getattr(extra, name)]) for name in STATISTICS)
        )


STATISTICS = ("attempts", "correct", "last_correct", "last_position", "correct_streak", "wrong_streak")


def skill_features(stats: SkillStatistics, position: np.ndarray | int) -> np.ndarray:
    """The FEATURE_NAMES of skills at attempt ``position``, from their statistics (..., F)."""
    seen = stats.last_position >= 0
    gap = np.where(seen, position - stats.last_position, 0)
    return np.stack(
        [
            np.log1p(stats.attempts),
            np.log1p(stats.correct),
            np.log1p(stats.attempts - stats.correct),
            np.where(seen, stats.last_correct, 0.0),
            seen.astype(np.float32),
            np.log1p(gap),
            (gap == 1).astype(np.float32),
            np.log1p(stats.correct_streak),
            np.log1p(stats.wrong_streak),
        ],
        axis=-1,
    ).astype(np.float32)


def pair_statistics(rows: np.ndarray, skills: np.ndarray, responses: np.ndarray) -> SkillStatistics:
    """Statistics of each (attempt row, skill) pair from the pairs before it on that skill.

    ``rows`` are attempt positions (non-decreasing order not required), ``responses``
    the pair's response. Vectorised: sort pairs by (skill, row) and take running
    counts inside each skill's group.
    """
    order = np.lexsort((rows, skills))
    rows_s, skill_s = rows[order], skills[order]
    resp_s = responses[order].astype(np.float32)
    idx = np.arange(len(order))
    group_start = np.ones(len(order), dtype=bool)
    group_start[1:] = skill_s[1:] != skill_s[:-1]
    start_index = np.maximum.accumulate(np.where(group_start, idx, 0))
    attempts = (idx - start_index).astype(np.float32)
    correct_cum = np.cumsum(resp_s)
    correct = correct_cum - resp_s - (correct_cum[start_index] - resp_s[start_index])
    prev_row = np.where(group_start, -1, np.roll(rows_s, 1))
    prev_resp = np.where(group_start, 0.0, np.roll(resp_s, 1)).astype(np.float32)

    def streak(answer: float) -> np.ndarray:
        # Pairs before i that answered ``answer`` in a row: distance back to the last other answer.
        breaks = np.where(resp_s != answer, idx, -1)
        last_break = np.maximum.accumulate(np.maximum(breaks, start_index - 1))
        before = np.roll(last_break, 1)
        return np.where(group_start, 0, idx - 1 - before).astype(np.float32)

    sorted_stats = SkillStatistics(attempts, correct, prev_resp, prev_row, streak(1.0), streak(0.0))
    inverse = np.empty_like(order)
    inverse[order] = idx
    return sorted_stats.take(inverse)


def history_features(skills: np.ndarray, responses: np.ndarray) -> np.ndarray:
    """Causal features for every attempt (attempts x N_FEATURES, float32).

    Row t only uses attempts before t; an attempt on several skills gets the mean
    of its skills' features.
    """
    rows, cols = np.nonzero(skills >= 0)
    stats = pair_statistics(rows, skills[rows, cols], responses[rows])
    features = np.zeros((len(skills), N_FEATURES), dtype=np.float32)
    np.add.at(features, rows, skill_features(stats, rows))
    counts = np.maximum((skills >= 0).sum(axis=1, keepdims=True), 1)
    return (features / counts).astype(np.float32)


def skill_lookup(skill_index: dict[int, int]) -> np.ndarray:
    """Array mapping raw skill id -> embedding row (index + 1; 0 for unknown ids)."""
    lookup = np.zeros(max(skill_index, default=0) + 1, dtype=np.int64)
    for raw, idx in skill_index.items():
        lookup[raw] = idx + 1
    return lookup


def encode_skills(raw: np.ndarray, lookup: np.ndarray) -> np.ndarray:
    """Embedding rows for raw skill ids (-1 padding and unknown ids give row 0)."""
    known = (raw >= 0) & (raw < len(lookup))
    return np.where(known, lookup[np.clip(raw, 0, len(lookup) - 1)], 0)


@dataclass
class Windows:
    """Fixed-length windows ready for the model; index 0 in ``skills`` is padding."""

    skills: torch.Tensor  # [N, W, K] int64, skill index + 1 (0 = none)
    responses: torch.Tensor  # [N, W] int64
    features: torch.Tensor  # [N, W, F] float32
    loss_mask: torch.Tensor  # [N, W] bool: positions whose prediction this window owns
    lengths: np.ndarray  # [N] attempts actually present in each window
    item_vectors: torch.Tensor | None  # [N, W, D] float32
    student: np.ndarray  # [N] which history each window came from
    position: np.ndarray  # [N] first attempt index of the window in its history

    def __len__(self) -> int:
        return len(self.student)

    def batch(self, index: np.ndarray, span_multiple: int = 1) -> Windows:
        """The windows at ``index``, trimmed to the longest of them (saves padded steps).

        ``span_multiple`` rounds the trimmed length up: oneDNN caches kernels per
        input shape, and in bfloat16 a cache holding every length 1..window grew
        the training process by half a gigabyte.
        """
        numpy_index = np.asarray(index)
        index = torch.from_numpy(numpy_index)
        longest = int(self.lengths[numpy_index].max())
        span = min(-(-longest // span_multiple) * span_multiple, self.skills.shape[1])
        return Windows(
            skills=self.skills[index, :span],
            responses=self.responses[index, :span],
            features=self.features[index, :span],
            loss_mask=self.loss_mask[index, :span],
            lengths=self.lengths[numpy_index],
            item_vectors=None if self.item_vectors is None else self.item_vectors[index, :span],
            student=self.student[numpy_index],
            position=self.position[numpy_index],
        )


def window_starts(length: int, window: int, context: int) -> list[int]:
    """Start positions: window k starts at k * (window - context)."""
    stride = window - context
    return list(range(0, max(length - context, 1), stride))


def owned_range(start: int, length: int, window: int, context: int) -> tuple[int, int]:
    """Positions [lo, hi) whose predictions the window starting at ``start`` owns.

    The first window owns everything it covers; later ones skip their first
    ``context`` attempts, which only warm up the recurrent state.
    """
    lo = start if start == 0 else start + context
    return lo, min(start + window, length)


def make_windows(
    histories: Sequence[StudentHistory],
    skill_index: dict[int, int],
    window: int,
    context: int,
    text_dim: int,
) -> Windows:
    """Cut histories into overlapping windows; every attempt is owned by exactly one."""
    max_skills = max((skill_matrix(h.skills).shape[1] for h in histories), default=1)
    has_text = any(h.item_vectors is not None for h in histories)
    lookup = skill_lookup(skill_index)
    entries = []
    for student, history in enumerate(histories):
        raw = skill_matrix(history.skills, max_skills)
        responses = np.asarray(history.responses, dtype=np.int64)
        mapped = encode_skills(raw, lookup)
        features = history_features(raw, responses)
        for start in window_starts(len(responses), window, context):
            entries.append((student, start, mapped, responses, features, history.item_vectors))
    n = len(entries)
    skills = np.zeros((n, window, max_skills), dtype=np.int64)
    responses_out = np.zeros((n, window), dtype=np.int64)
    features_out = np.zeros((n, window, N_FEATURES), dtype=np.float32)
    mask = np.zeros((n, window), dtype=bool)
    vectors = np.zeros((n, window, text_dim), dtype=np.float32) if has_text else None
    students = np.zeros(n, dtype=np.int64)
    lengths = np.zeros(n, dtype=np.int64)
    positions = np.zeros(n, dtype=np.int64)
    for row, (student, start, mapped, responses, features, item_vectors) in enumerate(entries):
        end = min(start + window, len(responses))
        span = end - start
        skills[row, :span] = mapped[start:end]
        responses_out[row, :span] = responses[start:end]
        features_out[row, :span] = features[start:end]
        lo, hi = owned_range(start, len(responses), window, context)
        mask[row, lo - start : hi - start] = True
        if vectors is not None and item_vectors is not None:
            vectors[row, :span] = item_vectors[start:end]
        students[row] = student
        lengths[row] = span
        positions[row] = start
    return Windows(
        skills=torch.from_numpy(skills),
        responses=torch.from_numpy(responses_out),
        features=torch.from_numpy(features_out),
        loss_mask=torch.from_numpy(mask),
        lengths=lengths,
        item_vectors=None if vectors is None else torch.from_numpy(vectors),
        student=students,
        position=positions,
    )


def split_students(n: int, valid_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random train/validation split of student indices (validation from the TRAIN file)."""
    order = np.random.default_rng(seed).permutation(n)
    n_valid = min(max(1, int(round(n * valid_fraction))), n - 1) if n > 1 else 0
    return np.sort(order[n_valid:]), np.sort(order[:n_valid])
