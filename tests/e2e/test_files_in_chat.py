"""Issue 4's proof: a user drags a file into a conversation; the other member
sees the attachment appear live and downloads the same bytes."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from chat import services as chat
from files import services as files
from files.models import File, Share

from .helpers import login, off_browser_thread, screenshot, wait_for_socket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DROP = """([name, data]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], name, { type: "application/octet-stream" }));
  const room = document.getElementById("history");
  for (const type of ["dragenter", "dragover", "drop"]) {
    const options = { dataTransfer: transfer, bubbles: true, cancelable: true };
    room.dispatchEvent(new DragEvent(type, options));
  }
}"""


def test_file_dropped_in_a_conversation_reaches_the_other_member_live(
    live_url, new_context, user_factory
):
    # Creating a user joins their directorate's channel, which publishes.
    sender = off_browser_thread(user_factory, username="karim", preferred_language="ar")
    colleague = off_browser_thread(user_factory, username="claire", preferred_language="fr")
    conversation = off_browser_thread(chat.start_direct, sender, colleague)
    content = os.urandom(300_000) + "نهاية".encode()
    name = "تقرير الميزانية 2026.bin"

    their = new_context().new_page()
    login(their, live_url, colleague.username)
    their.goto(f"{live_url}/chat/{conversation.pk}/")
    wait_for_socket(their)
    their.evaluate("window.__noReload = true")

    mine = new_context().new_page()
    login(mine, live_url, sender.username)
    mine.goto(f"{live_url}/chat/{conversation.pk}/")
    wait_for_socket(mine)
    mine.evaluate(DROP, [name, base64.b64encode(content).decode()])

    # The sender sees the upload go through and the share confirmed.
    # Upload, share and broadcast on two shared cores: more than the default wait.
    expect(mine.locator("#chat-attach .upload-item .upload-state")).to_have_text(
        "تمت المشاركة", timeout=30_000
    )
    expect(mine.locator("#history .msg-file-name")).to_have_text(name)

    # The other member sees the attachment arrive without reloading.
    link = their.locator("#history a.msg-file-name")
    expect(link).to_have_text(name)
    expect(link.locator("xpath=..")).to_contain_text("293")  # its size, in French: "293,0 Kio"
    assert their.evaluate("window.__noReload") is True
    screenshot(their, "files-in-chat/attachment-arrived", full_page=False)
    screenshot(mine, "files-in-chat/sender", full_page=False)
    with their.expect_download() as download:
        link.click()
    received = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(received).hexdigest() == hashlib.sha256(content).hexdigest()
    assert download.value.suggested_filename == name

    file = File.objects.get(owner=sender)
    assert Share.objects.get(file=file).conversation_id == conversation.pk
    # Leave no bytes behind where the server shares var/ with this process.
    off_browser_thread(files.delete_file, file, sender)
