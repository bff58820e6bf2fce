"""Django's makemessages, also extracting the texts translated when read (collab/later.py)."""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [
        *makemessages.Command.xgettext_options,
        "--keyword=gettext_later",
        "--keyword=ngettext_later:1,2",
    ]
