"""Students' and teachers' pages; see tutoring/urls.py."""

from django.urls import path

from tutoring.views import student, teacher

urlpatterns = [
    path("learn/items/<int:pk>/", student.item, name="student-item"),
    path("learn/progress/", student.progress, name="student-progress"),
    path("teach/", teacher.classes, name="teacher-classes"),
    path("teach/classes/<int:pk>/", teacher.classroom, name="teacher-classroom"),
    path(
        "teach/classes/<int:pk>/students/<int:student_pk>/", teacher.student_progress, name="teacher-student"
    ),
    path("teach/items/", teacher.items, name="teacher-items"),
    path("teach/items/new/", teacher.item_new, name="teacher-item-new"),
    path("teach/items/<int:pk>/edit/", teacher.item_edit, name="teacher-item-edit"),
    path("teach/criteria/", teacher.criteria_list, name="teacher-criteria"),
    path("teach/criteria/new/", teacher.criteria_new, name="teacher-criteria-new"),
    path("teach/criteria/<int:pk>/", teacher.criteria_edit, name="teacher-criteria-edit"),
    path("teach/review/", teacher.review_queue, name="teacher-review"),
    path("teach/review/<int:pk>/", teacher.review_item, name="teacher-review-item"),
    path("teach/review/<int:pk>/decide/", teacher.review_decide, name="teacher-review-decide"),
]
