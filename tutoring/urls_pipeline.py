"""Routes of the retraining pipeline's admin pages (mounted at /pipeline/)."""

from django.urls import path

from tutoring.views import pipeline

urlpatterns = [
    path("", pipeline.index, name="pipeline-index"),
    path("retrain", pipeline.retrain, name="pipeline-retrain"),
    path("runs/<int:run_id>/", pipeline.run_detail, name="pipeline-run"),
    path("runs/<int:run_id>/status.json", pipeline.run_status, name="pipeline-run-status"),
    path("versions/", pipeline.versions, name="pipeline-versions"),
    path("versions/<int:version_id>/rollback", pipeline.rollback, name="pipeline-rollback"),
]
