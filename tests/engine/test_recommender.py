"""Specification of the recommendation policy and its offline evaluation."""

from __future__ import annotations

import json

import numpy as np
import pytest

from edursft.cli import main
from edursft.recommender.policy import Item, PolicyConfig, rank_items, recommend
from edursft.recommender.simulator import SimulationConfig, evaluate_strategies
from edursft.studentmodel.artifacts import save_student_model
from edursft.studentmodel.data import StudentHistory
from edursft.studentmodel.mastery import mastery_state
from edursft.studentmodel.train import KTConfig, train_histories

pytestmark = pytest.mark.usefixtures("one_torch_thread")

NAMES = {1: "Equivalent Fractions", 2: "Addition", 3: "Multiplication", 4: "Division"}


def practice_histories(n_students: int, seed: int) -> list[StudentHistory]:
    """Students who get better at a skill the more they practise it."""
    rng = np.random.default_rng(seed)
    histories = []
    for _ in range(n_students):
        practice = dict.fromkeys(NAMES, 0)
        skills, responses = [], []
        for _ in range(40):
            skill = int(rng.integers(1, 5))
            logit = -1.5 + 0.5 * practice[skill] - 0.3 * skill
            responses.append(int(rng.uniform() < 1 / (1 + np.exp(-logit))))
            practice[skill] += 1
            skills.append([skill])
        histories.append(StudentHistory(skills=skills, responses=responses))
    return histories


@pytest.fixture(scope="module")
def model():
    config = KTConfig(
        embed_dim=8, hidden_dim=16, head_dim=16, window=20, context=5, batch_size=16, max_epochs=3
    )
    return train_histories(practice_histories(60, seed=0), config)


def test_reason_states_mastery_and_predicted_success():
    ranked = rank_items([Item("q1", (1,))], {1: 0.42}, {"q1": 0.7}, skill_names=NAMES)
    assert ranked[0].reason == (
        "your mastery of Equivalent Fractions is 0.42; this item is at 70% predicted success"
    )


def test_mastered_skills_are_not_recommended():
    items = [Item("easy", (1,)), Item("open", (2,))]
    ranked = rank_items(items, {1: 0.97, 2: 0.5}, {"easy": 0.7, "open": 0.7})
    assert [r.item_id for r in ranked] == ["open"]


def test_items_in_the_success_band_come_before_too_hard_or_too_easy_ones():
    items = [Item("hard", (1,)), Item("band", (2,)), Item("trivial", (3,))]
    mastery = {1: 0.5, 2: 0.5, 3: 0.5}
    ranked = rank_items(items, mastery, {"hard": 0.2, "band": 0.7, "trivial": 0.99})
    assert ranked[0].item_id == "band"


def test_prerequisites_come_first():
    items = [Item("division", (4,)), Item("multiplication", (3,))]
    mastery = {3: 0.6, 4: 0.3}
    ranked = rank_items(items, mastery, {"division": 0.7, "multiplication": 0.7}, prerequisites={4: [3]})
    assert [r.item_id for r in ranked] == ["multiplication", "division"]
    assert "practise skill 3 first" in ranked[1].reason


def test_every_skills_best_item_comes_before_any_second_item():
    items = [Item(f"a{i}", (1,)) for i in range(3)] + [Item("b", (2,)), Item("c", (3,))]
    success = {"a0": 0.7, "a1": 0.7, "a2": 0.7, "b": 0.5, "c": 0.45}
    ranked = rank_items(items, {1: 0.2, 2: 0.4, 3: 0.4}, success, PolicyConfig(max_per_skill=2))
    assert [r.skill_id for r in ranked] == [1, 2, 3, 1]


def test_resources_are_ranked_on_mastery_and_say_so():
    ranked = rank_items([Item("video", (1,), kind="resource")], {1: 0.3}, {}, skill_names=NAMES)
    assert ranked[0].predicted_success is None
    assert ranked[0].reason.endswith("this resource explains it")


def test_recommend_scores_new_items_from_skills_and_text(model):
    state = mastery_state(model, practice_histories(1, seed=5)[0])
    items = [
        Item("generated", (1, 2), embedding=np.full(384, 0.05, dtype=np.float32)),
        Item("plain", (3,)),
    ]
    config = PolicyConfig(mastery_threshold=1.0, band_low=0.0, band_high=1.0)
    ranked = recommend(model, state, items, config)
    assert {r.item_id for r in ranked} == {"generated", "plain"}
    assert all(0 < r.predicted_success < 1 for r in ranked)


def test_simulation_gives_every_strategy_the_same_students(model):
    histories = practice_histories(10, seed=3)
    config = SimulationConfig(n_students=3, prior_attempts=5, steps=5)
    first = evaluate_strategies(model, model, histories, config)
    second = evaluate_strategies(model, model, histories, config)
    for name in ("policy", "random", "fixed"):
        assert first[f"{name}_gain"] == second[f"{name}_gain"]
        assert 0.0 <= first[f"{name}_reached_mastery_share"] <= 1.0
    assert first["n_students"] == 3


def test_recommend_evaluate_command_prints_the_three_gains(model, tmp_path, capsys):
    save_student_model(model, tmp_path / "kt")
    lines = []
    for h in practice_histories(6, seed=8):
        lines += [str(len(h)), ",".join(str(s[0]) for s in h.skills), ",".join(map(str, h.responses))]
    (tmp_path / "students.csv").write_text("\n".join(lines) + "\n")
    code = main(
        [
            "recommend",
            "evaluate",
            "--model",
            str(tmp_path / "kt"),
            "--histories",
            str(tmp_path / "students.csv"),
        ]
        + ["--students", "3", "--steps", "4", "--json"]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"policy_gain", "random_gain", "fixed_gain"} <= result.keys()
