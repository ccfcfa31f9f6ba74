"""Rejection sampling of candidates against criteria (exact, best-of-n, threshold)."""

from edursft.sampling.rejection import Decision, SamplingRun, run_sampling

__all__ = ["Decision", "SamplingRun", "run_sampling"]
