"""Open sockets learn at once that their login ended, in the common cases.

These are the fast path only: ``QuerySet.update()``, raw SQL and expiry fire
no signal, and each worker's sweep (collab/session_guard.py) closes those
sockets within seconds.
"""

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from . import services
from .models import User


@receiver(user_logged_out)
def close_sockets_on_logout(sender, request, user, **kwargs):
    session_key = request.session.session_key if hasattr(request, "session") else None
    if session_key:
        services.end_session(session_key)


@receiver(pre_save, sender=User)
def remember_login_state(sender, instance: User, update_fields=None, **kwargs):
    # One read of what ends a login (active flag, password hash), skipped for
    # saves that cannot change either (e.g. last_login at each sign-in).
    instance._stored_login_state = None
    if instance.pk is None:
        return
    if update_fields is not None and not {"is_active", "password"} & set(update_fields):
        return
    instance._stored_login_state = (
        User.objects.filter(pk=instance.pk).values_list("is_active", "password").first()
    )


@receiver(post_save, sender=User)
def close_sockets_on_deactivation(sender, instance: User, created, **kwargs):
    # Whoever deactivates or sets a password (admin, profile page, shell, a
    # service), open sockets close at once.
    stored = getattr(instance, "_stored_login_state", None)
    if stored is None:
        return
    was_active, password = stored
    if was_active and not instance.is_active:
        services.disable_account_sockets(instance)
    elif password != instance.password:
        # Other sessions of the user no longer carry the password's hash; the
        # one that changed it (profile page) was given a new key. Each socket
        # checks its own login.
        services.recheck_account_sockets(instance)


@receiver(post_delete, sender=User)
def close_sockets_on_deletion(sender, instance: User, **kwargs):
    services.disable_account_sockets(instance, reason="account deleted")
