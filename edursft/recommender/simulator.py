"""Offline evaluation of recommendation strategies on simulated students.

A simulated student starts from the first attempts of a real history and then
answers each offered item correctly with the probability a trained model gives
(the "model as student" simulator used to compare DKT-based policies, Piech et
al. 2015, section 6). Every strategy meets the same students and the same random
draws (common random numbers), so differences come from the choices alone.
Gains are measured with the simulator's model; the policy may use another model
(e.g. one trained with another seed) so it is not graded by its own beliefs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from edursft.recommender.policy import Item, PolicyConfig, recommend
from edursft.studentmodel.artifacts import StudentModel
from edursft.studentmodel.data import StudentHistory
from edursft.studentmodel.mastery import (
    MasteryState,
    mastery_state,
    new_mastery_state,
    predict_items,
    update_mastery,
)

Chooser = Callable[[MasteryState, int, np.random.Generator], Item]


@dataclass
class SimulationConfig:
    """How many students, how much real history seeds them, how many steps."""

    n_students: int = 100
    prior_attempts: int = 20
    steps: int = 30
    seed: int = 0
    policy: PolicyConfig = field(default_factory=PolicyConfig)


def skill_bank(model: StudentModel) -> list[Item]:
    """One exercise per skill the model knows: the bank the strategies choose from."""
    return [Item(item_id=f"skill-{s}", skills=(s,)) for s in model.skill_ids]


def curriculum_order(model: StudentModel, items: Sequence[Item]) -> list[Item]:
    """Fixed order: easiest first, as judged for a student with no attempts yet."""
    success = predict_items(model, new_mastery_state(model), [i.skills for i in items])
    return [items[i] for i in np.argsort(-success, kind="stable")]


def run_strategy(
    truth: StudentModel,
    believed: StudentModel,
    histories: Sequence[StudentHistory],
    items: Sequence[Item],
    choose: Callable[[MasteryState, int, np.random.Generator], Item],
    config: SimulationConfig,
) -> dict:
    """Simulate each student for ``config.steps`` items chosen by ``choose``."""
    threshold = config.policy.mastery_threshold
    skills = sorted({s for item in items for s in item.skills} & set(truth.skill_ids))
    columns = [truth.skill_index[s] for s in skills]
    gains, reached, correct_share = [], [], []
    for student, history in enumerate(histories):
        prefix = StudentHistory(
            skills=history.skills[: config.prior_attempts],
            responses=history.responses[: config.prior_attempts],
        )
        true_state = mastery_state(truth, prefix)
        belief = true_state if believed is truth else mastery_state(believed, prefix)
        start = true_state.mastery[columns].copy()
        draws = np.random.default_rng([config.seed, student]).uniform(size=config.steps)
        rng = np.random.default_rng([config.seed, student, 1])
        correct = 0
        for step in range(config.steps):
            item = choose(belief, step, rng)
            p = float(predict_items(truth, true_state, [item.skills])[0])
            answer = int(draws[step] < p)
            correct += answer
            update_mastery(truth, true_state, item.skills, answer)
            if belief is not true_state:
                update_mastery(believed, belief, item.skills, answer)
        end = true_state.mastery[columns]
        gains.append(float((end - start).mean()))
        reached.append(bool(((start < threshold) & (end >= threshold)).any()))
        correct_share.append(correct / max(config.steps, 1))
    return {
        "gain": float(np.mean(gains)),
        "reached_mastery_share": float(np.mean(reached)),
        "correct_share": float(np.mean(correct_share)),
    }


def evaluate_strategies(
    truth: StudentModel,
    believed: StudentModel,
    histories: Sequence[StudentHistory],
    config: SimulationConfig | None = None,
    items: Sequence[Item] | None = None,
) -> dict:
    """Mean mastery gain and share reaching mastery under the policy, random items, fixed order."""
    config = config or SimulationConfig()
    items = list(items) if items is not None else skill_bank(believed)
    eligible = [h for h in histories if len(h) > config.prior_attempts]
    chosen = [
        eligible[i]
        for i in np.sort(np.random.default_rng(config.seed).permutation(len(eligible))[: config.n_students])
    ]
    order = curriculum_order(believed, items)

    def policy(state: MasteryState, step: int, rng: np.random.Generator) -> Item:
        ranked = recommend(believed, state, items, config.policy)
        if not ranked:  # everything mastered: keep practising anything
            return items[int(rng.integers(len(items)))]
        by_id = {i.item_id: i for i in items}
        return by_id[ranked[0].item_id]

    def random_item(state: MasteryState, step: int, rng: np.random.Generator) -> Item:
        return items[int(rng.integers(len(items)))]

    def fixed(state: MasteryState, step: int, rng: np.random.Generator) -> Item:
        # A skill-builder curriculum: three items of a skill, then the next skill.
        return order[(step // 3) % len(order)]

    results: dict = {"n_students": len(chosen), "steps": config.steps, "config": asdict(config)}
    for name, choose in (("policy", policy), ("random", random_item), ("fixed", fixed)):
        started = time.perf_counter()
        outcome = run_strategy(truth, believed, chosen, items, choose, config)
        results[f"{name}_gain"] = outcome["gain"]
        results[f"{name}_reached_mastery_share"] = outcome["reached_mastery_share"]
        results[f"{name}_correct_share"] = outcome["correct_share"]
        results[f"{name}_s"] = time.perf_counter() - started
    return results
