"""Socket groups every user joins for announcements (settings.COLLAB_SOCKET_GROUP_PROVIDERS)."""

from collab.events import Audience, group_name

ALL_STAFF_KEY = "all"
ALL_STAFF_GROUP = group_name(Audience.DIRECTORATE, ALL_STAFF_KEY)


def socket_groups(user) -> list[str]:
    # Every signed-in socket receives all-staff announcements: one group, one
    # publish per announcement, whatever the number of directorates.
    return [ALL_STAFF_GROUP]
