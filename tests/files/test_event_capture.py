"""Files' live events, captured through the harness (collab.testing)."""

import io

from collab import events
from collab.testing import capture_events
from files import services


def test_sharing_then_revoking_tells_the_recipient(local_store, user_factory):
    owner, colleague = user_factory(), user_factory(preferred_language="fr")
    version = services.upload_file(owner, io.BytesIO(b"circular"), "note.txt")

    with capture_events() as captured:
        [share] = services.share_with_users(version.file, [colleague], owner)
    html = captured.assert_published(events.FILES_SHARED, to=colleague.pk,
                                     file_id=version.file_id)["html"]
    assert "Télécharger" in html  # the recipient's language
    captured.assert_published(events.NOTIFICATION_CREATED, to=colleague.pk, kind="files.shared")

    with capture_events() as captured:
        services.revoke_share(share, owner)
    captured.assert_published(events.FILES_REMOVED, to=colleague.pk, file_id=version.file_id)
    assert captured.recipients(events.FILES_REMOVED) == {str(colleague.pk)}
