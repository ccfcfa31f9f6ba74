"""Sentence embeddings: offline MiniLM, unit length, cached, similar texts close."""

import numpy as np
import pytest
import torch

from edursft import embedding
from edursft.embedding import DIMENSION, embed

pytestmark = pytest.mark.slow  # loads the 90 MB model once per session


def test_embeddings_are_unit_length_rows_in_input_order() -> None:
    texts = ["How many apples are left?", "Factor x^2 + 5x + 6.", "How many apples are left?"]
    vectors = embed(texts)
    assert vectors.shape == (3, DIMENSION) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(vectors[0], vectors[2])


def test_paraphrases_are_closer_than_unrelated_texts() -> None:
    a, b, c = embed(
        [
            "Tom has 5 apples and eats 2. How many apples does he have left?",
            "Tom had five apples and ate two of them. How many remain?",
            "Factor the quadratic expression x^2 + 5x + 6.",
        ]
    )
    assert a @ b > 0.8 > a @ c


def test_matches_the_sentence_transformers_recipe() -> None:
    sentence_transformers = pytest.importorskip("sentence_transformers")
    text = ["Janet sells 9 duck eggs a day at $2 each."]
    reference = sentence_transformers.SentenceTransformer(str(embedding.model_path()), device="cpu")
    assert np.allclose(embed(text), reference.encode(text, normalize_embeddings=True), atol=1e-5)


def test_cached_texts_are_not_recomputed(monkeypatch: pytest.MonkeyPatch) -> None:
    embed(["a cached sentence"])

    def fail(texts: list[str]) -> np.ndarray:
        raise AssertionError(f"recomputed {texts}")

    monkeypatch.setattr(embedding, "_encode", fail)
    assert embed(["a cached sentence"]).shape == (1, DIMENSION)


def test_no_texts_give_an_empty_matrix() -> None:
    assert embed([]).shape == (0, DIMENSION)


def test_length_groups_bound_padding_and_batch_size() -> None:
    lengths = [30, 12, 31, 29, 136, 12, 13, 30]
    groups = embedding.length_groups(lengths, batch_size=3)
    assert sorted(i for group in groups for i in group) == list(range(len(lengths)))
    assert all(len(group) <= 3 for group in groups)
    for group in groups:
        real = sum(lengths[i] for i in group)
        assert len(group) == 1 or max(lengths[i] for i in group) * len(group) <= 1.1 * real
    assert [4] in groups  # the long outlier does not pad the short texts


def test_batched_embeddings_equal_one_text_at_a_time() -> None:
    texts = [
        "How many?",
        "Tom has 5 apples and eats 2. How many apples does he have left?",
        "A train leaves at 3 pm travelling at 60 km per hour; a second train leaves the same "
        "station an hour later at 80 km per hour. At what time does the second train catch up, "
        "and how far from the station are they then?",
        "Factor x^2 + 5x + 6.",
    ]
    embedding.clear_cache(texts)
    together = embed(texts)
    embedding.clear_cache(texts)
    alone = np.concatenate([embed([text]) for text in texts])
    assert np.allclose(together, alone, atol=1e-6)


def test_the_callers_torch_thread_count_is_restored() -> None:
    before = torch.get_num_threads()
    embedding.clear_cache(["restores the thread count"])
    embed(["restores the thread count"])
    assert torch.get_num_threads() == before
