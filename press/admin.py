"""The press space in the admin: the dossiers' configuration the ministry
edits each year (campaigns and salary floors, train card quotas, support
eligibility rules). The dossier types themselves are engine procedure types
(Procedures → request types)."""

from django.contrib import admin

from .models_dossiers import (
    CommitteeMinutes,
    PressCampaign,
    SalaryFloor,
    SupportEligibilityRule,
    TrainCardQuota,
)


class SalaryFloorInline(admin.TabularInline):
    model = SalaryFloor
    extra = 0


@admin.register(PressCampaign)
class PressCampaignAdmin(admin.ModelAdmin):
    list_display = ["year", "deposit_opens", "deposit_closes", "completion_opens",
                    "completion_closes"]
    inlines = [SalaryFloorInline]


@admin.register(TrainCardQuota)
class TrainCardQuotaAdmin(admin.ModelAdmin):
    list_display = ["year", "quota"]


@admin.register(SupportEligibilityRule)
class SupportEligibilityRuleAdmin(admin.ModelAdmin):
    list_display = ["fact", "operator", "value", "active"]
    list_filter = ["active"]


@admin.register(CommitteeMinutes)
class CommitteeMinutesAdmin(admin.ModelAdmin):
    list_display = ["request", "held_on", "recorded_by"]
    readonly_fields = ["request", "step", "held_on", "attendees", "minutes", "recorded_by"]

    def has_add_permission(self, request):
        return False  # recorded by the committee on the dossier's page
