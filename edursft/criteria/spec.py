"""The criteria file a teacher writes, validated field by field.

Layout (JSON)::

    {
      "kind": "exercise",            # or "feedback": which candidates this judges
      "mode": "exact",               # "exact", "best_of_n" or "threshold"
      "beta": 0.5,                   # temperature of exp(r/beta); lower favours high scores more
      "budget": 400,                 # at most this many proposals are drawn
      "n_accept": 20,                # stop once this many are accepted
      "best_of_n": {"n": 8, "k": 1}, # mode best_of_n: keep the top k of every n
      "threshold": 1.5,              # mode threshold: accept when r >= threshold
      "batch_size": 32,              # proposals judged together (embeddings are batched)
      "criteria": [
        {"name": "answer_verified", "hard": true},
        {"name": "skill_relevance", "weight": 1.0, "params": {"min_similarity": 0.3}}
      ]
    }

Every problem is reported as a SpecError whose ``field`` is the dotted path of
the offending value (``criteria[2].weight``), so an editor can show the message
next to the right input.
"""

from __future__ import annotations

import json
import math
import types
import typing
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from edursft.criteria.candidate import KINDS
from edursft.criteria.registry import REGISTRY, Criterion, ParamError

MODES = ("exact", "best_of_n", "threshold")
MAX_BUDGET = 1_000_000
MAX_WEIGHT = 100.0
_TOP_LEVEL = {
    "kind",
    "mode",
    "beta",
    "budget",
    "n_accept",
    "best_of_n",
    "threshold",
    "batch_size",
    "criteria",
}
_CRITERION_KEYS = {"name", "hard", "weight", "params"}


class SpecError(ValueError):
    """An invalid criteria file; ``field`` is the dotted path of the bad value ("" for the whole file)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CriterionSpec:
    """One configured criterion: hard (must pass) or soft (score times ``weight`` adds to r)."""

    name: str
    hard: bool
    weight: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    label: str = ""  # unique within the spec: the name, or name#2 for a second use

    def build(self) -> Criterion:
        """A fresh criterion instance (instances hold per-run state such as accepted embeddings)."""
        return REGISTRY[self.name](**self.params)


@dataclass(frozen=True)
class CriteriaSpec:
    """A validated criteria file; build one with :func:`load_spec`."""

    criteria: tuple[CriterionSpec, ...]
    kind: str = "exercise"
    mode: str = "exact"
    beta: float = 1.0
    budget: int = 1000
    n_accept: int = 10
    best_of_n_n: int = 8
    best_of_n_k: int = 1
    threshold: float | None = None
    batch_size: int = 32

    @property
    def r_max(self) -> float:
        """The bound on r: every soft score is at most 1, so r <= the sum of soft weights."""
        return sum(c.weight for c in self.criteria if not c.hard)

    def to_dict(self) -> dict[str, Any]:
        """The spec in the file layout (what a run stores next to its results)."""
        data: dict[str, Any] = {
            "kind": self.kind,
            "mode": self.mode,
            "beta": self.beta,
            "budget": self.budget,
            "n_accept": self.n_accept,
            "batch_size": self.batch_size,
            "criteria": [
                {"name": c.name, "hard": True, "params": c.params}
                if c.hard
                else {"name": c.name, "weight": c.weight, "params": c.params}
                for c in self.criteria
            ],
        }
        if self.mode == "best_of_n":
            data["best_of_n"] = {"n": self.best_of_n_n, "k": self.best_of_n_k}
        if self.threshold is not None:
            data["threshold"] = self.threshold
        return data


def _is_number(value: Any) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond float range
        return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(data: dict, key: str, default: float, path: str, *, positive: bool = False) -> float:
    value = data.get(key, default)
    if not _is_number(value):
        raise SpecError(path, f"must be a number, got {json.dumps(value)}")
    if positive and value <= 0:
        raise SpecError(path, f"must be greater than 0, got {value}")
    return float(value)


def _integer(data: dict, key: str, default: int, path: str, low: int, high: int) -> int:
    value = data.get(key, default)
    if not _is_int(value):
        raise SpecError(path, f"must be a whole number, got {json.dumps(value)}")
    if not low <= value <= high:
        raise SpecError(path, f"must be between {low} and {high}, got {value}")
    return value


def _matches_type(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a parameter's annotation (int, float, str, bool, list[str], X | None)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches_type(value, option) for option in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return _is_int(value)
    if hint is float:
        return _is_number(value)
    if hint is str:
        return isinstance(value, str)
    if origin is list:
        (item,) = typing.get_args(hint)
        return isinstance(value, list) and all(_matches_type(v, item) for v in value)
    return False


def _type_name(hint: Any) -> str:
    names = {int: "a whole number", float: "a number", str: "a string", bool: "true or false"}
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return " or ".join(_type_name(h) if h is not type(None) else "null" for h in typing.get_args(hint))
    if typing.get_origin(hint) is list:
        return f"a list of {_type_name(typing.get_args(hint)[0]).removeprefix('a ')}s"
    return names.get(hint, str(hint))


def _criterion(entry: Any, index: int, kind: str, labels: dict[str, int]) -> CriterionSpec:
    path = f"criteria[{index}]"
    if not isinstance(entry, dict):
        raise SpecError(path, "each criterion must be an object with a name")
    for key in entry:
        if key not in _CRITERION_KEYS:
            raise SpecError(
                f"{path}.{key}", f"unknown field; expected one of {', '.join(sorted(_CRITERION_KEYS))}"
            )
    name = entry.get("name")
    if not isinstance(name, str) or name not in REGISTRY:
        raise SpecError(
            f"{path}.name", f"unknown criterion {json.dumps(name)}; available: {', '.join(sorted(REGISTRY))}"
        )
    cls = REGISTRY[name]
    if kind not in cls.kinds:
        raise SpecError(f"{path}.name", f"{name} judges {' and '.join(cls.kinds)} candidates, not {kind}")
    if "hard" in entry and not isinstance(entry["hard"], bool):
        raise SpecError(f"{path}.hard", "must be true or false")
    hard = entry.get("hard", False)
    if hard and "weight" in entry:
        raise SpecError(f"{path}.weight", "a hard criterion has no weight (it must pass); drop one of them")
    if not hard and "weight" not in entry:
        raise SpecError(f"{path}.weight", 'give a soft criterion a weight, or make it "hard": true')
    weight = 0.0 if hard else _number(entry, "weight", 0.0, f"{path}.weight", positive=True)
    if weight > MAX_WEIGHT:
        raise SpecError(f"{path}.weight", f"must be at most {MAX_WEIGHT:g}, got {weight:g}")
    params = entry.get("params", {})
    if not isinstance(params, dict):
        raise SpecError(f"{path}.params", "must be an object of parameter values")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    for key, value in params.items():
        if key not in known:
            available = ", ".join(sorted(known)) or "none"
            raise SpecError(
                f"{path}.params.{key}", f"{name} has no parameter {key!r}; parameters: {available}"
            )
        if not _matches_type(value, hints[key]):
            raise SpecError(
                f"{path}.params.{key}", f"must be {_type_name(hints[key])}, got {json.dumps(value)}"
            )
    missing = [f.name for f in known.values() if f.default is MISSING and f.default_factory is MISSING]
    for key in missing:
        if key not in params:
            raise SpecError(f"{path}.params.{key}", f"{name} needs this parameter")
    try:
        cls(**params).validate()
    except ParamError as error:
        raise SpecError(f"{path}.params.{error.param}", error.message) from error
    labels[name] = labels.get(name, 0) + 1
    label = name if labels[name] == 1 else f"{name}#{labels[name]}"
    return CriterionSpec(name=name, hard=hard, weight=weight, params=dict(params), label=label)


def _parse_source(source: dict | str | Path) -> dict:
    if isinstance(source, dict):
        return source
    if not isinstance(source, str | Path):
        raise SpecError("", "a criteria file is a JSON object")
    if isinstance(source, Path) or not source.lstrip().startswith("{"):
        try:
            path = Path(source)
            text = path.read_text(encoding="utf-8")
        except (OSError, ValueError) as error:  # ValueError: a NUL byte in the name, undecodable bytes
            raise SpecError("", f"cannot read criteria file {str(source)[:200]!r}: {error}") from error
    else:
        text = source
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise SpecError(
            "", f"not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}"
        ) from error
    if not isinstance(data, dict):
        raise SpecError("", "a criteria file is a JSON object")
    return data


def load_spec(source: dict | str | Path) -> CriteriaSpec:
    """Validate a criteria file (a dict, JSON text, or a path to a JSON file); SpecError names the field."""
    data = _parse_source(source)
    for key in data:
        if key not in _TOP_LEVEL:
            raise SpecError(key, f"unknown field; expected one of {', '.join(sorted(_TOP_LEVEL))}")
    kind = data.get("kind", "exercise")
    if kind not in KINDS:
        raise SpecError("kind", f"must be one of {', '.join(KINDS)}, got {json.dumps(kind)}")
    mode = data.get("mode", "exact")
    if mode not in MODES:
        raise SpecError("mode", f"must be one of {', '.join(MODES)}, got {json.dumps(mode)}")
    beta = _number(data, "beta", 1.0, "beta", positive=True)
    budget = _integer(data, "budget", 1000, "budget", 1, MAX_BUDGET)
    n_accept = _integer(data, "n_accept", min(10, budget), "n_accept", 1, budget)
    batch_size = _integer(data, "batch_size", 32, "batch_size", 1, 4096)
    entries = data.get("criteria")
    if not isinstance(entries, list) or not entries:
        raise SpecError("criteria", "must be a non-empty list of criteria")
    labels: dict[str, int] = {}
    criteria = tuple(_criterion(entry, i, kind, labels) for i, entry in enumerate(entries))
    r_max = sum(c.weight for c in criteria if not c.hard)

    n, k = 8, 1
    if "best_of_n" in data:
        block = data["best_of_n"]
        if mode != "best_of_n":
            raise SpecError("best_of_n", f'only used when "mode" is "best_of_n" (mode is {mode})')
        if not isinstance(block, dict) or set(block) - {"n", "k"}:
            raise SpecError("best_of_n", 'must be an object {"n": ..., "k": ...}')
        n = _integer(block, "n", 8, "best_of_n.n", 1, budget)
        k = _integer(block, "k", 1, "best_of_n.k", 1, n)
    threshold = None
    if mode == "threshold":
        if "threshold" not in data:
            raise SpecError("threshold", 'mode "threshold" needs a threshold on r (the weighted soft score)')
        threshold = _number(data, "threshold", 0.0, "threshold")
        if not 0 <= threshold <= r_max:
            raise SpecError(
                "threshold",
                f"must be between 0 and the sum of soft weights ({r_max:g}), got {threshold:g}: "
                "otherwise nothing or everything passes",
            )
    elif "threshold" in data:
        raise SpecError("threshold", f'only used when "mode" is "threshold" (mode is {mode})')
    if r_max / beta > 700:
        # exp((r - r_max)/beta) underflows to 0 below about -745: the sampler would never accept.
        raise SpecError("beta", f"too small for the weights (sum of weights / beta = {r_max / beta:g} > 700)")
    return CriteriaSpec(
        criteria=criteria,
        kind=kind,
        mode=mode,
        beta=beta,
        budget=budget,
        n_accept=n_accept,
        best_of_n_n=n,
        best_of_n_k=k,
        threshold=threshold,
        batch_size=batch_size,
    )
