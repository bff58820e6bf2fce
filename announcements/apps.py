from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnouncementsConfig(AppConfig):
    name = "announcements"
    verbose_name = _("Announcements")

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import urgent
        from .models import Announcement

        def forget(**kwargs):
            urgent.forget()

        # Any save or deletion, the admin's included, may change the urgent banners.
        post_save.connect(forget, sender=Announcement, weak=False,
                          dispatch_uid="announcements.urgent.save")
        post_delete.connect(forget, sender=Announcement, weak=False,
                            dispatch_uid="announcements.urgent.delete")
        m2m_changed.connect(forget, sender=Announcement.target_directorates.through,
                            weak=False, dispatch_uid="announcements.urgent.targets")
