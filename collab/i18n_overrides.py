"""Strings Django already translates, translated again in the ministry's words.

Django's Arabic catalogue for naturaltime ("3 minutes ago") uses one noun form
for every number ("منذ 3 دقيقة"). Listing the strings here keeps them in
collab's catalogue, which settings.LOCALE_PATHS puts ahead of Django's own, so
the Arabic agrees with the number (دقيقتين، 3 دقائق، 11 دقيقة). Nothing imports
this module: it exists for makemessages.
"""

from django.utils.translation import ngettext_lazy

NATURALTIME_PAST = [
    ngettext_lazy("a second ago", "%(count)s seconds ago", "count"),
    ngettext_lazy("a minute ago", "%(count)s minutes ago", "count"),
    ngettext_lazy("an hour ago", "%(count)s hours ago", "count"),
]
