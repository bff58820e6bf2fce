from django.contrib import admin

from .models import Announcement


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    """Read-only: writes go through announcements.services (sanitising, audience
    rules, live fan-out), which the admin would bypass."""

    list_display = ["__str__", "category", "priority", "state", "to_all_staff", "published_at",
                    "author"]
    list_filter = ["state", "category", "priority"]
    search_fields = ["title_ar", "title_fr"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
