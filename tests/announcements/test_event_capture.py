"""Announcements' live events, captured through the harness (collab.testing)."""

from announcements import services
from announcements.sockets import ALL_STAFF_KEY
from collab import events
from collab.testing import capture_events

from .conftest import data


def test_an_urgent_announcement_s_life_publishes_its_events(ministry):
    officer, casa = ministry["officer"], ministry["casa"]
    with capture_events() as captured:
        a = services.save_announcement(
            officer, data(directorate_ids=[casa.pk], priority="urgent"), services.PUBLISH)
    render = captured.assert_published(events.ANNOUNCEMENT_PUBLISHED, to=casa.pk, id=a.pk)["render"]
    assert set(render) == {"ar", "fr", "en"} and "banner" in render["fr"]

    with capture_events() as captured:
        services.acknowledge(ministry["casa_staff"], a)
    captured.assert_published(events.ANNOUNCEMENT_ACKNOWLEDGED, to=ministry["casa_staff"].pk,
                              id=a.pk)
    captured.assert_published(events.ANNOUNCEMENT_RECEIPTS, to=officer.pk, id=a.pk)

    with capture_events() as captured:
        services.save_announcement(officer, data(directorate_ids=[casa.pk], priority="urgent",
                                                 title_fr="Modifiée"),
                                   services.PUBLISH, announcement=a)
    assert "Modifiée" in captured.assert_published(
        events.ANNOUNCEMENT_UPDATED, to=casa.pk, id=a.pk)["render"]["fr"]["item"]

    with capture_events() as captured:
        services.withdraw(officer, a)
    captured.assert_published(events.ANNOUNCEMENT_WITHDRAWN, to=casa.pk, id=a.pk)
    assert captured.recipients(events.ANNOUNCEMENT_WITHDRAWN) == {str(casa.pk)}


def test_an_all_staff_announcement_is_one_event_to_the_all_group(ministry):
    with capture_events() as captured:
        a = services.save_announcement(ministry["officer"], data(to_all_staff=True),
                                       services.PUBLISH)
    assert captured.recipients(events.ANNOUNCEMENT_PUBLISHED) == {ALL_STAFF_KEY}
    assert "banner" not in captured.assert_published(
        events.ANNOUNCEMENT_PUBLISHED, to=ALL_STAFF_KEY, id=a.pk)["render"]["ar"]
