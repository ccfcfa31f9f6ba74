"""Specification of the knowledge-tracing student model (tiny models on synthetic students)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from edursft.cli import main
from edursft.studentmodel.artifacts import StudentModel, load_student_model, save_student_model
from edursft.studentmodel.data import (
    STATISTICS,
    StudentHistory,
    encode_skills,
    history_features,
    make_windows,
    pair_statistics,
    skill_lookup,
    skill_matrix,
    split_students,
)
from edursft.studentmodel.evaluate import evaluate_histories, predict_histories, roc_auc
from edursft.studentmodel.mastery import (
    expected_mastery_gain,
    mastery_from_histories,
    mastery_state,
    new_mastery_state,
    predict_items,
    update_mastery,
)
from edursft.studentmodel.model import DKTMember, Dropout, EnsembleTracer, KnowledgeTracer, ModelShape
from edursft.studentmodel.train import (
    KTConfig,
    WarmStartConfig,
    train_histories,
    training_precision,
    warm_start,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")

TINY = {"embed_dim": 8, "hidden_dim": 16, "head_dim": 16, "window": 24, "context": 6, "batch_size": 16}


def synthetic_histories(n_students: int, skills: list[int], length: int, seed: int) -> list[StudentHistory]:
    """Students whose success on a skill grows with practice on it (learnable structure)."""
    rng = np.random.default_rng(seed)
    histories = []
    for _ in range(n_students):
        ability = rng.normal()
        practice = dict.fromkeys(skills, 0)
        attempt_skills, responses = [], []
        for _ in range(int(rng.integers(length // 2, length))):
            skill = int(rng.choice(skills))
            logit = ability + 0.6 * practice[skill] - 1.0 - 0.2 * (skill % 3)
            responses.append(int(rng.uniform() < 1 / (1 + np.exp(-logit))))
            practice[skill] += 1
            attempt_skills.append([skill])
        histories.append(StudentHistory(skills=attempt_skills, responses=responses))
    return histories


FIXTURE_HISTORIES = {"n_students": 80, "skills": [1, 2, 3, 4, 5], "length": 60, "seed": 0}


@pytest.fixture(scope="module")
def model():
    """Trained on windows of 24 (context 6), predicting with the default windows (200, 100)."""
    histories = synthetic_histories(**FIXTURE_HISTORIES)
    # Five epochs: three members each learn at the pace of one network, and three epochs
    # of these few windows leave some seeds barely above chance.
    return train_histories(histories, KTConfig(max_epochs=5, seed=0, **TINY))


def test_roc_auc_equals_scikit_learn_on_the_same_predictions():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, size=500)
    scores = np.round(rng.uniform(size=500) + 0.3 * labels, 2)  # rounding creates ties
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_model_learns_better_than_chance(model):
    assert model.metrics["valid_auc"] > 0.6


def test_changing_future_responses_leaves_past_predictions_unchanged(model):
    history = synthetic_histories(1, [1, 2, 3, 4, 5], 900, seed=7)[0]
    assert len(history) > 2 * model.predict_window  # several prediction windows, overlapping
    cut = len(history) // 2
    flipped = list(history.responses[:cut]) + [1 - r for r in history.responses[cut:]]
    permuted = list(history.responses[:cut]) + list(
        np.random.default_rng(3).permutation(history.responses[cut:])
    )
    before, after_flip, after_permutation = predict_histories(
        model,
        [
            history,
            StudentHistory(skills=history.skills, responses=flipped),
            StudentHistory(skills=history.skills, responses=permuted),
        ],
    )
    # Prediction t may use responses 0..t-1 only, so positions 0..cut are untouched.
    np.testing.assert_array_equal(before[: cut + 1], after_flip[: cut + 1])
    np.testing.assert_array_equal(before[: cut + 1], after_permutation[: cut + 1])
    assert not np.allclose(before[cut + 1 :], after_flip[cut + 1 :])


def test_features_of_an_attempt_ignore_its_own_response():
    skills = np.array([[1], [1], [2], [1]])
    features = history_features(skills, np.array([1, 0, 1, 1]))
    np.testing.assert_array_equal(features, history_features(skills, np.array([1, 0, 1, 0])))


def test_streaks_count_answers_in_a_row_on_the_same_skill():
    rows = np.arange(6)
    stats = pair_statistics(rows, np.array([1, 1, 2, 1, 1, 1]), np.array([0, 1, 0, 1, 1, 0]))
    np.testing.assert_array_equal(stats.correct_streak, [0, 0, 0, 1, 2, 3])
    np.testing.assert_array_equal(stats.wrong_streak, [0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(stats.attempts, [0, 1, 0, 2, 3, 4])


def test_live_mastery_updates_equal_the_batch_recompute(model):
    history = synthetic_histories(1, [1, 2, 3, 4, 5], 90, seed=11)[0]
    state = new_mastery_state(model)
    predicted_live = []
    for skills, response in zip(history.skills, history.responses, strict=True):
        predicted_live.append(float(predict_items(model, state, [skills])[0]))
        update_mastery(model, state, skills, response)
    batch = mastery_from_histories(model, [history, StudentHistory(skills=[], responses=[])])
    np.testing.assert_allclose(state.mastery, batch[0], atol=1e-5)
    np.testing.assert_allclose(new_mastery_state(model).mastery, batch[1], atol=1e-5)
    np.testing.assert_allclose(predicted_live, predict_histories(model, [history])[0], atol=1e-5)


def test_live_mastery_equals_the_batch_recompute_with_the_default_windows():
    defaults = KTConfig()
    tiny = {**TINY, "window": defaults.window, "context": defaults.context}
    trained = train_histories(synthetic_histories(30, [1, 2, 3], 60, seed=4), KTConfig(max_epochs=1, **tiny))
    assert (trained.predict_window, trained.predict_context) == (200, 100)
    history = synthetic_histories(1, [1, 2, 3], 1000, seed=12)[0]
    # The live state re-seeds at attempts 200, 300, 400, ...: at least three times.
    assert len(history) > defaults.predict_window + 2 * (defaults.predict_window - defaults.predict_context)
    state = new_mastery_state(trained)
    predicted_live = []
    for skills, response in zip(history.skills, history.responses, strict=True):
        predicted_live.append(float(predict_items(trained, state, [skills])[0]))
        update_mastery(trained, state, skills, response)
    np.testing.assert_allclose(state.mastery, mastery_from_histories(trained, [history])[0], atol=1e-5)
    np.testing.assert_allclose(predicted_live, predict_histories(trained, [history])[0], atol=1e-5)


def test_an_attempt_on_a_two_skill_item_updates_both_skills(model):
    state = mastery_state(model, synthetic_histories(1, [1, 2, 3, 4, 5], 20, seed=5)[0])
    before = state.mastery.copy()
    attempts_before = state.stats.attempts.copy()
    update_mastery(model, state, [2, 4], 1)
    rows = [model.skill_index[2], model.skill_index[4]]
    np.testing.assert_array_equal(state.stats.attempts[rows], attempts_before[rows] + 1)
    assert (state.mastery[rows] != before[rows]).all()


def test_saved_model_predicts_exactly_as_before(model, tmp_path):
    history = synthetic_histories(1, [1, 2, 3, 4, 5], 50, seed=2)
    path = save_student_model(model, tmp_path / "kt")
    loaded = load_student_model(path)
    assert (loaded.predict_window, loaded.predict_context) == (model.predict_window, model.predict_context)
    np.testing.assert_array_equal(predict_histories(model, history)[0], predict_histories(loaded, history)[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kt"]
    assert {"weights.pt", "model.json", "config.json", "metrics.json"} <= {p.name for p in path.iterdir()}


def test_warm_start_learns_new_skills_and_text_bearing_items(model, tmp_path):
    save_student_model(model, tmp_path / "v1")
    rng = np.random.default_rng(4)
    new = synthetic_histories(40, [4, 5, 6, 7], 40, seed=9)
    with_text = [
        StudentHistory(
            skills=[[s[0], 7] if s[0] == 6 else s for s in h.skills],
            responses=h.responses,
            item_vectors=rng.normal(size=(len(h), 384)).astype(np.float32),
        )
        for h in new
    ]
    metrics = warm_start(tmp_path / "v1", with_text, tmp_path / "v2", WarmStartConfig(max_epochs=2))
    tuned = load_student_model(tmp_path / "v2")
    assert tuned.skill_ids == [1, 2, 3, 4, 5, 6, 7]
    assert metrics["valid_auc"] > 0.5
    assert tuned.network.text_projection.weight.abs().sum() > 0
    state = new_mastery_state(tuned)
    unseen_item = predict_items(tuned, state, [[6, 7]], rng.normal(size=(1, 384)).astype(np.float32))
    assert 0.0 < unseen_item[0] < 1.0
    assert len(state.mastery) == 7


def test_kt_train_command_prints_test_metrics_as_json(tmp_path, capsys):
    def write(path, histories):
        lines = []
        for h in histories:
            lines += [str(len(h)), ",".join(str(s[0]) for s in h.skills), ",".join(map(str, h.responses))]
        path.write_text("\n".join(lines) + "\n")

    write(tmp_path / "train.csv", synthetic_histories(40, [1, 2, 3], 30, seed=1))
    write(tmp_path / "test.csv", synthetic_histories(20, [1, 2, 3], 30, seed=2))
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in TINY.items()]
    code = main(
        ["kt", "train", "--train", str(tmp_path / "train.csv"), "--test", str(tmp_path / "test.csv")]
        + ["--out", str(tmp_path / "model"), "--max-epochs", "1", "--json", *flags]
    )
    result = json.loads(capsys.readouterr().out)
    assert code == 0
    assert {"test_auc", "test_acc", "train_s", "peak_mem_mb"} <= result.keys()
    assert json.loads((tmp_path / "model" / "metrics.json").read_text())["test_auc"] == result["test_auc"]
    assert json.loads((tmp_path / "model" / "config.json").read_text())["seed"] == 0


def test_training_is_repeatable_with_the_same_seed():
    histories = synthetic_histories(20, [1, 2], 30, seed=3)
    config = KTConfig(max_epochs=1, seed=5, **TINY)
    first, second = train_histories(histories, config), train_histories(histories, config)
    for a, b in zip(first.network.parameters(), second.network.parameters(), strict=True):
        assert torch.equal(a, b)


def test_a_refit_learns_from_the_validation_students_too():
    histories = synthetic_histories(30, [1, 2, 3], 30, seed=4)
    # Skill 9 only in the validation part: only the refit on every student can learn it.
    for i in split_students(len(histories), KTConfig.valid_fraction, 0)[1]:
        skills = [[9] if t % 2 else s for t, s in enumerate(histories[i].skills)]
        histories[i] = StudentHistory(skills=skills, responses=histories[i].responses)
    single = {"max_epochs": 2, "members": 1, "dkt_members": 0, **TINY}
    selected = train_histories(histories, KTConfig(**single))
    refitted = train_histories(histories, KTConfig(refit=True, **single))
    row = refitted.skill_index[9] + 1
    assert selected.network.skill_difficulty.weight[row].item() == 0.0
    assert refitted.network.skill_difficulty.weight[row].item() != 0.0
    assert refitted.metrics["refit_epochs"] == refitted.metrics["best_epoch"]
    assert "refit_epochs" not in selected.metrics


def test_expected_gain_weighs_the_two_real_updates_by_predicted_success(model):
    state = mastery_state(model, synthetic_histories(1, [1, 2, 3, 4, 5], 10, seed=6)[0])
    items = [[2], [3, 5]]
    success, expected = expected_mastery_gain(model, state, items)
    for item, p, gain in zip(items, success, expected, strict=True):
        after = {
            answer: update_mastery(model, copy.deepcopy(state), item, answer).mastery.mean()
            for answer in (0, 1)
        }
        real = p * after[1] + (1 - p) * after[0] - state.mastery.mean()
        assert gain == pytest.approx(real, abs=1e-5)


def test_an_ensemble_predicts_the_mean_logit_of_its_members_of_both_kinds(model):
    assert isinstance(model.network, EnsembleTracer)
    kinds = [type(member) for member in model.network.members]
    assert kinds == [KnowledgeTracer] * KTConfig().members + [DKTMember] * KTConfig().dkt_members
    history = synthetic_histories(1, [1, 2, 3, 4, 5], 60, seed=8)
    members = [replace(model, network=member) for member in model.network.members]
    logits = [torch.logit(torch.from_numpy(predict_histories(m, history)[0])) for m in members]
    expected = torch.sigmoid(torch.stack(logits).double().mean(0)).numpy()
    np.testing.assert_allclose(predict_histories(model, history)[0], expected, atol=1e-5)


def test_a_single_network_trains_saves_and_updates_live_as_before(tmp_path):
    histories = synthetic_histories(30, [1, 2, 3], 40, seed=4)
    single = train_histories(histories, KTConfig(max_epochs=1, members=1, dkt_members=0, **TINY))
    assert type(single.network) is KnowledgeTracer
    loaded = load_student_model(save_student_model(single, tmp_path / "kt"))
    assert type(loaded.network) is KnowledgeTracer
    state = mastery_state(loaded, histories[0])
    np.testing.assert_allclose(state.mastery, mastery_from_histories(loaded, [histories[0]])[0], atol=1e-5)


def test_dropout_zeroes_about_p_keeps_the_mean_and_is_off_in_eval():
    dropout = Dropout(0.3)
    x = torch.ones(200_000)
    dropped = dropout(x)
    assert (dropped == 0).float().mean().item() == pytest.approx(0.3, abs=0.01)
    assert dropped.mean().item() == pytest.approx(1.0, abs=0.02)
    dropout.eval()
    assert torch.equal(dropout(x), x)


def test_bfloat16_training_keeps_float32_weights_and_predictions():
    histories = synthetic_histories(30, [1, 2, 3], 40, seed=4)
    trained = train_histories(
        histories, KTConfig(max_epochs=1, members=1, dkt_members=0, bfloat16=True, **TINY)
    )
    assert all(p.dtype == torch.float32 for p in trained.network.parameters())
    assert predict_histories(trained, histories[:1])[0].dtype == np.float32
    assert not torch.is_autocast_enabled("cpu")
    with training_precision(False):
        assert not torch.is_autocast_enabled("cpu")


def test_batches_round_their_length_up_without_owning_the_padding():
    histories = synthetic_histories(6, [1, 2], 30, seed=2)
    windows = make_windows(histories, {1: 0, 2: 1}, window=24, context=6, text_dim=384)
    index = np.nonzero(windows.lengths < 20)[0]  # windows shorter than the window size
    longest = int(windows.lengths[index].max())
    assert windows.batch(index).skills.shape[1] == longest
    rounded = windows.batch(index, span_multiple=7)
    assert rounded.skills.shape[1] == -(-longest // 7) * 7 > longest
    assert rounded.loss_mask.sum() == windows.batch(index).loss_mask.sum()
    assert windows.batch(index, span_multiple=1000).skills.shape[1] == 24


def owned_window_logits(
    model: StudentModel, history: StudentHistory, window: int, context: int
) -> np.ndarray:
    """Each attempt's logit from the window that owns it, computed one owning window at a time:
    attempts before ``window`` from the window at 0, attempt t after that from the window
    starting at the last multiple of ``window - context`` at least ``context`` before t."""
    raw = skill_matrix(history.skills)
    responses = np.asarray(history.responses, dtype=np.int64)
    skills = torch.from_numpy(encode_skills(raw, skill_lookup(model.skill_index)))
    features = torch.from_numpy(history_features(raw, responses)).float()
    stride = window - context
    owner = [0 if t < window else (t - context) // stride * stride for t in range(len(history))]
    logits = np.zeros(len(history), dtype=np.float32)
    with torch.no_grad():
        for start in sorted(set(owner)):
            span = slice(start, start + window)
            window_logits = model.network(
                skills[span][None], torch.from_numpy(responses[span])[None], features[span][None]
            )[0].numpy()
            owned = [t for t in range(len(history)) if owner[t] == start]
            logits[owned] = window_logits[np.asarray(owned) - start]
    return logits


@pytest.mark.parametrize("windows", ["training", "prediction"])
def test_every_prediction_reads_the_window_that_owns_it(model, windows):
    window, context = (
        (model.window, model.context)
        if windows == "training"
        else (model.predict_window, model.predict_context)
    )
    # Predicting with the training windows is the scheme used before prediction windows existed.
    predicting = replace(model, predict_window=window, predict_context=context)
    history = synthetic_histories(1, [1, 2, 3, 4, 5], 900, seed=13)[0]
    assert len(history) > 2 * window
    expected = torch.sigmoid(torch.from_numpy(owned_window_logits(model, history, window, context))).numpy()
    np.testing.assert_allclose(predict_histories(predicting, [history])[0], expected, atol=1e-5)


def test_a_model_saved_without_prediction_windows_predicts_with_its_training_windows(model, tmp_path):
    path = save_student_model(model, tmp_path / "kt")
    description = json.loads((path / "model.json").read_text())
    del description["predict_window"], description["predict_context"]
    (path / "model.json").write_text(json.dumps(description))
    legacy = load_student_model(path)
    assert (legacy.predict_window, legacy.predict_context) == (model.window, model.context)
    history = synthetic_histories(1, [1, 2, 3, 4, 5], 120, seed=14)
    old_scheme = replace(model, predict_window=model.window, predict_context=model.context)
    np.testing.assert_array_equal(
        predict_histories(legacy, history)[0], predict_histories(old_scheme, history)[0]
    )
    assert not np.allclose(predict_histories(legacy, history)[0], predict_histories(model, history)[0])
    state = mastery_state(legacy, history[0])
    np.testing.assert_allclose(state.mastery, mastery_from_histories(old_scheme, history)[0], atol=1e-5)


def test_validation_during_training_scores_with_the_prediction_windows(model):
    histories = synthetic_histories(**FIXTURE_HISTORIES)
    valid = [histories[i] for i in split_students(len(histories), KTConfig.valid_fraction, 0)[1]]
    with_training_windows = replace(model, predict_window=model.window, predict_context=model.context)
    assert evaluate_histories(with_training_windows, valid)["auc"] != evaluate_histories(model, valid)["auc"]
    assert model.metrics["valid_auc"] == pytest.approx(evaluate_histories(model, valid)["auc"], abs=1e-9)


def test_prediction_context_must_be_shorter_than_the_prediction_window():
    with pytest.raises(ValueError, match="predict_context"):
        KTConfig(predict_window=50, predict_context=50)


def mixed_item_history(n_attempts: int, seed: int) -> StudentHistory:
    """Attempts on one- and two-skill items, some on a skill the model has never seen (99)."""
    rng = np.random.default_rng(seed)
    skills = []
    for t in range(n_attempts):
        first = int(rng.integers(1, 4))
        if t % 3 == 0:
            skills.append([first, int(rng.choice([4, 5, 99]))])
        else:
            skills.append([first])
    return StudentHistory(skills=skills, responses=[int(r) for r in rng.integers(0, 2, n_attempts)])


@pytest.fixture(scope="module")
def quick_model():
    """One epoch on five skills, predicting with the default windows (200, 100)."""
    return train_histories(
        synthetic_histories(30, [1, 2, 3, 4, 5], 60, seed=4), KTConfig(max_epochs=1, **TINY)
    )


def test_the_live_update_re_seeds_windows_mixing_one_and_two_skill_items(quick_model):
    history = mixed_item_history(450, seed=3)
    state = new_mastery_state(quick_model)
    predicted_live = []
    for skills, response in zip(history.skills, history.responses, strict=True):
        predicted_live.append(float(predict_items(quick_model, state, [skills])[0]))
        update_mastery(quick_model, state, skills, response)
    # Three re-seeds (attempts 200, 300 and 400), each over items of one and two skills.
    assert state.window_start == 300
    np.testing.assert_allclose(predicted_live, predict_histories(quick_model, [history])[0], atol=1e-5)


@pytest.mark.parametrize("n_attempts", [0, 1, 37, 199, 200, 201, 299, 300, 455])
def test_a_state_built_from_a_history_equals_folding_in_each_attempt_live(quick_model, n_attempts):
    history = mixed_item_history(n_attempts, seed=n_attempts)
    stepped = new_mastery_state(quick_model)
    for skills, response in zip(history.skills, history.responses, strict=True):
        update_mastery(quick_model, stepped, skills, response)
    built = mastery_state(quick_model, history)
    assert (built.n_attempts, built.window_start, built.slots) == (
        stepped.n_attempts,
        stepped.window_start,
        stepped.slots,
    )
    for name in STATISTICS:
        np.testing.assert_array_equal(getattr(built.stats, name), getattr(stepped.stats, name), err_msg=name)
    np.testing.assert_allclose(built.mastery, stepped.mastery, atol=1e-5)
    assert len(built.recent) == len(stepped.recent)
    # Both go on alike: the next attempts, across the next re-seed, give the same mastery.
    for skills, response in zip(mixed_item_history(120, seed=1).skills, [1, 0] * 60, strict=True):
        update_mastery(quick_model, built, skills, response)
        update_mastery(quick_model, stepped, skills, response)
        np.testing.assert_allclose(built.mastery, stepped.mastery, atol=1e-5)


def test_an_item_listing_a_skill_twice_practises_it_once(model):
    history = synthetic_histories(1, [1, 2, 3, 4, 5], 20, seed=5)[0]
    once, twice = mastery_state(model, history), mastery_state(model, history)
    update_mastery(model, once, [2, 4], 1)
    update_mastery(model, twice, [2, 4, 2], 1)
    np.testing.assert_array_equal(twice.stats.attempts, once.stats.attempts)
    np.testing.assert_allclose(twice.mastery, once.mastery, atol=1e-6)


def test_a_model_saved_before_dkt_members_existed_loads_as_it_was(tmp_path):
    histories = synthetic_histories(20, [1, 2, 3], 30, seed=4)
    trained = train_histories(histories, KTConfig(max_epochs=1, members=2, dkt_members=0, **TINY))
    path = save_student_model(trained, tmp_path / "kt")
    description = json.loads((path / "model.json").read_text())
    del description["shape"]["dkt_members"]
    (path / "model.json").write_text(json.dumps(description))
    loaded = load_student_model(path)
    assert [type(m) for m in loaded.network.members] == [KnowledgeTracer, KnowledgeTracer]
    np.testing.assert_allclose(
        predict_histories(loaded, histories[:2])[0], predict_histories(trained, histories[:2])[0], atol=1e-6
    )


def test_a_dkt_member_reads_an_items_skills_and_not_its_text():
    member = DKTMember(ModelShape(n_skills=4, hidden_dim=8, text_dim=6))
    skills = torch.tensor([[[1, 0], [2, 3], [4, 0]]])
    responses = torch.tensor([[1, 0, 1]])
    features = torch.zeros(1, 3, 9)
    text = torch.randn(1, 3, 6)
    logits = member(skills, responses, features)
    torch.testing.assert_close(member(skills, responses, features, text), logits)
    # The two-skill item reads the mean of its skills' rows.
    query = member.item_query(skills, None)
    rows = torch.cat([member.right_embedding.weight, member.wrong_embedding.weight], dim=-1)
    torch.testing.assert_close(query[0, 1], (rows[2] + rows[3]) / 2)
