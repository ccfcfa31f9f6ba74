"""The learning-rate schedule shared by the engine's training loops."""

import pytest

from edursft.schedule import budget_progress, warmup_cosine


def test_the_learning_rate_warms_up_then_decays_to_a_tenth():
    factors = [warmup_cosine(step, 4, max(0, step - 4) / 10) for step in range(15)]
    assert factors[:4] == [0.25, 0.5, 0.75, 1.0]  # no full-size first step for a fresh AdamW
    assert factors[4] == 1.0
    assert all(a >= b for a, b in zip(factors[4:], factors[5:], strict=False))
    assert factors[14] == pytest.approx(0.1)


def test_progress_follows_whichever_budget_runs_out_first():
    assert budget_progress(step=50, total_steps=100, elapsed_s=10.0, budget_s=100.0) == 0.5  # steps
    assert budget_progress(step=10, total_steps=100, elapsed_s=80.0, budget_s=100.0) == 0.8  # clock
    # A busy machine reaches the end of the schedule on the clock, with steps to spare.
    assert budget_progress(step=3, total_steps=100, elapsed_s=120.0, budget_s=100.0) >= 1.0


def test_progress_of_a_run_with_no_steps_is_the_clock():
    assert budget_progress(step=0, total_steps=0, elapsed_s=5.0, budget_s=10.0) == 0.5
