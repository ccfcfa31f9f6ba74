"""Measuring a generator: completion log-probabilities, perplexity and diversity.

These run alone on a saved model (``load_generator`` then any function here),
so every round of RSFT and the benchmark report the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch

from edursft.generation.corpus import Example
from edursft.generation.store import Generator

Warp = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class EncodedBatch:
    """Prompt+completion token ids, right-padded; ``labels`` is -100 outside the completion."""

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    labels: torch.Tensor


def max_positions(generator: Generator) -> int:
    """The longest sequence the model accepts (GPT-2: n_positions)."""
    config = generator.model.config
    return int(getattr(config, "n_positions", None) or getattr(config, "max_position_embeddings", 1024))


def encode_ids(
    generator: Generator, prompt_ids: Sequence[Sequence[int]], completion_ids: Sequence[Sequence[int]]
) -> EncodedBatch:
    """Right-padded batch of prompt+completion ids; sequences longer than the model's window
    lose the end of their completion."""
    limit = max_positions(generator)
    rows = [(list(p) + list(c))[:limit] for p, c in zip(prompt_ids, completion_ids, strict=True)]
    width = max(len(r) for r in rows)
    input_ids = torch.full((len(rows), width), generator.tokenizer.pad_token_id, dtype=torch.long)
    attention = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    for i, (row, prompt) in enumerate(zip(rows, prompt_ids, strict=True)):
        input_ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        attention[i, : len(row)] = 1
        labels[i, len(prompt) : len(row)] = input_ids[i, len(prompt) : len(row)]
    return EncodedBatch(input_ids, attention, labels)


def encode_pairs(generator: Generator, prompts: Sequence[str], completions: Sequence[str]) -> EncodedBatch:
    """Tokenise prompt and completion separately so the loss mask falls exactly on the completion."""
    tokenizer = generator.tokenizer
    prompt_ids = tokenizer(list(prompts), add_special_tokens=False)["input_ids"]
    completion_ids = tokenizer(list(completions), add_special_tokens=False)["input_ids"]
    return encode_ids(generator, prompt_ids, completion_ids)


def completion_log_probs(
    generator: Generator,
    prompts: Sequence[str],
    completions: Sequence[str] | None = None,
    *,
    completion_ids: Sequence[Sequence[int]] | None = None,
    warp: Warp | None = None,
) -> list[torch.Tensor]:
    """Per-token log-probabilities of each completion given its prompt, by one forward pass.

    ``warp`` transforms the next-token logits before normalising (temperature, top-k,
    top-p); without it this is the model's own distribution. Completions may be given
    as token ids to score exactly what a sampler produced.
    """
    tokenizer = generator.tokenizer
    prompt_ids = tokenizer(list(prompts), add_special_tokens=False)["input_ids"]
    if completion_ids is None:
        completion_ids = tokenizer(list(completions or []), add_special_tokens=False)["input_ids"]
    batch = encode_ids(generator, prompt_ids, completion_ids)
    with torch.no_grad():
        logits = generator.model(input_ids=batch.input_ids, attention_mask=batch.attention_mask).logits
    # Position t predicts token t+1.
    logits, targets = logits[:, :-1].float(), batch.labels[:, 1:]
    if warp is not None:
        logits = warp(logits)
    log_probs = torch.log_softmax(logits, dim=-1)
    picked = log_probs.gather(-1, targets.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return [picked[i][targets[i] != -100] for i in range(len(picked))]


def perplexity(generator: Generator, examples: Iterable[Example], *, batch_size: int = 16) -> float:
    """exp(mean negative log-likelihood per completion token) under the model's own distribution."""
    examples = list(examples)
    total, count = 0.0, 0
    for start in range(0, len(examples), batch_size):
        chunk = examples[start : start + batch_size]
        for row in completion_log_probs(generator, [e.prompt for e in chunk], [e.completion for e in chunk]):
            total -= float(row.sum())
            count += row.numel()
    return math.exp(total / count) if count else float("nan")


def distinct_n(texts: Iterable[str], n: int) -> float:
    """Distinct-n (Li et al. 2016, "A Diversity-Promoting Objective Function..."):
    unique word n-grams over all word n-grams across the texts; 0 when there are none."""
    grams: list[tuple[str, ...]] = []
    for text in texts:
        words = text.lower().split()
        grams.extend(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0
