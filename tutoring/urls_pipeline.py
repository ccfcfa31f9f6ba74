"""Routes of one area of the site; see tutoring/urls.py."""

urlpatterns: list = []
