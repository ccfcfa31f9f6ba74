"""The filter bar shared by the dashboards: class, skill and date range."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet

from tutoring.models import Classroom, Skill


class DashboardFilterForm(forms.Form):
    """Filters sent by GET so a filtered dashboard has a URL a teacher can bookmark."""

    classroom = forms.ModelChoiceField(
        queryset=Classroom.objects.none(), required=False, label="Class", empty_label="All my classes"
    )
    skill = forms.ModelChoiceField(
        queryset=Skill.objects.all(), required=False, label="Skill", empty_label="All skills"
    )
    # Browsers' date pickers send and show ISO dates whatever the site's locale.
    start = forms.DateField(
        required=False, label="From", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )

    def __init__(self, *args, classrooms: QuerySet[Classroom], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["classroom"].queryset = classrooms

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date must be on or after the start date.")
        return data
