"""Directorate channels follow User.directorate, and conversations the languages
of their members, whoever changes them."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from collab.models import Directorate, User

from . import services


@receiver(pre_save, sender=User)
def remember_directorate(sender, instance: User, **kwargs):
    rows = User.objects.filter(pk=instance.pk) if instance.pk else User.objects.none()
    before = rows.values_list("directorate_id", "preferred_language").first()
    instance._chat_before = before or (None, None)


@receiver(post_save, sender=User)
def follow_directorate(sender, instance: User, created, raw=False, **kwargs):
    if raw:
        return
    previous, language = getattr(instance, "_chat_before", (None, None))
    if created or previous != instance.directorate_id:
        services.sync_directorate_membership(instance, previous)
    if created:
        services.join_ministry_channels(instance)
    elif language != instance.preferred_language:
        services.note_member_language(instance)


@receiver(post_save, sender=Directorate)
def open_directorate_channel(sender, instance: Directorate, created, raw=False, **kwargs):
    if created and not raw:
        services.ensure_directorate_channel(instance)
