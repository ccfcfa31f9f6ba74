"""EduRSFT: the Django project package and the framework-free RSFT engine.

The engine subpackages (datasets, criteria, sampling, generation, studentmodel,
recommender) never import Django or Celery; the Django apps import them.
"""
