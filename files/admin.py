from django.contrib import admin

from .models import File, FileVersion, Share


class FileVersionInline(admin.TabularInline):
    model = FileVersion
    fk_name = "file"
    extra = 0
    fields = ["number", "size", "content_type", "sha256", "scan_status", "scan_detail"]
    readonly_fields = fields
    can_delete = False


@admin.register(File)
class FileAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "attached_to", "updated_at"]
    list_filter = ["attached_to"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner", "current_version"]
    inlines = [FileVersionInline]


@admin.register(FileVersion)
class FileVersionAdmin(admin.ModelAdmin):
    list_display = ["file", "number", "size", "content_type", "scan_status", "uploaded_at"]
    list_filter = ["scan_status"]
    raw_id_fields = ["file", "uploaded_by"]


@admin.register(Share)
class ShareAdmin(admin.ModelAdmin):
    list_display = ["file", "user", "directorate", "conversation_id", "created_at", "revoked_at"]
    raw_id_fields = ["file", "user", "created_by"]
