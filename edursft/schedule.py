"""Learning-rate schedules that finish on time, shared by every training loop of the engine.

Pretraining, generator fine-tuning and the student model each train within a
wall-clock budget on a machine that other jobs share. A schedule that ran on
steps alone would be cut off near its peak learning rate when the clock binds
first; running it on ``budget_progress`` anneals the rate by the deadline.
"""

from __future__ import annotations

import math


def budget_progress(step: int, total_steps: int, elapsed_s: float, budget_s: float) -> float:
    """Share of training done: the larger of the share of steps taken and of the time budget spent."""
    return max(step / max(total_steps, 1), elapsed_s / budget_s)


def warmup_cosine(step: int, warmup_steps: int, progress: float) -> float:
    """Learning-rate factor: linear warm-up, then cosine decay to a tenth (nanoGPT's get_lr)
    over ``progress`` in [0, 1]. Fine-tuning uses it too: a fresh AdamW's first steps move
    every weight by the full learning rate, whatever its gradient."""
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
