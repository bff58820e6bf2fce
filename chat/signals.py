"""Directorate channels follow User.directorate, whoever changes it."""

from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from collab.models import Directorate, User

from . import services


@receiver(pre_save, sender=User)
def remember_directorate(sender, instance: User, **kwargs):
    instance._chat_previous_directorate_id = (
        User.objects.filter(pk=instance.pk).values_list("directorate_id", flat=True).first()
        if instance.pk
        else None
    )


@receiver(post_save, sender=User)
def follow_directorate(sender, instance: User, created, raw=False, **kwargs):
    if raw:
        return
    previous = getattr(instance, "_chat_previous_directorate_id", None)
    if created or previous != instance.directorate_id:
        services.sync_directorate_membership(instance, previous)
    if created:
        services.join_ministry_channels(instance)


@receiver(post_save, sender=Directorate)
def open_directorate_channel(sender, instance: Directorate, created, raw=False, **kwargs):
    if created and not raw:
        services.ensure_directorate_channel(instance)
