"""Reads behind the teacher dashboards.

The database does the counting (``values`` + ``annotate`` over indexed columns,
window functions where an attempt must be compared with the one before or
after it); pandas only receives the small grouped results to reshape them.
One module per dashboard; ``scope`` holds what they share.
"""

from analytics.selectors.generation import generation_run_rows, generation_runs
from analytics.selectors.outcomes import (
    RUNNING_BY_POSITION,
    activity_by_student,
    gain_inputs,
    mastery_by_student_skill,
    mastery_over_time,
    mean_mastery_by_student,
)
from analytics.selectors.scope import (
    Scope,
    classroom_names,
    skill_names,
    student_names,
    user_names,
)
from analytics.selectors.teaching import (
    EXPECTED_FROM_BASE_RATE,
    EXPECTED_FROM_PREDICTIONS,
    NO_FEEDBACK,
    attempts_by_class_and_skill,
    enrolment,
    feedback_followups,
    skill_base_rates,
    teachers_by_classroom,
)

__all__ = [
    "EXPECTED_FROM_BASE_RATE",
    "EXPECTED_FROM_PREDICTIONS",
    "NO_FEEDBACK",
    "RUNNING_BY_POSITION",
    "Scope",
    "activity_by_student",
    "attempts_by_class_and_skill",
    "classroom_names",
    "enrolment",
    "feedback_followups",
    "gain_inputs",
    "generation_run_rows",
    "generation_runs",
    "mastery_by_student_skill",
    "mastery_over_time",
    "mean_mastery_by_student",
    "skill_base_rates",
    "skill_names",
    "student_names",
    "teachers_by_classroom",
    "user_names",
]
