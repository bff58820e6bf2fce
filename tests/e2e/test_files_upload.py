"""Files in Chromium: drag and drop uploads on My files, a colleague sees the share live,
and downloads the same bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from .helpers import login, wait_for_socket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(new_context, base, username):
    page = new_context(accept_downloads=True, locale="en-US").new_page()
    login(page, base, username)
    return page


DROP = """
async ([selector, files]) => {
  const dt = new DataTransfer();
  for (const [name, text, size] of files) {
    let blob;
    if (size) { blob = new Blob([new Uint8Array(size)]); } else { blob = new Blob([text]); }
    dt.items.add(new File([blob], name));
  }
  const zone = document.querySelector(selector);
  zone.dispatchEvent(new DragEvent("dragenter", { dataTransfer: dt, bubbles: true }));
  zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true }));
}
"""


def test_drag_and_drop_upload_then_live_share_and_same_bytes(live_url, new_context,
                                                            directorate_factory, user_factory):
    live_app = live_url
    directorate = directorate_factory(code="dsi", name_ar="مديرية النظم",
                                      name_fr="Direction des systèmes")
    for name in ("alice", "bob"):
        user_factory(username=name, directorate=directorate, first_name=name.title(),
                     preferred_language="en")
    alice = signed_in(new_context, live_app, "alice")
    bob = signed_in(new_context, live_app, "bob")
    bob.goto(live_app + "/files/shared/")
    wait_for_socket(bob)

    alice.goto(live_app + "/files/")
    wait_for_socket(alice)
    content = "ملخص الاجتماع — compte rendu — minutes\n" * 50
    # Several files at once, each with its own progress bar.
    alice.evaluate(
        DROP,
        ["#upload-zone", [["محضر.txt", content, 0], ["second.txt", "another file", 0]]],
    )
    items = alice.locator("#upload-list .upload-item")
    assert items.count() == 2
    alice.locator("#upload-list .upload-item.is-done").nth(1).wait_for()
    assert alice.locator("#upload-list progress").nth(0).get_attribute("max") == "100"
    alice.locator("#file-results a", has_text="محضر.txt").wait_for()

    # Cancel: a big upload stopped by its Cancel button leaves nothing.
    alice.evaluate(DROP, ["#upload-zone", [["big.bin", "", 200 * 1024 * 1024]]])
    alice.locator("#upload-list .upload-item").nth(2).locator(".upload-cancel").click()
    alice.locator("#upload-list .upload-item.is-cancelled").wait_for()

    # Share with Bob from the file's page.
    alice.locator("#file-results a", has_text="محضر.txt").click()
    option = alice.locator("select[name=users] option", has_text="(bob)")
    alice.locator("select[name=users]").select_option(value=option.get_attribute("value"))
    alice.locator("form.share-form button[type=submit]").click()
    alice.wait_for_load_state()

    # Bob sees it live: the row appears without reloading, and the bell counts it.
    row = bob.locator("#file-rows tr", has_text="محضر.txt")
    row.wait_for(timeout=10000)
    assert bob.locator("#bell-count").inner_text() == "1"
    with bob.expect_download() as info:
        row.locator("a", has_text="Download").click()
    downloaded = Path(info.value.path()).read_bytes()
    assert hashlib.sha256(downloaded).hexdigest() == hashlib.sha256(content.encode()).hexdigest()

    alice.goto(live_app + "/files/")
    assert alice.locator("#file-results a", has_text="big.bin").count() == 0
