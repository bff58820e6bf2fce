"""The press space's live event, captured through the harness (collab.testing)."""

from collab import events
from collab.testing import capture_events
from requests import services as engine
from tests.press.dossier_fixtures import checklist


def test_a_dossier_returned_tells_its_own_company_only(space):
    from press import dossiers

    owner = space["a"]
    documents, issued = checklist(space["types"]["press_card"])
    req = dossiers.file_press_card(
        owner["member"], owner["company"], journalist_id=owner["journalist"].pk,
        position="Reporter", monthly_salary="9000", documents=documents, issued_on=issued)
    with capture_events() as captured:
        engine.return_for_correction(
            req.pk, space["officer"], items=[{"kind": "text", "text": "Précisez le salaire"}])
    html = captured.assert_published(events.APPLICATION_UPDATED, to=owner["organisation"].pk,
                                     id=req.pk, stage="returned")["html"]
    assert "Précisez le salaire" in html and "Corrections à apporter" in html
    assert captured.recipients(events.APPLICATION_UPDATED) == {str(owner["organisation"].pk)}
