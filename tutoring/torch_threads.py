"""One torch thread for the small model calls a web request or a single update makes.

On a busy machine several threads spin against each other and turn a 5 ms update
into 100 ms (measured in bench/attempt.py); a web process serves one request per
thread anyway, so more torch threads only add contention.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run the block with one torch thread, restoring the previous count after."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
