"""Social services go to the HR officer for social affairs; attachments in the file store."""

import hashlib
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from files.models import File
from files.storage import blob_key, get_file_store
from requests import services, workflow
from requests.models import Request, RequestAttachment, Stage
from requests.workflow import NotDecider, WorkflowError

pytestmark = pytest.mark.django_db


def upload(name="facture.pdf", data=b"%PDF-1.4 invoice"):
    return SimpleUploadedFile(name, data, "application/pdf")


def test_social_request_is_routed_to_the_social_affairs_officer(org, types):
    req = services.submit_social(org["employee"], types["social-services"], service="medical",
                                 description="Remboursement", uploads=[upload()])
    assert req.stage == Stage.HR_PROCESSING
    assert workflow.deciders(req)[0] == [org["social"]]
    assert req.assignee == org["social"]
    with pytest.raises(NotDecider):
        services.decide(req.pk, org["hr"], approve=True)
    with pytest.raises(NotDecider):
        services.decide(req.pk, org["director"], approve=True)
    services.decide(req.pk, org["social"], approve=True, comment="Dossier transmis")
    assert Request.objects.get(pk=req.pk).stage == Stage.COMPLETED
    assert org["social"].notifications.filter(kind="request.decision_needed").exists()
    assert not org["hr"].notifications.filter(kind="request.decision_needed").exists()


def test_attachment_bytes_are_in_the_store_under_their_sha256(org, types, client_for):
    data = b"%PDF-1.4 a medical invoice"
    req = services.submit_social(org["employee"], types["social-services"], service="medical",
                                 description="Soins", uploads=[upload(data=data)])
    attachment = req.attachments.get()
    digest = hashlib.sha256(data).hexdigest()
    assert (attachment.version.sha256, attachment.size) == (digest, len(data))
    assert attachment.version.content_type == "application/pdf"  # detected from the bytes
    assert get_file_store().exists(blob_key(digest))
    response = client_for(org["social"]).get(f"/requests/{req.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert client_for(org["outsider"]).get(
        f"/requests/{req.pk}/attachments/{attachment.pk}/").status_code == 404


def test_oversized_attachment_is_refused_and_nothing_is_written(org, types, settings):
    settings.REQUESTS_ATTACHMENT_MAX_BYTES = 10
    with pytest.raises(WorkflowError, match="too large"):
        services.submit_social(org["employee"], types["social-services"], service="loan",
                               description="x", uploads=[upload(data=b"x" * 11)])
    assert not Request.objects.exists()
    assert not File.objects.exists()
    assert not get_file_store().exists(blob_key(hashlib.sha256(b"x" * 11).hexdigest()))


def test_failure_after_storing_leaves_no_orphan_object_and_no_row(org, types):
    data = b"%PDF unique bytes for this test"
    key = blob_key(hashlib.sha256(data).hexdigest())
    with mock.patch("requests.lifecycle.submit", side_effect=RuntimeError("database down")):
        with pytest.raises(RuntimeError):
            services.submit_social(org["employee"], types["social-services"], service="loan",
                                   description="x", uploads=[upload(data=data)])
    assert not Request.objects.exists()
    assert not RequestAttachment.objects.exists()
    assert not File.objects.exists()
    assert not get_file_store().exists(key)


def test_failure_keeps_an_object_that_another_request_uses(org, types):
    data = b"%PDF shared bytes"
    key = blob_key(hashlib.sha256(data).hexdigest())
    services.submit_social(org["employee"], types["social-services"], service="loan",
                           description="first", uploads=[upload(data=data)])
    with mock.patch("requests.lifecycle.submit", side_effect=RuntimeError("boom")):
        with pytest.raises(RuntimeError):
            services.submit_social(org["colleague"], types["social-services"], service="loan",
                                   description="second", uploads=[upload(data=data)])
    assert get_file_store().exists(key)
    assert RequestAttachment.objects.count() == 1


def test_required_description(org, types):
    with pytest.raises(WorkflowError, match="required"):
        services.submit_social(org["employee"], types["social-services"], service="loan")
