"""A student's recommendation list records when it was computed and with which student model.

Before, a list counted as computed only if it had rows, so a student with an empty
list had it recomputed over the whole approved bank on every visit of the home page.
Lists that have rows are marked computed when their newest row was made, with the
model version on their rows; students without rows get no mark, so their list is
computed on their next visit, as before.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import Max


def mark_existing_lists(apps, schema_editor) -> None:
    Recommendation = apps.get_model("tutoring", "Recommendation")
    RecommendationList = apps.get_model("tutoring", "RecommendationList")
    # One refresh writes a student's rows with one model version, so Max picks that one.
    lists = (
        Recommendation.objects.values_list("student_id")
        .annotate(made=Max("created_at"), version=Max("model_version"))
        .order_by("student_id")
    )
    RecommendationList.objects.bulk_create(
        (
            RecommendationList(student_id=student_id, computed_at=made, model_version_id=version)
            for student_id, made, version in lists.iterator()
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("tutoring", "0006_xapi_client_scopes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="RecommendationList",
            fields=[
                (
                    "student",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="recommendation_list",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "computed_at",
                    models.DateTimeField(
                        help_text="When the computation started: records and approvals after it make the list stale."
                    ),
                ),
                (
                    "model_version",
                    models.ForeignKey(
                        blank=True,
                        help_text="The student model it used; empty before the first one was trained.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="tutoring.modelversion",
                    ),
                ),
            ],
            options={"verbose_name": "recommendation list"},
        ),
        migrations.AddIndex(
            model_name="item",
            index=models.Index(fields=["status", "updated_at"], name="item_status_updated"),
        ),
        migrations.RunPython(mark_existing_lists, migrations.RunPython.noop),
    ]
