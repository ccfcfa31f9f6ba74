"""Batched, KV-cached sampling against a naive loop that generates one sample per call.

Same model, prompts and sampling settings (temperature, top-p, max new tokens);
the batched side draws ``--samples-per-prompt`` samples for every prompt in one
``generate`` call (num_return_sequences over a left-padded batch), the naive side
calls ``generate`` once per sample; both go through ``sample_batch``, so warping,
calculator and log q are the same code. The two sides are timed alternately
``--repeats`` times and each keeps its fastest run (other jobs on the shared CPU
only ever add time, so the minimum is the least disturbed figure, as timeit does).
Prints the figures, then one JSON line with batched_samples_per_s,
naive_samples_per_s and speedup (fastest against fastest; ``speedups`` lists
each alternation's own ratio).

    .venv/bin/python bench/generation.py --model var/models/generator/bootstrap
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from edursft.generation.pretrain import preset_config, pretrain  # noqa: E402
from edursft.generation.prompts import Request, build_prompt  # noqa: E402
from edursft.generation.sampling import SamplingConfig, sample_batch  # noqa: E402
from edursft.generation.store import load_generator  # noqa: E402
from edursft.seed import seed_skills  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="var/models/generator/bootstrap", help="generator directory")
    parser.add_argument("--prompts", type=int, default=32)
    parser.add_argument("--samples-per-prompt", type=int, default=8)
    parser.add_argument("--max-new-tokens", type=int, default=96)
    parser.add_argument("--naive-samples", type=int, default=16, help="samples timed in the naive loop")
    parser.add_argument("--repeats", type=int, default=3, help="alternating timings of each side")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    model_dir = Path(args.model)
    if not (model_dir / "config.json").exists():
        model_dir = Path(tempfile.mkdtemp()) / "quick"
        print(f"no model at {args.model}; pre-training the quick preset into {model_dir}")
        pretrain(preset_config("quick", out=model_dir))
    generator = load_generator(model_dir)
    skills = sorted(seed_skills().values())[: args.prompts]
    prompts = [build_prompt(Request("exercise", skill, 1 + i % 3)) for i, skill in enumerate(skills)]
    config = SamplingConfig(
        temperature=1.0,
        top_p=0.95,
        samples_per_prompt=args.samples_per_prompt,
        max_new_tokens=args.max_new_tokens,
    )
    sample_batch(
        generator, prompts[:1], SamplingConfig(samples_per_prompt=1, max_new_tokens=4), seed=0
    )  # warm-up

    single = SamplingConfig(
        temperature=1.0, top_p=0.95, samples_per_prompt=1, max_new_tokens=args.max_new_tokens
    )
    batched_runs, naive_runs = [], []
    for _ in range(args.repeats):
        started = time.perf_counter()
        batched = sample_batch(generator, prompts, config, seed=args.seed)
        batched_runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        naive = [
            sample_batch(generator, [prompts[i % len(prompts)]], single, seed=args.seed + i)[0]
            for i in range(args.naive_samples)
        ]
        naive_runs.append(time.perf_counter() - started)
    batched_s, naive_s = min(batched_runs), min(naive_runs)
    batched_tokens = sum(len(s.completion_ids) for s in batched)
    naive_tokens = sum(len(s.completion_ids) for s in naive)

    figures = {
        "model": str(model_dir),
        "torch_threads": torch.get_num_threads(),
        "batched_samples": len(batched),
        "batched_seconds": round(batched_s, 3),
        "batched_tokens_per_s": round(batched_tokens / batched_s, 1),
        "naive_samples": len(naive),
        "naive_seconds": round(naive_s, 3),
        "naive_tokens_per_s": round(naive_tokens / naive_s, 1),
        "batched_samples_per_s": round(len(batched) / batched_s, 2),
        "naive_samples_per_s": round(len(naive) / naive_s, 2),
    }
    figures["speedup"] = round(figures["batched_samples_per_s"] / figures["naive_samples_per_s"], 2)
    figures["speedups"] = [
        round((len(batched) / b) / (len(naive) / n), 2) for b, n in zip(batched_runs, naive_runs, strict=True)
    ]
    print(f"model: {model_dir} ({sum(p.numel() for p in generator.model.parameters()):,} parameters)")
    print(
        f"batched: {len(batched)} samples in {batched_s:.2f}s ({figures['batched_samples_per_s']} samples/s)"
    )
    print(f"naive:   {len(naive)} samples in {naive_s:.2f}s ({figures['naive_samples_per_s']} samples/s)")
    print(f"each alternation: {figures['speedups']}")
    print(f"speedup: {figures['speedup']}x (CPU shared with other jobs; figures vary with load)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
