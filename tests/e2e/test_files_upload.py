"""Files in Chromium: drag and drop uploads on My files, a colleague sees the share live,
and downloads the same bytes."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from .helpers import login, wait_for_socket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(new_context, base, username):
    page = new_context(accept_downloads=True, locale="en-US").new_page()
    login(page, base, username)
    return page


MIB = 1024 * 1024
PATTERN = bytes(range(256)) * 4096  # 1 MiB: byte i of a sized file is i % 256

# Drops [name, text, size] files: ``size`` bytes of PATTERN when size is given.
DROP = """
async ([selector, files]) => {
  const dt = new DataTransfer();
  const mib = new Uint8Array(1 << 20).map((_, i) => i & 255);
  for (const [name, text, size] of files) {
    let blob;
    if (size) {
      const parts = new Array(Math.floor(size / mib.length)).fill(mib);
      blob = new Blob(parts.concat([mib.subarray(0, size % mib.length)]));
    } else {
      blob = new Blob([text]);
    }
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
    declared = {}  # file name -> the X-Content-SHA256 the page sent

    def note_upload(request):
        if "/upload/" in request.url:
            name = parse_qs(urlparse(request.url).query)["name"][0]
            declared[name] = request.headers.get("x-content-sha256")

    alice.on("request", note_upload)
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
    # The quota line follows the uploads without a reload.
    alice.wait_for_function(
        r"() => !/^0\s*bytes/.test(document.getElementById('quota-usage').textContent.trim())"
    )
    # The page declared each file's SHA-256 (WebCrypto at this size), as Python computes it.
    assert declared == {
        "محضر.txt": hashlib.sha256(content.encode()).hexdigest(),
        "second.txt": hashlib.sha256(b"another file").hexdigest(),
    }

    # Over 64 MiB the page hashes in slices (sha256.js in a worker); the
    # server stored the bytes only because they matched that hash.
    size = 64 * MIB + 1001
    alice.evaluate(DROP, ["#upload-zone", [["large.bin", "", size]]])
    alice.locator("#upload-list .upload-item.is-done").nth(2).wait_for(timeout=60_000)
    expected = hashlib.sha256(PATTERN * (size // MIB) + PATTERN[: size % MIB]).hexdigest()
    assert declared["large.bin"] == expected

    # Cancel while a big file is still being hashed: it is never sent.
    # 256 MiB: about 2 s of hashing here, time enough to cancel; a 1 GiB file
    # in page memory made Chromium fail it outright on some runs.
    alice.evaluate(DROP, ["#upload-zone", [["big.bin", "", 256 * MIB]]])
    big = alice.locator("#upload-list .upload-item").nth(3)
    assert big.locator(".upload-state").inner_text() == "Preparing…"
    big.locator(".upload-cancel").click()
    alice.locator("#upload-list .upload-item.is-cancelled").wait_for()
    assert "big.bin" not in declared

    # Share with Bob from the file's page.
    alice.locator("#file-results a", has_text="محضر.txt").click()
    alice.fill("#id_users", "bob")
    alice.locator("#id_users-listbox [role=option]", has_text="Bob").click()
    alice.locator('.chip input[name="users"][value="bob"]').wait_for(state="attached")
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


def test_incremental_sha256_matches_hashlib(live_url, page):
    """sha256.js (hashing files over 64 MiB, or where WebCrypto is missing) fed
    in uneven pieces, across block and padding boundaries."""
    page.goto(live_url + "/login/")
    page.add_script_tag(url=live_url + "/static/files/sha256.js")
    lengths = [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 3 * MIB + 7]
    digests = page.evaluate(
        """(lengths) => lengths.map((n) => {
          const data = new Uint8Array(n).map((_, i) => (i * 7 + 3) & 255);
          const hash = new CollabSha256();
          for (let at = 0, step = 1; at < n; at += step, step = step * 3 + 1) {
            hash.update(data.subarray(at, at + step));
          }
          return hash.hex();
        })""",
        lengths,
    )
    expected = [
        hashlib.sha256(bytes((i * 7 + 3) & 255 for i in range(n))).hexdigest() for n in lengths
    ]
    assert digests == expected
