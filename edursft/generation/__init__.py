"""The generator language model: bootstrap pre-training, batched sampling with log q,
fine-tuning on accepted samples, and RSFT rounds (``rounds``). See docs/generation.md."""
