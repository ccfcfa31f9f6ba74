"""Fine-tuning the generator on accepted samples."""

import pytest

from edursft.generation.corpus import seed_examples
from edursft.generation.finetune import FinetuneConfig, completion_loss, finetune, training_mix
from edursft.generation.pretrain import preset_config, pretrain
from edursft.generation.store import load_generator, read_metadata
from edursft.seed import expand_seed


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    return pretrain(preset_config("tiny", out=tmp_path_factory.mktemp("ft") / "base"))


@pytest.fixture(scope="module")
def accepted():
    return seed_examples(expand_seed(per_template=1, seed=7))[:24]


@pytest.fixture(scope="module")
def original():
    return seed_examples(expand_seed(per_template=1, seed=8))


def test_fine_tuning_lowers_the_loss_on_the_accepted_samples(base_dir, accepted, original, tmp_path):
    config = FinetuneConfig(epochs=2, learning_rate=3e-3, batch_size=8, patience=2)
    metrics = finetune(base_dir, accepted, tmp_path / "v1", config, original=original)
    assert metrics["loss_on_samples_after"] < metrics["loss_on_samples_before"]
    reloaded = completion_loss(load_generator(tmp_path / "v1"), accepted)
    assert reloaded == pytest.approx(metrics["loss_on_samples_after"], rel=1e-5)


def test_a_time_budget_that_binds_still_anneals_the_learning_rate(base_dir, accepted, original, tmp_path):
    # Fifty epochs cannot fit in 0.6 s: the schedule must have decayed to its floor by
    # the deadline rather than stop near the peak rate with the steps still to come.
    config = FinetuneConfig(epochs=50, learning_rate=1e-3, batch_size=4, max_minutes=0.01, patience=50)
    metrics = finetune(base_dir, accepted, tmp_path / "v1", config, original=original)
    assert metrics["stopped_by_budget"] and metrics["epochs_run"] < 50
    assert metrics["last_learning_rate"] == pytest.approx(1e-4, rel=0.05)


@pytest.mark.parametrize("minutes", [0, -1.0])
def test_a_budget_that_is_not_positive_is_refused_by_name(minutes):
    with pytest.raises(ValueError, match="max_minutes"):
        FinetuneConfig(max_minutes=minutes)


def test_a_fine_tuned_version_records_its_parent_and_metrics(base_dir, accepted, tmp_path):
    finetune(
        base_dir, accepted, tmp_path / "v1", FinetuneConfig(epochs=1), metadata={"criteria": "spec.json"}
    )
    metadata = read_metadata(tmp_path / "v1")
    assert metadata["parent"] == str(base_dir)
    assert metadata["criteria"] == "spec.json"
    assert metadata["metrics"]["samples"] == len(accepted)


def test_lora_fine_tuning_saves_a_merged_model_that_loads_plainly(base_dir, accepted, tmp_path):
    config = FinetuneConfig(epochs=1, lora=True, lora_r=4, learning_rate=1e-2)
    metrics = finetune(base_dir, accepted, tmp_path / "lora", config)
    assert not (tmp_path / "lora" / "adapter_config.json").exists()
    generator = load_generator(tmp_path / "lora")
    assert completion_loss(generator, accepted) == pytest.approx(metrics["loss_on_samples_after"], rel=1e-5)


def test_the_training_mix_adds_the_documented_share_of_original_documents(accepted, original):
    train, held = training_mix(accepted, original, FinetuneConfig(original_mix=0.5, held_out_fraction=0.2))
    assert len(held) == round(0.2 * len(accepted)) and all(e in accepted for e in held)
    assert sum(e in accepted for e in train) == len(accepted) - len(held)
    assert len(train) - (len(accepted) - len(held)) == round(0.5 * len(accepted))


def test_too_few_accepted_samples_hold_nothing_out(accepted, original):
    train, held = training_mix(accepted[:5], original, FinetuneConfig(min_held_out_samples=10))
    assert held == [] and sum(e in accepted for e in train) == 5


def test_fine_tuning_on_nothing_is_refused(base_dir, tmp_path):
    with pytest.raises(ValueError, match="no accepted samples"):
        finetune(base_dir, [], tmp_path / "none")
