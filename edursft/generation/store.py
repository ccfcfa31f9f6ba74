"""Generator versions on disk: a Hugging Face model directory plus ``edursft.json``.

Any causal LM saved with ``save_pretrained`` loads (``AutoModelForCausalLM`` /
``AutoTokenizer`` with ``local_files_only``), never from a hub. Every version
records where it came from (parent version, training data, criteria, metrics) in
``edursft.json`` beside the weights. Writes go to a temporary sibling directory
that is renamed into place when complete, so a crash never leaves a half-written
version behind a valid name.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from edursft.generation.prompts import END, PAD

METADATA_FILE = "edursft.json"
DEFAULT_ROOT = Path("var/models/generator")


@dataclass
class Generator:
    """A loaded model and tokenizer, with the directory and metadata they came from."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    path: Path | None = None
    metadata: dict = field(default_factory=dict)

    @property
    def end_token_id(self) -> int:
        """The token that ends a completion: ``<|end|>`` when it is one token, else the model's EOS."""
        ids = self.tokenizer.encode(END, add_special_tokens=False)
        if len(ids) == 1:
            return ids[0]
        return self.tokenizer.eos_token_id


def prepare_tokenizer(tokenizer: PreTrainedTokenizerBase) -> PreTrainedTokenizerBase:
    """Left padding (decoder-only batching) and a pad token, whatever the tokenizer shipped with."""
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        if PAD in tokenizer.get_vocab():
            tokenizer.pad_token = PAD
        else:
            tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def load_generator(path: str | Path, *, device: str = "cpu") -> Generator:
    """Load a generator version from a local directory (no network access)."""
    path = Path(path)
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path} is not a saved model directory (no config.json)")
    tokenizer = prepare_tokenizer(AutoTokenizer.from_pretrained(path, local_files_only=True))
    model = AutoModelForCausalLM.from_pretrained(path, local_files_only=True, dtype=torch.float32).to(device)
    model.eval()
    return Generator(model, tokenizer, path, read_metadata(path))


def read_metadata(path: str | Path) -> dict:
    """The version's ``edursft.json``, or an empty dict for a model saved elsewhere."""
    meta = Path(path) / METADATA_FILE
    return json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}


def save_version(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    out_dir: str | Path,
    metadata: dict,
) -> Path:
    """Save weights, tokenizer and metadata atomically: temp directory, then rename into place.

    An existing directory at ``out_dir`` is replaced only once the new one is complete.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        (tmp / METADATA_FILE).write_text(json.dumps(metadata, indent=2, default=str), encoding="utf-8")
        if out_dir.exists():
            old = out_dir.with_name(f".{out_dir.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out_dir, old)
            os.replace(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def write_json_atomic(path: str | Path, payload: object) -> None:
    """Write JSON to ``path`` via a temporary file and a rename (readers never see half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")
    os.replace(tmp, path)
