"""The background pipeline: model registry, pipeline runs and the stages Celery runs.

``registry`` keeps trained artefacts and decides which version is active;
``runs`` opens, advances and closes a retraining and its per-stage progress;
``records`` turns learning records into the student model's histories;
``training`` and ``generation`` are the stages' services, each a thin layer over
the framework-free engine in ``edursft/``; ``workflow`` chains them for Celery.
"""
