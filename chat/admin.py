from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from . import services
from .models import Conversation


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    """Administrators create ministry-wide channels here (e.g. "all staff")."""

    list_display = ["__str__", "kind", "last_seq", "last_activity_at"]
    list_filter = ["kind"]
    fields = ["title", "posting_roles"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(kind=Conversation.Kind.MINISTRY)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            created = services.create_ministry_channel(
                request.user, obj.title, form.cleaned_data.get("posting_roles") or []
            )
        except services.ChatError as exc:
            messages.error(request, exc.message)
            return
        obj.pk = created.pk
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None):
        return False


ConversationAdmin.verbose_name = _("Ministry-wide channel")
