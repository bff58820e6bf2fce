from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from . import services
from .models import User


@receiver(user_logged_out)
def close_sockets_on_logout(sender, request, user, **kwargs):
    session_key = request.session.session_key if hasattr(request, "session") else None
    if session_key:
        services.end_session(session_key)


@receiver(pre_save, sender=User)
def remember_active_state(sender, instance: User, **kwargs):
    instance._was_active = (
        instance.pk is not None
        and User.objects.filter(pk=instance.pk, is_active=True).exists()
    )


@receiver(post_save, sender=User)
def close_sockets_on_deactivation(sender, instance: User, created, **kwargs):
    # Whoever deactivates (admin, shell, a service), open sockets close at once.
    if getattr(instance, "_was_active", False) and not instance.is_active:
        services.disable_account_sockets(instance)
