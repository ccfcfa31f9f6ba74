"""Per-student, per-skill mastery: a live update per record and a batch recompute.

Mastery of a skill is the model's P(correct) on a next attempt at that skill (the
"knowledge state" read-out of Deep Knowledge Tracing, Piech et al. 2015). The
live update costs one LSTM step plus one pass of the prediction head over all
skills; it follows exactly the windowing of batch prediction (the model's
``predict_window`` and ``predict_context``: when the window is full the state is
re-seeded from the last ``predict_context`` attempts), so the live value equals
the batch value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from edursft.studentmodel.artifacts import StudentModel
from edursft.studentmodel.data import (
    N_FEATURES,
    STATISTICS,
    SkillStatistics,
    StudentHistory,
    encode_skills,
    history_features,
    pair_statistics,
    skill_features,
    skill_lookup,
    skill_matrix,
)


@dataclass
class MasteryState:
    """What a live page keeps per student to update mastery in milliseconds."""

    n_attempts: int
    window_start: int
    hidden: torch.Tensor | None  # LSTM (h, c) stacked [2, 1, 1, H]; None before any attempt
    # The last predict_context attempts (all a re-seed reads): model skill rows, response,
    # features, text.
    recent: list[tuple]
    slots: dict[int, int]  # raw skill id -> row of ``stats``
    stats: SkillStatistics  # per slot; the model's skills first, in model.skill_ids order
    mastery: np.ndarray  # P(correct) on the next attempt at each model skill (model.skill_ids order)
    skill_ids: list[int] = field(default_factory=list)

    def mastery_of(self, skill_id: int) -> float:
        """Mastery of one skill (the mean over known skills for an unknown one)."""
        if skill_id in self.slots and self.slots[skill_id] < len(self.mastery):
            return float(self.mastery[self.slots[skill_id]])
        return float(self.mastery.mean())


def _empty_state(model: StudentModel) -> MasteryState:
    return MasteryState(
        n_attempts=0,
        window_start=0,
        hidden=None,
        recent=[],
        slots={skill: i for i, skill in enumerate(model.skill_ids)},
        stats=SkillStatistics.empty(len(model.skill_ids)),
        mastery=np.zeros(len(model.skill_ids), dtype=np.float32),
        skill_ids=list(model.skill_ids),
    )


def _slot_rows(state: MasteryState, skills: Sequence[int]) -> np.ndarray:
    """Rows of the statistics for these skills, adding rows for skills the model lacks."""
    new = [s for s in dict.fromkeys(skills) if s not in state.slots]
    if new:
        for skill in new:
            state.slots[skill] = len(state.stats.attempts) + new.index(skill)
        state.stats = state.stats.with_unseen(len(new))
    return np.asarray([state.slots[s] for s in skills], dtype=np.int64)


def _model_rows(model: StudentModel, skills: Sequence[int]) -> torch.Tensor:
    index = model.skill_index
    return torch.tensor([[index.get(s, -1) + 1 for s in skills]], dtype=torch.int64)


def _score(
    model: StudentModel,
    hidden_before: torch.Tensor,
    skills: torch.Tensor,
    vectors: torch.Tensor | None,
    features: torch.Tensor,
    previous: tuple[torch.Tensor, torch.Tensor],
) -> torch.Tensor:
    """P(correct) on N candidate items for B students: [B, H] states, [B, N, K] skill rows,
    [B, N, F] features, previous attempt's ([B, K] skill rows, [B] response)."""
    network = model.network
    n_items = skills.shape[1]
    previous_skills, previous_responses = previous
    logits = network.predict_logits(
        hidden_before.unsqueeze(1).expand(-1, n_items, -1),
        network.item_query(skills, vectors),
        features,
        skills,
        previous_skills.unsqueeze(1).expand(-1, n_items, -1),
        previous_responses.unsqueeze(1).expand(-1, n_items),
    )
    return torch.sigmoid(logits)


def _all_skill_mastery(
    model: StudentModel,
    hidden_before: torch.Tensor,
    features: np.ndarray,
    previous: tuple[torch.Tensor, torch.Tensor],
) -> torch.Tensor:
    """P(correct) for every model skill: [B, H] states, [B, S, F] features."""
    n_students, n_skills = features.shape[:2]
    skills = torch.arange(1, n_skills + 1).view(1, n_skills, 1).expand(n_students, n_skills, 1)
    return _score(model, hidden_before, skills, None, torch.from_numpy(features), previous)


def _hidden_before(model: StudentModel, state: MasteryState) -> torch.Tensor:
    if state.hidden is None:
        return torch.zeros(1, model.network.state_dim)
    return state.hidden[0, 0]


def _previous(state: MasteryState) -> tuple[torch.Tensor, torch.Tensor]:
    """The last attempt's skill rows [1, K] and response [1] (zeros before any attempt)."""
    if not state.recent:
        return torch.zeros(1, 1, dtype=torch.int64), torch.zeros(1, dtype=torch.int64)
    skills, response = state.recent[-1][:2]
    return skills, torch.tensor([response])


@torch.no_grad()
def _refresh_mastery(model: StudentModel, state: MasteryState) -> None:
    n = len(model.skill_ids)
    features = skill_features(state.stats.take(np.arange(n)), state.n_attempts)
    mastery = _all_skill_mastery(model, _hidden_before(model, state), features[None], _previous(state))
    state.mastery = mastery[0].numpy()


@torch.no_grad()
def _run_lstm(model: StudentModel, attempts: list, hidden: torch.Tensor | None) -> torch.Tensor:
    """Feed stored attempts (model skill rows, response, features, text) through the LSTM."""
    network = model.network
    # Items carry different numbers of skills; row 0 ("no skill") pads the narrower ones,
    # as in batch windows, and every read of skill rows ignores it.
    width = max(a[0].shape[1] for a in attempts)
    skills = torch.zeros(1, len(attempts), width, dtype=torch.int64)
    for position, attempt in enumerate(attempts):
        skills[0, position, : attempt[0].shape[1]] = attempt[0][0]
    responses = torch.tensor([[a[1] for a in attempts]], dtype=torch.int64)
    features = torch.from_numpy(np.stack([a[2] for a in attempts]))[None]
    vectors = None
    if any(a[3] is not None for a in attempts):
        dim = network.shape.text_dim
        vectors = torch.from_numpy(
            np.stack([np.zeros(dim, np.float32) if a[3] is None else a[3] for a in attempts])
        )[None]
    query = network.item_query(skills, vectors)
    state = None if hidden is None else (hidden[0], hidden[1])
    _, (h, c) = network.lstm(network.step_input(query, responses, features), state)
    return torch.stack([h, c])


def _skill_set(skills: Sequence[int]) -> list[int]:
    """An item's skills, each once, in their order (a skill listed twice is practised once)."""
    return list(dict.fromkeys(int(s) for s in skills))


def update_mastery(
    model: StudentModel,
    state: MasteryState,
    skills: Sequence[int],
    correct: bool | int,
    item_vector: np.ndarray | None = None,
) -> MasteryState:
    """Fold one attempt (an item with one or more skills) into the state, in place; returns it.

    Every skill of the item has its counts updated and the recurrent state reads
    the whole item, so all of them (and related skills) move.
    """
    skills = _skill_set(skills)
    rows = _slot_rows(state, skills)
    position = state.n_attempts
    features = skill_features(state.stats.take(rows), position).mean(axis=0)
    vector = None if item_vector is None else np.asarray(item_vector, dtype=np.float32)
    record = (_model_rows(model, skills), int(correct), features, vector)
    state.hidden = _run_lstm(model, [record], state.hidden)
    state.recent.append(record)
    del state.recent[: -model.predict_context]
    stats = state.stats
    stats.attempts[rows] += 1
    stats.correct[rows] += int(correct)
    stats.last_correct[rows] = int(correct)
    stats.last_position[rows] = position
    if correct:
        stats.correct_streak[rows] += 1
        stats.wrong_streak[rows] = 0
    else:
        stats.wrong_streak[rows] += 1
        stats.correct_streak[rows] = 0
    state.n_attempts += 1
    if state.n_attempts >= state.window_start + model.predict_window:
        # Same windows as batch prediction: the next window starts predict_window -
        # predict_context later and warms up on the last predict_context attempts.
        state.window_start += model.predict_window - model.predict_context
        state.hidden = _run_lstm(model, state.recent, None)
    _refresh_mastery(model, state)
    return state


def new_mastery_state(model: StudentModel) -> MasteryState:
    """The state of a student with no attempts yet (mastery from the model's priors)."""
    state = _empty_state(model)
    _refresh_mastery(model, state)
    return state


def mastery_state(model: StudentModel, history: StudentHistory) -> MasteryState:
    """A live state built from a stored history, as if each attempt had been folded in live.

    One pass instead of a replay (a web process rebuilds a student's state after a
    restart or a cache miss, before answering): the statistics of every skill come
    from the whole history at once, and the LSTM reads the attempts of the window
    that owns the next attempt, from a zero state, as ``update_mastery`` leaves it.
    """
    state = _empty_state(model)
    n = len(history)
    if not n:
        _refresh_mastery(model, state)
        return state
    item_skills = [_skill_set(skills) for skills in history.skills]
    raw = skill_matrix(item_skills)
    responses = np.asarray(history.responses, dtype=np.int64)
    rows, cols = np.nonzero(raw >= 0)
    met = raw[rows, cols]
    unknown = met[~np.isin(met, model.skill_ids)]
    _, first = np.unique(unknown, return_index=True)
    for skill in unknown[np.sort(first)]:
        state.slots[int(skill)] = len(state.slots)
    slot_skills = np.fromiter(state.slots, dtype=np.int64, count=len(state.slots))
    # Where every skill stands now: its statistics at a virtual attempt n.
    stats = pair_statistics(
        np.concatenate([rows, np.full(len(slot_skills), n)]),
        np.concatenate([met, slot_skills]),
        np.concatenate([responses[rows], np.zeros(len(slot_skills), np.int64)]),
    )
    state.stats = stats.take(np.arange(len(rows), len(rows) + len(slot_skills)))
    features = history_features(raw, responses)
    # The windows of ``update_mastery``: re-seeded every predict_window - predict_context
    # attempts once the first window is full.
    stride = model.predict_window - model.predict_context
    start = 0 if n < model.predict_window else ((n - model.predict_context) // stride) * stride
    vectors = history.item_vectors
    records = [
        (
            _model_rows(model, item_skills[t]),
            int(responses[t]),
            features[t],
            None if vectors is None else np.asarray(vectors[t], dtype=np.float32),
        )
        for t in range(start, n)
    ]
    state.hidden = _run_lstm(model, records, None)
    state.recent = records[-model.predict_context :]
    state.n_attempts, state.window_start = n, start
    _refresh_mastery(model, state)
    return state


@torch.no_grad()
def mastery_from_histories(model: StudentModel, histories: Sequence[StudentHistory]) -> np.ndarray:
    """Mastery [students, skills] (model.skill_ids order) after each whole history, batched.

    Each student's recurrent state comes from the window that owns their next
    attempt (all students' windows run through the LSTM together); the count
    features come from their whole history.
    """
    network = model.network
    n_skills = len(model.skill_ids)
    lookup = skill_lookup(model.skill_index)
    window, context = model.predict_window, model.predict_context
    stride = window - context
    width = max((skill_matrix(h.skills).shape[1] for h in histories if len(h)), default=1)
    span = min(max((len(h) for h in histories), default=1), window) or 1
    skills = torch.zeros(len(histories), span, width, dtype=torch.int64)
    responses = torch.zeros(len(histories), span, dtype=torch.int64)
    step_features = torch.zeros(len(histories), span, N_FEATURES)
    vectors = None
    if any(h.item_vectors is not None for h in histories):
        vectors = torch.zeros(len(histories), span, network.shape.text_dim)
    ends = np.zeros(len(histories), dtype=np.int64)
    features = np.zeros((len(histories), n_skills, N_FEATURES), dtype=np.float32)
    for row, history in enumerate(histories):
        n = len(history)
        if not n:
            features[row] = skill_features(SkillStatistics.empty(n_skills), 0)
            continue
        raw = skill_matrix(history.skills, width)
        answers = np.asarray(history.responses, dtype=np.int64)
        start = 0 if n < window else ((n - context) // stride) * stride
        ends[row] = n - start
        skills[row, : n - start] = torch.from_numpy(encode_skills(raw[start:], lookup))
        responses[row, : n - start] = torch.from_numpy(answers[start:])
        step_features[row, : n - start] = torch.from_numpy(history_features(raw, answers)[start:])
        if vectors is not None and history.item_vectors is not None:
            vectors[row, : n - start] = torch.from_numpy(np.asarray(history.item_vectors[start:], np.float32))
        # Statistics at a virtual attempt n on every model skill: where each skill stands now.
        rows, cols = np.nonzero(raw >= 0)
        virtual = np.asarray(model.skill_ids, dtype=np.int64)
        stats = pair_statistics(
            np.concatenate([rows, np.full(n_skills, n)]),
            np.concatenate([raw[rows, cols], virtual]),
            np.concatenate([answers[rows], np.zeros(n_skills, np.int64)]),
        )
        features[row] = skill_features(stats.take(np.arange(len(rows), len(rows) + n_skills)), n)
    query = network.item_query(skills, vectors)
    outputs, _ = network.lstm(network.step_input(query, responses, step_features))
    # The LSTM is causal, so padding after a student's last attempt does not touch it.
    students = torch.arange(len(histories))
    last = torch.from_numpy(np.maximum(ends - 1, 0))
    hidden = outputs[students, last]
    hidden[torch.from_numpy(ends == 0)] = 0.0
    # Padding rows are 0, so an empty history has no previous attempt.
    previous = (skills[students, last], responses[students, last])
    return _all_skill_mastery(model, hidden, features, previous).numpy()


@torch.no_grad()
def predict_items(
    model: StudentModel,
    state: MasteryState,
    item_skills: Sequence[Sequence[int]],
    item_vectors: np.ndarray | None = None,
) -> np.ndarray:
    """P(correct) on each candidate item as the student's next attempt.

    An item is described by its skill set and optionally its text embedding, so
    items nobody has attempted yet are scored like any other.
    """
    if not len(item_skills):
        return np.zeros(0, dtype=np.float32)
    raw = skill_matrix(item_skills)
    features = _item_features(state, raw)
    skills = torch.from_numpy(encode_skills(raw, skill_lookup(model.skill_index)))[None]
    vectors = None if item_vectors is None else torch.as_tensor(item_vectors, dtype=torch.float32)[None]
    features = torch.from_numpy(features)[None]
    probabilities = _score(model, _hidden_before(model, state), skills, vectors, features, _previous(state))
    return probabilities[0].numpy()


def _item_features(state: MasteryState, raw: np.ndarray) -> np.ndarray:
    """Count features [items, F] of candidate items (skill matrix ``raw``) at the next attempt."""
    present = raw >= 0
    # Skills the student never met (or padding) read as unseen.
    unseen = len(state.stats.attempts)
    rows = np.array([[state.slots.get(int(s), unseen) for s in row] for row in raw], dtype=np.int64)
    per_skill = skill_features(state.stats.with_unseen(1).take(rows), state.n_attempts)
    counts = np.maximum(present.sum(axis=1, keepdims=True), 1)
    return ((per_skill * present[..., None]).sum(axis=1) / counts).astype(np.float32)


@torch.no_grad()
def expected_mastery_gain(
    model: StudentModel,
    state: MasteryState,
    item_skills: Sequence[Sequence[int]],
    item_vectors: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """P(correct) on each item and the expected change of mean mastery if it is attempted.

    One-step lookahead: P(right) x gain if right + P(wrong) x gain if wrong, both
    outcomes of every item computed in one batch (the expectimax idea of the DKT
    curriculum experiments, Piech et al. 2015, section 6). The step that crosses a
    window boundary is scored without re-seeding the state (a policy heuristic).
    """
    success = predict_items(model, state, item_skills, item_vectors)
    n_items, n_skills = len(success), len(model.skill_ids)
    if not n_items:
        return success, np.zeros(0, dtype=np.float32)
    network = model.network
    raw = skill_matrix(item_skills)
    rows = torch.from_numpy(encode_skills(raw, skill_lookup(model.skill_index)))
    vectors = None if item_vectors is None else torch.as_tensor(item_vectors, dtype=torch.float32)
    query = network.item_query(rows, vectors).repeat(2, 1)
    outcomes = torch.cat([torch.zeros(n_items), torch.ones(n_items)]).long()
    features = torch.from_numpy(_item_features(state, raw)).repeat(2, 1)
    hidden = torch.zeros(2, 1, 2 * n_items, network.state_dim)
    if state.hidden is not None:
        hidden[:] = state.hidden
    _, (h, _) = network.lstm(
        network.step_input(query, outcomes, features).unsqueeze(1), (hidden[0], hidden[1])
    )
    # Every skill's statistics after each (item, outcome): the item's skills move.
    after = SkillStatistics(
        *(np.tile(getattr(state.stats, name)[:n_skills], (2 * n_items, 1)) for name in STATISTICS)
    )
    slots = rows.numpy() - 1
    case, column = np.nonzero(np.tile(slots, (2, 1)) >= 0)
    skill = np.tile(slots, (2, 1))[case, column]
    right = outcomes.numpy()[case].astype(np.float32)
    after.attempts[case, skill] += 1
    after.correct[case, skill] += right
    after.last_correct[case, skill] = right
    after.last_position[case, skill] = state.n_attempts
    after.correct_streak[case, skill] = np.where(right > 0, after.correct_streak[case, skill] + 1, 0)
    after.wrong_streak[case, skill] = np.where(right > 0, 0, after.wrong_streak[case, skill] + 1)
    mastery = _all_skill_mastery(
        model,
        h[0],
        skill_features(after, state.n_attempts + 1),
        (rows.repeat(2, 1), outcomes),
    ).numpy()
    gain = mastery.mean(axis=1) - state.mastery.mean()
    p = success.astype(np.float64)
    return success, (p * gain[n_items:] + (1 - p) * gain[:n_items]).astype(np.float32)
