"""The background pipeline: model registry, pipeline runs and the stages Celery runs.

- ``registry``: trained artefacts, their checksums, the gate, promotion and rollback;
- ``runs``: opening a retraining (never two at once), stage progress and log, closing it;
- ``records``: learning records as the student model's histories, the held-out students;
- ``training`` (student model), ``generator`` (bootstrap and fine-tuning), ``generation``
  (rejection sampling per skill) and ``refresh`` (mastery, recommendations): the stages'
  services, each a thin layer over the framework-free engine in ``edursft/``;
- ``workflow``: the stages as one Celery canvas; ``selectors``: what the pages read;
- ``config``: sizes, budgets and gate margins, recorded on every run.
"""
