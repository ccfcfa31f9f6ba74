"""Teacher-defined criteria for generated exercises and feedback.

Importing the package registers the built-in criteria, so a criteria file can
name any of them; see :mod:`edursft.criteria.registry` to add one.
"""

from edursft.criteria import feedback, maths, semantic, text  # noqa: F401 (registers the built-ins)
from edursft.criteria.candidate import Candidate
from edursft.criteria.context import CriteriaContext
from edursft.criteria.registry import REGISTRY, Criterion, Outcome, ParamError, register
from edursft.criteria.spec import CriteriaSpec, CriterionSpec, SpecError, load_spec

__all__ = [
    "REGISTRY",
    "Candidate",
    "CriteriaContext",
    "CriteriaSpec",
    "Criterion",
    "CriterionSpec",
    "Outcome",
    "ParamError",
    "SpecError",
    "load_spec",
    "register",
]
