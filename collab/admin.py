from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Directorate, Notification, User


@admin.register(Directorate)
class DirectorateAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_ar", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["code", "name_fr", "name_ar"]
    autocomplete_fields = ["parent"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "directorate", "role", "is_active"]
    list_filter = ["role", "is_active", "directorate__kind", "directorate"]
    search_fields = ["username", "first_name", "last_name", "full_name_ar", "email", "job_title"]
    autocomplete_fields = ["directorate", "manager"]
    fieldsets = BaseUserAdmin.fieldsets + (
        (
            _("Ministry"),
            {
                "fields": (
                    "full_name_ar",
                    "gender",
                    "directorate",
                    "role",
                    "manager",
                    "job_title",
                    "job_title_ar",
                    "job_title_en",
                    "preferred_language",
                )
            },
        ),
    )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["title", "recipient", "kind", "created_at", "read_at"]
    list_filter = ["kind"]
    search_fields = ["title", "recipient__username"]
    raw_id_fields = ["recipient"]
