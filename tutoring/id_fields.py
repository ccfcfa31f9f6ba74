"""A multiple-choice field that refuses an id beyond the database's integer range.

Django turns a malformed id into "Select a valid choice", and since 5.0 an exact lookup
of an out-of-range integer finds nothing; but ModelMultipleChoiceField queries
``pk__in``, where SQLite raises OverflowError on a twenty-digit id (a 500 where
PostgreSQL finds nothing). A tampered form deserves the same message as any other
unknown id, on every database.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

_LOWEST, _HIGHEST = -(2**63), 2**63 - 1  # a BigAutoField's range, the widest key any model here has


def _refuse_out_of_range(field: forms.Field, value: Any) -> None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return  # not a number at all: Django's own check names it
    if not _LOWEST <= number <= _HIGHEST:
        message = field.error_messages["invalid_choice"]
        raise ValidationError(message, code="invalid_choice", params={"value": value})


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """Several objects chosen by id."""

    def clean(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            for item in value:
                _refuse_out_of_range(self, item)
        return super().clean(value)
