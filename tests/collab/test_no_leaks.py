"""No leaks through errors: every URL that takes an object id (or name) answers
someone who may not see that object exactly as it answers for an id that does
not exist: the same status (404) and the same body, for GET and POST alike.

The URLs are enumerated from the resolver: a new one with a parameter fails
this test until it has a case below (or an exemption saying why its objects
are not private), so no endpoint goes unchecked.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

MISSING_INT = 987_654_321
MISSING_NAME = "nobody-by-this-name"

# Namespaces whose URLs are not checked here, and why.
EXEMPT_NAMESPACES = {
    # Django's admin: staff accounts only, with its own per-model permissions.
    "admin",
}
# URLs with a parameter whose objects are public to every signed-in member of
# staff (or to anyone), so there is nothing to hide.
PUBLIC = {
    "profile": "the staff directory: every member of staff sees every active colleague",
    "chat:direct": "a colleague's username, as in the directory",
    "avatar": "a colleague's photo, beside their name in the directory (press accounts: 404)",
    "requests:create": "the catalogue of request types, the same for everyone",
    "requests:leave_quote": "the catalogue of request types, the same for everyone",
    "requests:verify_code": "public by design: anyone holding a certificate's code checks it",
    "verify_document": "public by design: anyone holding an issued document's code checks it",
    "verify_document_photo": "public by design: the holder's photo beside the verification",
}


def _parametrised_url_names(patterns=None, prefix=""):
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in EXEMPT_NAMESPACES:
                continue
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _parametrised_url_names(entry.url_patterns, namespace)
        elif isinstance(entry, URLPattern) and entry.pattern.converters and entry.name:
            yield prefix + entry.name


# ---- The world: an owner's objects, and a member of staff who may see none -------


@pytest.fixture
def world(db, settings, tmp_path, user_factory, directorate_factory):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import timezone

    from announcements.models import Announcement
    from announcements.models import Attachment as AnnouncementAttachment
    from announcements.models import Image as AnnouncementImage
    from chat import services as chat_services
    from collab.services import notify
    from files import services as file_services
    from files.storage import get_file_store
    from requests import services as request_services
    from requests.defaults import ensure_default_types
    from requests.models import (
        RequestAttachment,
        RequestType,
    )

    settings.FILE_STORE = "local"
    settings.FILE_STORE_DIR = tmp_path / "store"
    get_file_store.cache_clear()
    ensure_default_types()
    home, elsewhere = directorate_factory(), directorate_factory()
    owner = user_factory(directorate=home, role="manager", preferred_language="en")
    friend = user_factory(directorate=home, preferred_language="en")
    viewer = user_factory(directorate=elsewhere, preferred_language="en")

    group = chat_services.create_group(owner, "Private group", [friend.pk])
    file = file_services.upload_file(owner, io.BytesIO(b"private bytes"), "secret.txt").file
    share = file_services.share_with_users(file, [friend], owner)[0]
    draft = Announcement.objects.create(
        author=owner, title_fr="Brouillon", body_fr="Texte", state=Announcement.State.DRAFT,
        created_at=timezone.now(),
    )
    circular = file_services.store_attachment(
        owner, SimpleUploadedFile("circular.txt", b"circular"), attached_to="announcements"
    )
    announcement_attachment = AnnouncementAttachment.objects.create(
        announcement=draft, file=circular.file)
    # An image in the draft's text: readable only by those who may read the draft.
    picture = file_services.store_attachment(
        owner, SimpleUploadedFile("picture.png", b"picture"), attached_to="announcements"
    )
    announcement_image = AnnouncementImage.objects.create(
        announcement=draft, file=picture.file, uploaded_by=owner)
    notify(friend, kind="test", title="For the friend only")
    notification = friend.notifications.get(kind="test")
    certificate_type = RequestType.objects.filter(
        family=RequestType.Family.CERTIFICATE, active=True).first()
    request = request_services.submit_certificate(friend, certificate_type, language="fr")
    medical = file_services.store_attachment(
        friend, SimpleUploadedFile("note.txt", b"note"), attached_to="staff_requests")
    request_attachment = RequestAttachment.objects.create(request=request, file=medical.file)
    yield {
        "viewer": viewer, "owner": owner, "friend": friend, "group": group, "file": file,
        "share": share, "draft": draft, "announcement_attachment": announcement_attachment,
        "announcement_image": announcement_image,
        "notification": notification, "request": request,
        "request_attachment": request_attachment,
    }
    get_file_store.cache_clear()


def _int_case(key, **others):
    """The object ``world[key]`` under ``pk`` (other parameters fixed) vs a missing pk."""
    def build(world):
        fixed = {name: (value(world) if callable(value) else value)
                 for name, value in others.items()}
        return {"pk": world[key].pk, **fixed}, {"pk": MISSING_INT, **fixed}
    return build


# Each URL with a parameter: (the viewer's kwargs for an existing object they may
# not see, the kwargs for a missing one).
CASES = {
    # collab
    "notification_read": _int_case("notification"),
    # chat: a group the viewer is not in
    "chat:conversation": _int_case("group"),
    "chat:history": _int_case("group"),
    "chat:send": _int_case("group"),
    "chat:read": _int_case("group"),
    "chat:rename": _int_case("group"),
    "chat:invite": _int_case("group"),
    "chat:leave": _int_case("group"),
    "chat:remove": _int_case("group", user_id=lambda w: w["friend"].pk),
    "chat:mute": _int_case("group"),
    "chat:mentions": _int_case("group"),
    # files: a file shared with someone else
    "files:detail": _int_case("file"),
    "files:share": _int_case("file"),
    "files:share_conversation": _int_case("file"),
    "files:revoke": _int_case("file", share_pk=lambda w: w["share"].pk),
    "files:delete": _int_case("file"),
    "files:download": _int_case("file"),
    "files:preview": _int_case("file"),
    "files:thumbnail": _int_case("file"),
    "files:directorate_of": lambda w: ({"pk": w["owner"].directorate_id}, {"pk": MISSING_INT}),
    # announcements: another author's draft
    "announcements:detail": _int_case("draft"),
    "announcements:edit": _int_case("draft"),
    "announcements:publish": _int_case("draft"),
    "announcements:withdraw": _int_case("draft"),
    "announcements:acknowledge": _int_case("draft"),
    "announcements:stats": _int_case("draft"),
    "announcements:stats_csv": _int_case("draft"),
    "announcements:attachment": _int_case(
        "draft", attachment_pk=lambda w: w["announcement_attachment"].pk),
    "announcements:api_detail": _int_case("draft"),
    "announcements:image": _int_case("announcement_image"),
    # requests: a colleague's request in another directorate
    "requests:detail": _int_case("request"),
    "requests:decide_step": _int_case("request", step=1),
    "requests:cancel": _int_case("request"),
    "requests:certificate_pdf": _int_case("request"),
    "requests:decision_pdf": _int_case("request"),
    "requests:attachment": _int_case(
        "request", attachment_id=lambda w: w["request_attachment"].pk),
    "requests:return": _int_case("request"),
    "requests:resubmit": _int_case("request"),
    "requests:suspend": _int_case("request"),
    "requests:resume": _int_case("request"),
    "requests:forward": _int_case("request"),
    "requests:take": _int_case("request"),
    "requests:assign": _int_case("request"),
    "requests:draft": _int_case("request"),
    "requests:message": _int_case("request"),
    "requests:check_document": _int_case("request", document_id=1),
    "requests:balance": lambda w: ({"username": w["friend"].username},
                                   {"username": MISSING_NAME}),
}


# Namespaces whose objects live in a world of their own (press companies,
# courses): each app's own leak test builds that world, runs the same check and
# proves with ``_parametrised_url_names`` that it covers every URL of its namespace.
OWN_WORLD_NAMESPACES = {
    "press": "tests/press/test_no_leaks.py",
    "training": "tests/training/test_no_leaks.py",
}


def test_every_url_with_a_parameter_is_covered():
    names = set(_parametrised_url_names())
    for namespace, test_file in OWN_WORLD_NAMESPACES.items():
        own = {name for name in names if name.startswith(namespace + ":")}
        if own:
            assert (Path(__file__).resolve().parents[2] / test_file).exists(), \
                f"{sorted(own)} need their leak test in {test_file}"
        names -= own
    unchecked = names - set(CASES) - set(PUBLIC)
    assert not unchecked, f"add a case (or a reason in PUBLIC) for: {sorted(unchecked)}"
    assert not (set(CASES) | set(PUBLIC)) - names, "cases for URLs that no longer exist"


def _answer(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_object_you_may_not_see_answers_as_a_missing_one(name, world, client_for):
    existing, missing = CASES[name](world)
    client = client_for(world["viewer"])
    statuses = set()
    for method in ("get", "post"):
        send = getattr(client, method)
        hidden = _answer(send(reverse(name, kwargs=existing)))
        absent = _answer(send(reverse(name, kwargs=missing)))
        assert hidden == absent, (method, hidden[0], absent[0], hidden[1][:300])
        statuses.add(hidden[0])
    # Refused as not found: never a 403 saying the object is there.
    assert 404 in statuses and 403 not in statuses, statuses
