"""Live and hostile: a company's sockets hear its own dossiers move and nothing
of another company's; an infected document is refused beside its line."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from requests import services as engine
from requests.lifecycle import WorkflowError
from requests.models import Request
from tests.conftest import connect_socket
from tests.files.conftest import EICAR, clamd_socket  # noqa: F401
from tests.press.dossier_fixtures import checklist


async def _events(communicator, limit=10) -> dict:
    seen = {}
    for _ in range(limit):
        frame = await communicator.receive_json_from(timeout=5)
        if frame.get("type") == "event":
            seen.setdefault(frame["event"], frame["data"])
            if "application.updated" in seen:
                return seen
    return seen


@pytest.mark.django_db(transaction=True)
async def test_the_company_sees_its_dossier_move_live_and_no_one_else_does(space):
    from press import dossiers

    owner = space["a"]

    def file():
        documents, issued = checklist(space["types"]["press_card"])
        return dossiers.file_press_card(
            owner["member"], owner["company"], journalist_id=owner["journalist"].pk,
            position="Reporter", monthly_salary="9000", documents=documents, issued_on=issued)

    req = await sync_to_async(file)()
    mine, connected, _ = await connect_socket(owner["member"])
    other, connected_too, _ = await connect_socket(space["b"]["member"])
    assert connected and connected_too
    assert (await mine.receive_json_from(timeout=5))["type"] == "hello"
    assert (await other.receive_json_from(timeout=5))["type"] == "hello"
    try:
        await sync_to_async(engine.return_for_correction)(
            req.pk, space["officer"], items=[{"kind": "text", "text": "Précisez le salaire"}])
        update = (await _events(mine))["application.updated"]
        assert update["id"] == req.pk and update["stage"] == "returned"
        assert f'id="dossier-{req.pk}-live"' in update["html"]
        assert "Précisez le salaire" in update["html"]
        # Rendered in the company's language (French), whoever acted.
        assert "Corrections à apporter" in update["html"]
        assert await other.receive_nothing(timeout=0.5)
    finally:
        await mine.disconnect()
        await other.disconnect()


@pytest.mark.django_db
def test_an_infected_document_is_refused_beside_its_line(space, settings, clamd_socket):  # noqa: F811
    from press import dossiers

    settings.FILES_SCAN_ENABLED = True
    settings.FILES_SCANNER = "files.scanning.ClamdScanner"
    settings.CLAMD_SOCKET = clamd_socket
    kind = space["types"]["press_card"]
    line = next(d for d in kind.documents.all() if "application/pdf" in d.accepted_types)
    documents, issued = checklist(kind)
    documents[line.pk] = SimpleUploadedFile("virus.pdf", EICAR, content_type="application/pdf")
    owner = space["a"]
    with pytest.raises(WorkflowError) as refused:
        dossiers.file_press_card(owner["member"], owner["company"],
                                 journalist_id=owner["journalist"].pk, position="Reporter",
                                 monthly_salary="9000", documents=documents, issued_on=issued)
    assert refused.value.field == f"document-{line.pk}" and "virus.pdf" in refused.value.message
    assert not Request.objects.exists()
