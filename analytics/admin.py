"""Admin pages for assessments."""

from django.contrib import admin

from analytics import models


class AssessmentResultInline(admin.TabularInline):
    model = models.AssessmentResult
    raw_id_fields = ["student"]
    extra = 0


@admin.register(models.Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["name", "classroom", "skill", "phase", "given_on"]
    list_filter = ["phase", "classroom"]
    search_fields = ["name", "skill__name"]
    inlines = [AssessmentResultInline]


@admin.register(models.AssessmentResult)
class AssessmentResultAdmin(admin.ModelAdmin):
    list_display = ["assessment", "student", "score"]
    search_fields = ["student__username", "assessment__name"]
    raw_id_fields = ["student"]
