"""The bootstrap generator: a small GPT-2 and its BPE tokenizer trained from scratch.

A fresh install has no language model, so ``python -m edursft pretrain`` builds
one from the project's seed content plus any exercise corpora given, on CPU,
within a wall-clock budget. The training loop follows nanoGPT's ``train.py``
(Karpathy): documents are concatenated into one token stream and random
windows of ``block_size`` tokens are the batches; AdamW with linear warm-up and
cosine decay. Numbers are BPE tokens of their own, never merged with the space
before them, so " 12" in a problem and "12" in an annotation share one token:
the calculator does the arithmetic, and what the model must do is copy numbers,
which single-digit tokens (PaLM's and LLaMA's choice, for models that compute)
made much harder for a model this small (docs/generation.md).
"""

from __future__ import annotations

import math
import os
import random
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

from edursft.generation.corpus import Example, read_corpus, seed_examples
from edursft.generation.evaluate import perplexity
from edursft.generation.prompts import END, PAD, TAGS
from edursft.generation.store import DEFAULT_ROOT, Generator, prepare_tokenizer, save_version
from edursft.schedule import budget_progress, warmup_cosine
from edursft.seed import expand_seed, feedback_examples

HELD_OUT_SEED = 1_000_003  # seed of the authored items kept out of training, for perplexity


@dataclass
class PretrainConfig:
    """Model size, data and budget. The defaults finish within 15 minutes on 2 CPU cores."""

    out: Path = DEFAULT_ROOT / "bootstrap"
    corpora: tuple[Path, ...] = ()
    seed_per_template: int = 40  # exercises per template and level
    feedback_share: float = 0.34  # feedback documents per seed exercise
    corpus_limit: int = 600  # at most this many documents per corpus (0: all), so seed content dominates
    vocab_size: int = 1536
    digit_tokens: bool = False  # True: every digit its own token (the tokenizer before 2026-12-02)
    n_layer: int = 4
    n_head: int = 4
    n_embd: int = 128
    block_size: int = 160  # also the model's window: a seed exercise is about 95 tokens
    batch_size: int = 24
    learning_rate: float = 2e-3
    weight_decay: float = 0.1
    warmup_steps: int = 30
    max_steps: int = 3000
    max_minutes: float = 11.0  # training-loop budget; tokenizer, data and saving add about a minute
    held_out_items: int = 2  # per template and level, for the perplexity reported in the metadata
    held_out_limit: int = 400  # score at most this many held-out documents (0: all)
    threads: int = 0  # torch threads; 0 leaves torch's default, every core (see docs/generation.md)
    seed: int = 0


# "quick" is what `make demo` uses on a fresh install; "tiny" is for tests.
PRESETS: dict[str, dict] = {
    "default": {},
    "quick": {"n_layer": 3, "n_embd": 96, "max_minutes": 3.0, "seed_per_template": 16, "corpus_limit": 200},
    "tiny": {
        "n_layer": 1,
        "n_head": 2,
        "n_embd": 32,
        "vocab_size": 400,
        "block_size": 128,
        "batch_size": 8,
        "max_steps": 12,
        "warmup_steps": 3,
        "max_minutes": 1.0,
        "threads": 1,
        "seed_per_template": 1,
        "corpus_limit": 50,
        "held_out_items": 1,
        "held_out_limit": 24,
    },
}


def preset_config(name: str, **overrides: object) -> PretrainConfig:
    """A PretrainConfig from a named preset, with explicit overrides on top."""
    return replace(PretrainConfig(), **{**PRESETS[name], **overrides})


def train_tokenizer(texts: list[str], vocab_size: int, digit_tokens: bool = True) -> PreTrainedTokenizerFast:
    """Byte-level BPE (GPT-2 style) with the format's tags as special tokens; with
    ``digit_tokens`` every digit is its own token, otherwise BPE merges numbers as it
    merges words."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Digits(individual_digits=digit_tokens),
            pre_tokenizers.ByteLevel(add_prefix_space=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, *TAGS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    wrapped = PreTrainedTokenizerFast(tokenizer_object=tokenizer, eos_token=END, pad_token=PAD)
    return prepare_tokenizer(wrapped)


def training_documents(config: PretrainConfig) -> list[Example]:
    """Seed exercises and feedback, then each corpus (capped at ``corpus_limit``), shuffled."""
    exercises = expand_seed(config.seed_per_template, seed=config.seed)
    rng = random.Random(config.seed)
    feedback = feedback_examples(exercises)
    feedback = rng.sample(feedback, min(len(feedback), round(config.feedback_share * len(exercises))))
    documents = seed_examples(exercises, feedback)
    for path in config.corpora:
        examples = read_corpus(path)
        if config.corpus_limit:
            examples = rng.sample(examples, min(config.corpus_limit, len(examples)))
        documents += examples
    rng.shuffle(documents)
    return documents


def held_out_examples(per_template: int, limit: int = 0) -> list[Example]:
    """Authored items never seen in pre-training (a different draw of the templates).

    Exercises and as many feedback examples; ``limit`` keeps an evenly spread subset.
    """
    exercises = expand_seed(per_template, seed=HELD_OUT_SEED)
    examples = seed_examples(exercises, feedback_examples(exercises)[: len(exercises)])
    if limit and len(examples) > limit:
        examples = examples[:: math.ceil(len(examples) / limit)]
    return examples


def _lr(step: int, progress: float, config: PretrainConfig) -> float:
    return config.learning_rate * warmup_cosine(step, config.warmup_steps, progress)


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pretrain(config: PretrainConfig) -> Path:
    """Train tokenizer and model, save them as a generator version at ``config.out``; returns the path.

    Runs with ``config.threads`` torch threads (0: every core the process may use) and
    restores the caller's count after, so a worker process that keeps one thread for
    its small model calls keeps it."""
    before = torch.get_num_threads()
    torch.set_num_threads(config.threads or _cores())
    try:
        return _pretrain(config)
    finally:
        torch.set_num_threads(before)


def _pretrain(config: PretrainConfig) -> Path:
    started = time.monotonic()
    torch.manual_seed(config.seed)
    np_rng = np.random.default_rng(config.seed)
    documents = training_documents(config)
    texts = [doc.text for doc in documents]
    tokenizer = train_tokenizer(texts, config.vocab_size, config.digit_tokens)
    stream = np.fromiter(
        (tok for ids in tokenizer(texts, add_special_tokens=False)["input_ids"] for tok in ids),
        dtype=np.int64,
    )
    if len(stream) <= config.block_size + 1:
        raise ValueError("the training text is shorter than one block; add seed items or corpora")
    model = GPT2LMHeadModel(
        GPT2Config(
            vocab_size=len(tokenizer),
            n_positions=config.block_size,
            n_embd=config.n_embd,
            n_layer=config.n_layer,
            n_head=config.n_head,
            # No dropout: the budget allows about one pass over the data, and dropout's
            # random masks cost a sixth of each CPU step.
            resid_pdrop=0.0,
            embd_pdrop=0.0,
            attn_pdrop=0.0,
            bos_token_id=tokenizer.eos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay, betas=(0.9, 0.95)
    )
    budget_s = config.max_minutes * 60
    loop_start = time.monotonic()
    model.train()
    losses: list[float] = []
    step = 0
    while step < config.max_steps and time.monotonic() - loop_start < budget_s:
        progress = budget_progress(step, config.max_steps, time.monotonic() - loop_start, budget_s)
        for group in optimizer.param_groups:
            group["lr"] = _lr(step, progress, config)
        starts = np_rng.integers(0, len(stream) - config.block_size - 1, size=config.batch_size)
        batch = torch.from_numpy(np.stack([stream[s : s + config.block_size] for s in starts]))
        loss = model(input_ids=batch, labels=batch).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(loss.item())
        step += 1
    model.eval()
    train_seconds = time.monotonic() - loop_start
    held_out_ppl = perplexity(
        Generator(model, tokenizer), held_out_examples(config.held_out_items, config.held_out_limit)
    )
    metadata = {
        "kind": "bootstrap",
        "parent": None,
        "config": {**asdict(config), "out": str(config.out), "corpora": [str(p) for p in config.corpora]},
        "data": {
            "documents": len(documents),
            "tokens": int(len(stream)),
            "sources": sorted({doc.source for doc in documents}),
        },
        "criteria": None,
        "metrics": {
            "steps": step,
            "tokens_seen": step * config.batch_size * config.block_size,
            "final_train_loss": float(np.mean(losses[-20:])) if losses else None,
            "held_out_perplexity": held_out_ppl,
            "train_seconds": round(train_seconds, 1),
            "total_seconds": round(time.monotonic() - started, 1),
            "parameters": sum(p.numel() for p in model.parameters()),
        },
    }
    return save_version(model, tokenizer, config.out, metadata)
