"""Admin pages a school admin can work with: search, filters, readable columns."""

from django.contrib import admin, messages

from tutoring import models
from tutoring.audit import record_event
from tutoring.xapi.credentials import issue_credentials


@admin.register(models.Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "role", "external_id"]
    list_filter = ["role"]
    search_fields = ["user__username", "display_name", "external_id"]
    list_select_related = ["user"]


@admin.register(models.Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name", "teachers__username"]
    filter_horizontal = ["teachers", "students"]


@admin.register(models.Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["name", "external_id"]
    search_fields = ["name", "description", "external_id"]
    filter_horizontal = ["prerequisites"]


@admin.register(models.Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "source", "status", "difficulty", "created_at"]
    list_filter = ["kind", "source", "status", "skills"]
    search_fields = ["title", "text", "source_ref"]
    filter_horizontal = ["skills"]
    raw_id_fields = ["target_item", "model_version", "generation_run", "created_by", "reviewed_by"]


@admin.register(models.XapiClient)
class XapiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "is_active", "may_write", "may_read", "created_at", "revoked_at"]
    list_filter = ["is_active", "may_write", "may_read"]
    search_fields = ["name", "key"]
    readonly_fields = ["key", "secret_hash", "created_at"]
    # The key and secret are generated on add, never typed: a client is named and given its scopes.
    add_fields = ["name", "may_write", "may_read"]

    def get_fields(self, request, obj=None) -> list[str]:
        return self.add_fields if obj is None else super().get_fields(request, obj)

    def get_readonly_fields(self, request, obj=None) -> list[str]:
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        """Save, generating a new client's credentials (shown once), and audit credential changes."""
        secret = None if change else issue_credentials(obj)
        super().save_model(request, obj, form, change)
        if secret is not None:
            record_event(request.user, "xapi_client.created", obj.name, key=obj.key, scopes=obj.scopes)
            # Only the secret's hash is stored, so this message is the one chance to copy it.
            self.message_user(
                request,
                f"{obj.name} signs in with HTTP Basic key: {obj.key} — secret: {secret} — copy the "
                "secret into the tool now: it is shown only this once and cannot be recovered.",
                messages.WARNING,
            )
        elif {"may_write", "may_read"} & set(form.changed_data):
            record_event(request.user, "xapi_client.scopes", obj.name, key=obj.key, scopes=obj.scopes)


@admin.register(models.Statement)
class StatementAdmin(admin.ModelAdmin):
    list_display = ["id", "actor_key", "verb_id", "activity_id", "stored", "voided"]
    list_filter = ["voided", "verb_id"]
    search_fields = ["id", "actor_key", "activity_id"]
    date_hierarchy = "stored"
    readonly_fields = [f.name for f in models.Statement._meta.fields]


@admin.register(models.LearningRecord)
class LearningRecordAdmin(admin.ModelAdmin):
    list_display = ["student", "item", "skill", "correct", "score", "finished_at", "source"]
    list_filter = ["source", "correct"]
    search_fields = ["student__username", "skill__name", "item__title"]
    raw_id_fields = ["student", "item", "skill", "statement", "feedback_item"]
    list_select_related = ["student", "item", "skill"]


@admin.register(models.Mastery)
class MasteryAdmin(admin.ModelAdmin):
    list_display = ["student", "skill", "value", "attempts", "updated_at"]
    search_fields = ["student__username", "skill__name"]
    raw_id_fields = ["student", "skill"]
    list_select_related = ["student", "skill"]


@admin.register(models.MasterySnapshot)
class MasterySnapshotAdmin(admin.ModelAdmin):
    list_display = ["student", "skill", "value", "at"]
    search_fields = ["student__username", "skill__name"]
    raw_id_fields = ["student", "skill"]


@admin.register(models.CriteriaSet)
class CriteriaSetAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "classroom", "is_active", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["name"]
    filter_horizontal = ["skills"]


@admin.register(models.ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["label", "kind", "status", "parent", "created_at", "activated_at"]
    list_filter = ["kind", "status"]
    search_fields = ["label", "path", "checksum"]


@admin.register(models.PipelineRun)
class PipelineRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "trigger", "triggered_by", "created_at", "finished_at"]
    list_filter = ["status", "trigger"]
    readonly_fields = ["stages", "log", "error", "task_id"]


@admin.register(models.GenerationRun)
class GenerationRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "criteria", "model_version", "round", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["criteria__name"]


@admin.register(models.RejectedCandidate)
class RejectedCandidateAdmin(admin.ModelAdmin):
    list_display = ["__str__", "run", "skill", "created_at"]
    search_fields = ["text"]
    raw_id_fields = ["run", "skill"]


@admin.register(models.Recommendation)
class RecommendationAdmin(admin.ModelAdmin):
    list_display = ["student", "rank", "item", "score", "predicted_success", "created_at"]
    search_fields = ["student__username", "reason"]
    raw_id_fields = ["student", "item", "model_version"]


@admin.register(models.RecommendationList)
class RecommendationListAdmin(admin.ModelAdmin):
    list_display = ["student", "computed_at", "model_version"]
    search_fields = ["student__username"]
    list_filter = ["model_version"]
    readonly_fields = ["student", "computed_at", "model_version"]

    # Computed, never entered; deleting one makes the student's list recomputed on their next visit.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(models.AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "target"]
    list_filter = ["action"]
    search_fields = ["actor_name", "target"]
    readonly_fields = ["actor", "actor_name", "action", "target", "details", "at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


from tutoring import admin_actions  # noqa: E402, F401  (adds export, erase and revoke actions)
