"""Assessments: pre- and post-tests that dashboards turn into normalised gains."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from tutoring.models import Classroom, Skill


class Assessment(models.Model):
    """A test given to a class on one or more skills, before or after teaching."""

    class Phase(models.TextChoices):
        PRE = "pre", "Pre-test"
        POST = "post", "Post-test"

    name = models.CharField(max_length=200)
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assessments")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="assessments")
    phase = models.CharField(max_length=8, choices=Phase.choices)
    given_on = models.DateField()

    class Meta:
        ordering = ["-given_on"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_phase_display()}, {self.given_on})"


class AssessmentResult(models.Model):
    """One student's score on an assessment, as a fraction of the maximum."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="results")
    student = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assessment_results"
    )
    score = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "student"], name="one_result_per_student_assessment"
            ),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=1), name="assessment_score_in_unit_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student}: {self.score:.0%} on {self.assessment}"
