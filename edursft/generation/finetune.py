"""Supervised fine-tuning of the generator on accepted samples.

The loss is on the completion only (the prompt tokens are labelled -100), as in
RFT / ReST-EM: the model learns to write what was accepted, not to predict the
request. Original authored data are mixed in (``original_mix`` original
documents per accepted one) so the model keeps its coverage of skills and
formats instead of collapsing onto the accepted few (the rehearsal remedy for
forgetting in continual fine-tuning; RAFT, Dong et al. 2023, reports the
diversity collapse it prevents). A held-out slice of the accepted samples
decides early stopping, and the best epoch's weights are the ones saved. LoRA (Hu et al. 2021)
is optional; its adapters are merged before saving, so every version loads the
same way.
"""

from __future__ import annotations

import copy
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from edursft.generation.corpus import Example
from edursft.generation.evaluate import encode_pairs
from edursft.generation.store import Generator, load_generator, save_version
from edursft.schedule import budget_progress, warmup_cosine


@dataclass
class FinetuneConfig:
    """SFT settings; the defaults suit the bootstrap generator on 2 CPU cores."""

    epochs: int = 3
    learning_rate: float = 3e-4
    warmup_fraction: float = 0.1  # linear warm-up over this share of the steps, then cosine decay
    batch_size: int = 16
    original_mix: float = 0.5  # original documents added per accepted sample
    held_out_fraction: float = 0.2  # of the accepted samples, for early stopping
    min_held_out_samples: int = 10
    patience: int = 1  # epochs without held-out improvement before stopping
    max_minutes: float = 5.0
    weight_decay: float = 0.0
    lora: bool = False
    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.05
    threads: int = 1  # torch threads; 0 leaves torch's default
    seed: int = 0

    def __post_init__(self) -> None:
        # The learning-rate schedule runs on the share of this budget spent.
        if not self.max_minutes > 0:
            raise ValueError(f"max_minutes must be positive, got {self.max_minutes}")

    def originals_for(self, samples: int) -> int:
        """How many original documents the mix takes for ``samples`` accepted samples;
        callers draw at least this many (a shorter list caps the mix)."""
        return round(self.original_mix * samples)


def completion_loss(generator: Generator, examples: Sequence[Example], *, batch_size: int = 16) -> float:
    """Mean cross-entropy per completion token (nats); the log of the perplexity."""
    total, count = 0.0, 0
    generator.model.eval()
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            chunk = examples[start : start + batch_size]
            batch = encode_pairs(generator, [e.prompt for e in chunk], [e.completion for e in chunk])
            tokens = int((batch.labels[:, 1:] != -100).sum())
            loss = generator.model(
                input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels
            ).loss
            total += float(loss) * tokens
            count += tokens
    return total / count if count else float("nan")


def training_mix(
    samples: Sequence[Example], original: Sequence[Example], config: FinetuneConfig
) -> tuple[list[Example], list[Example]]:
    """(train, held-out): held-out is a slice of the accepted samples (what fine-tuning aims at);
    train is the other samples plus ``original_mix`` original documents per sample.

    Fewer than ``min_held_out_samples`` accepted samples leave nothing held out (no early stopping).
    """
    rng = random.Random(config.seed)
    shuffled = list(samples)
    rng.shuffle(shuffled)
    n_held = (
        round(config.held_out_fraction * len(shuffled)) if len(shuffled) >= config.min_held_out_samples else 0
    )
    held_out, kept = shuffled[:n_held], shuffled[n_held:]
    n_original = min(len(original), config.originals_for(len(samples)))
    train = kept + rng.sample(list(original), n_original)
    rng.shuffle(train)
    return train, held_out


def _with_lora(model: torch.nn.Module, config: FinetuneConfig) -> torch.nn.Module:
    from peft import LoraConfig, get_peft_model
    from transformers.pytorch_utils import Conv1D

    lora = LoraConfig(
        task_type="CAUSAL_LM",
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules="all-linear",
        # GPT-2-style models keep their projections as Conv1D, weights stored transposed.
        fan_in_fan_out=any(isinstance(module, Conv1D) for module in model.modules()),
    )
    return get_peft_model(model, lora)


def finetune(
    base_dir: str | Path,
    samples: Sequence[Example],
    out_dir: str | Path,
    config: FinetuneConfig | None = None,
    *,
    original: Sequence[Example] = (),
    metadata: dict | None = None,
) -> dict:
    """Fine-tune the model at ``base_dir`` on ``samples`` (plus the original mix), save to ``out_dir``.

    Returns the metrics, which are also written into the new version's metadata.
    """
    config = config or FinetuneConfig()
    if not samples:
        raise ValueError("no accepted samples to fine-tune on")
    started = time.monotonic()
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    generator = load_generator(base_dir)
    train, held_out = training_mix(samples, original, config)
    loss_before = completion_loss(generator, samples)
    if config.lora:
        generator.model = _with_lora(generator.model, config)
    model = generator.model
    optimizer = torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad],
        lr=config.learning_rate,
        weight_decay=config.weight_decay,
    )
    total_steps = config.epochs * math.ceil(len(train) / config.batch_size)
    warmup = max(1, round(config.warmup_fraction * total_steps))
    decay_steps = max(1, total_steps - warmup)
    held_before = completion_loss(generator, held_out) if held_out else None
    budget_s = config.max_minutes * 60
    deadline = started + budget_s

    def lr_factor(step: int) -> float:
        # max with step: the product can round to just under a whole step.
        at = max(step, budget_progress(step, total_steps, time.monotonic() - started, budget_s) * total_steps)
        return warmup_cosine(int(at), warmup, (at - warmup) / decay_steps)

    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor)
    # Early stopping picks the best epoch; the starting weights are not a candidate.
    best_held = math.inf
    best_state = None
    rng = random.Random(config.seed)
    steps, epochs_run, stale, stopped_early, out_of_time = 0, 0, 0, False, False
    for _ in range(config.epochs):
        order = list(range(len(train)))
        rng.shuffle(order)
        model.train()
        for start in range(0, len(order), config.batch_size):
            chunk = [train[i] for i in order[start : start + config.batch_size]]
            batch = encode_pairs(generator, [e.prompt for e in chunk], [e.completion for e in chunk])
            loss = model(
                input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels
            ).loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            steps += 1
            out_of_time = time.monotonic() > deadline
            if out_of_time:
                break
        epochs_run += 1
        held = completion_loss(generator, held_out) if held_out else -float(epochs_run)
        if held < best_held:
            best_held, stale = held, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            stale += 1
        out_of_time = out_of_time or time.monotonic() > deadline
        if stale >= config.patience or out_of_time:
            stopped_early = epochs_run < config.epochs
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    if config.lora:
        generator.model = model.merge_and_unload()
    generator.model.eval()
    metrics = {
        "samples": len(samples),
        "train_documents": len(train),
        "original_documents": len(train) + len(held_out) - len(samples),
        "held_out_documents": len(held_out),
        "steps": steps,
        "epochs_run": epochs_run,
        "stopped_early": stopped_early,
        "stopped_by_budget": out_of_time,
        "last_learning_rate": optimizer.param_groups[0]["lr"],
        "loss_on_samples_before": loss_before,
        "loss_on_samples_after": completion_loss(generator, samples),
        "held_out_loss_before": held_before,
        "held_out_loss_best": best_held if held_out else None,
        "seconds": round(time.monotonic() - started, 1),
    }
    version = {
        **(metadata or {}),
        "kind": "finetuned",
        "parent": str(base_dir),
        "finetune": asdict(config),
        "metrics": {**(metadata or {}).get("metrics", {}), **metrics},
    }
    save_version(generator.model, generator.tokenizer, out_dir, version)
    return metrics
