from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import (
    Delegation,
    DocumentRequirement,
    IssuedDocument,
    LeaveBalance,
    LeaveBalanceEntry,
    LeavePolicy,
    Organisation,
    PublicHoliday,
    Request,
    RequestAttachment,
    RequestTransition,
    RequestType,
    RoutingRule,
    TimelineEntry,
    WorkflowStep,
)


class WorkflowStepInline(admin.StackedInline):
    model = WorkflowStep
    extra = 0
    show_change_link = True  # the step's page holds its routing rules


class DocumentRequirementInline(admin.TabularInline):
    model = DocumentRequirement
    extra = 0


@admin.register(RequestType)
class RequestTypeAdmin(admin.ModelAdmin):
    """Procedure types are data: stages, who decides, actions, norms, texts,
    routing rules and the document checklist are edited here."""

    list_display = ["code", "name_fr", "name_ar", "family", "applicant_kind",
                    "attachment_required", "active"]
    list_filter = ["family", "applicant_kind", "active"]
    inlines = [WorkflowStepInline, DocumentRequirementInline]


class RoutingRuleInline(admin.TabularInline):
    model = RoutingRule
    extra = 0


@admin.register(WorkflowStep)
class WorkflowStepAdmin(admin.ModelAdmin):
    list_display = ["request_type", "position", "stage", "decider", "norm_days"]
    list_filter = ["request_type", "decider"]
    inlines = [RoutingRuleInline]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["code", "name_fr", "name_ar", "active"]
    search_fields = ["code", "name_fr", "name_ar"]
    filter_horizontal = ["members"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """The audit trail and histories are append-only: no add, change or delete here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TransitionInline(admin.TabularInline):
    model = RequestTransition
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_stage", "to_stage", "actor", "on_behalf_of", "comment",
                       "at"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Request)
class RequestAdmin(ReadOnlyAdmin):
    list_display = ["id", "request_type", "requester", "stage", "created_at"]
    list_filter = ["stage", "request_type"]
    search_fields = ["requester__username", "requester__last_name"]
    inlines = [TransitionInline]

    def has_view_permission(self, request, obj=None):
        return request.user.is_staff


@admin.register(RequestTransition)
class RequestTransitionAdmin(ReadOnlyAdmin):
    list_display = ["request", "action", "from_stage", "to_stage", "actor", "on_behalf_of", "at"]
    list_filter = ["action"]


@admin.register(RequestAttachment)
class RequestAttachmentAdmin(ReadOnlyAdmin):
    list_display = ["filename", "request", "file", "created_at"]


@admin.register(PublicHoliday)
class PublicHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "is_holiday", "name_fr", "name_ar"]
    list_filter = ["is_holiday"]
    date_hierarchy = "date"


@admin.register(LeavePolicy)
class LeavePolicyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "annual_entitlement", "carry_over_max_days",
                    "sick_leave_backdate_days"]

    def has_add_permission(self, request):
        return not LeavePolicy.objects.exists()


class BalanceEntryInline(admin.TabularInline):
    model = LeaveBalanceEntry
    extra = 0
    can_delete = False
    readonly_fields = ["kind", "days", "reason", "request", "by", "at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LeaveBalance)
class LeaveBalanceAdmin(admin.ModelAdmin):
    """Balances change only through entries: HR adjusts with a reason on the
    balance page (requests:balance_adjust), so every change is in the history."""

    list_display = ["employee", "year", "entitlement", "carried_over", "adjustments", "taken",
                    "remaining"]
    list_filter = ["year"]
    search_fields = ["employee__username", "employee__last_name"]
    readonly_fields = ["employee", "year", "entitlement", "carried_over", "adjustments", "taken"]
    inlines = [BalanceEntryInline]

    @admin.display(description=_("remaining"))
    def remaining(self, obj):
        return obj.remaining

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # its history is append-only and protects it


@admin.register(Delegation)
class DelegationAdmin(admin.ModelAdmin):
    list_display = ["manager", "acting_manager", "start_date", "end_date"]
    autocomplete_fields = ["manager", "acting_manager"]


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["request", "seq", "kind", "public", "actor", "at"]
    list_filter = ["kind", "public"]


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "request", "language", "issued_at"]
