"""Forms of the students' and teachers' pages; every field has a label."""

from __future__ import annotations

import json

from django import forms
from django.db.models import QuerySet

from tutoring.id_fields import IdsChoiceField
from tutoring.models import Classroom, CriteriaSet, Item, Skill
from tutoring.xapi.decorators import parse_json


class AnswerForm(forms.Form):
    response = forms.CharField(label="Your answer", max_length=2000, strip=True)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def _hints_from_text(text: str) -> list[dict]:
    return [{"type": "hint", "text": line} for line in _lines(text)]


class ItemForm(forms.ModelForm):
    """A teacher's resource or exercise; hints and multiple-choice options are one per line."""

    hints_text = forms.CharField(
        label="Hints (one per line, shown in order after wrong answers)",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    choices_text = forms.CharField(
        label="Choices (multiple choice: one per line, the expected answer among them)",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    # A teacher who types "khanacademy.org/..." means https (Django 6's default too).
    url = forms.URLField(label="Link (for videos and links)", required=False, assume_scheme="https")
    # Bounds on the field, so a wrong value is named there rather than as a database constraint.
    difficulty = forms.FloatField(
        label="Estimated share of students who answer correctly (0 to 1)",
        required=False,
        min_value=0,
        max_value=1,
    )
    skills = IdsChoiceField(
        label="Skills",
        queryset=Skill.objects.order_by("name"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Item
        fields = ["kind", "title", "text", "url", "answer", "answer_type", "skills", "difficulty"]
        labels = {
            "kind": "Kind",
            "title": "Title",
            "text": "Text (the question, or a description of the resource)",
            "answer": "Expected answer (exercises)",
            "answer_type": "How the answer is checked",
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in Item.Kind.choices if c[0] != Item.Kind.FEEDBACK]
        if self.instance.pk:
            self.fields["hints_text"].initial = "\n".join(
                h.get("text", "") if isinstance(h, dict) else str(h) for h in self.instance.hints
            )
            self.fields["choices_text"].initial = "\n".join(str(c) for c in self.instance.choices)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == Item.Kind.EXERCISE and not data.get("answer"):
            self.add_error("answer", "An exercise needs an expected answer.")
        choices = (
            _lines(data.get("choices_text", ""))
            if self._edited("choices_text")
            else [str(c).strip() for c in self.instance.choices]
        )
        if data.get("kind") == Item.Kind.EXERCISE and data.get("answer_type") == "choice":
            if len(choices) < 2:
                self.add_error("choices_text", "A multiple-choice exercise needs at least two choices.")
            elif data.get("answer") and data["answer"].strip() not in choices:
                self.add_error("choices_text", "The expected answer must be one of the choices.")
        if data.get("kind") in (Item.Kind.VIDEO, Item.Kind.LINK) and not data.get("url"):
            self.add_error("url", "A video or link needs its address.")
        return data

    def _edited(self, name: str) -> bool:
        """Whether the lines of a one-per-line box differ from what the form showed."""
        return _lines(self.cleaned_data.get(name, "")) != _lines(self.fields[name].initial or "")

    def save(self, commit: bool = True) -> Item:
        # The boxes show hints and choices as lines only: an imported item's scaffolds (with
        # their answers and titles) and multi-line choices are kept unless edited here.
        if self._edited("hints_text"):
            self.instance.hints = _hints_from_text(self.cleaned_data.get("hints_text", ""))
        if self._edited("choices_text"):
            self.instance.choices = _lines(self.cleaned_data.get("choices_text", ""))
        return super().save(commit=commit)


class CriteriaForm(forms.ModelForm):
    """Name, class and skills of a criteria set; the specification is JSON checked by the engine."""

    spec_text = forms.CharField(
        label="Criteria specification (JSON)",
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false", "class": "code"}),
    )

    class Meta:
        model = CriteriaSet
        fields = ["name", "classroom", "skills", "is_active"]
        labels = {"name": "Name", "classroom": "Class", "skills": "Target skills", "is_active": "Active"}
        widgets = {"skills": forms.SelectMultiple(attrs={"size": 8})}
        field_classes = {"skills": IdsChoiceField}

    def __init__(self, *args, classrooms: QuerySet[Classroom] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["classroom"].queryset = classrooms if classrooms is not None else Classroom.objects.none()
        self.fields["skills"].queryset = Skill.objects.order_by("name")
        self.fields["skills"].required = False
        if self.instance.pk:
            self.fields["spec_text"].initial = json.dumps(self.instance.spec, indent=2)

    def clean_spec_text(self) -> dict:
        text = self.cleaned_data["spec_text"]
        try:
            # Strict: NaN, Infinity and \u0000 parse in Python but PostgreSQL's jsonb cannot store them.
            spec = parse_json(text.encode())
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"Not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}."
            ) from error
        except ValueError as error:
            raise forms.ValidationError(f"Not valid JSON: {error}.") from error
        if not isinstance(spec, dict):
            raise forms.ValidationError("The specification must be a JSON object.")
        return spec


class ReviewEditForm(forms.ModelForm):
    """A reviewer's corrections to a generated item before approving it."""

    class Meta:
        model = Item
        fields = ["title", "text", "answer", "solution"]
        labels = {"title": "Title", "text": "Text", "answer": "Answer", "solution": "Worked solution"}
        widgets = {"text": forms.Textarea(attrs={"rows": 5}), "solution": forms.Textarea(attrs={"rows": 4})}


class ReviewDecisionForm(forms.Form):
    """Approve or reject one or many items; a rejection needs a reason."""

    action = forms.ChoiceField(label="Decision", choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(label="Reason (required to reject)", required=False, max_length=1000)
    items = IdsChoiceField(
        label="Items",
        queryset=Item.objects.none(),
        required=True,
        error_messages={
            "required": "Choose at least one item.",
            # Another reviewer may have decided on it since this page was loaded.
            "invalid_choice": "Item %(value)s is no longer awaiting your review; reload the queue.",
        },
    )

    def __init__(self, *args, queryset: QuerySet[Item] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["items"].queryset = queryset if queryset is not None else Item.objects.none()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("action") == "reject" and not data.get("reason", "").strip():
            self.add_error("reason", "Say why the item is rejected; the reason is kept with it.")
        return data
