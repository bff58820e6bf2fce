/* Files in a conversation: the paperclip and drag and drop onto the
 * conversation upload through files.js (progress, cancel, /upload/), then
 * share each file with the conversation; chat's own live event shows the
 * attachment message to every member. */
(function () {
  "use strict";

  function share(zone, detail) {
    const files = window.collabFiles;
    detail.state.textContent = files.t("sharing");
    const body = new URLSearchParams({ conversation: zone.dataset.conversation });
    const url = zone.dataset.shareUrl.replace("/0/", "/" + Number(detail.file.file_id) + "/");
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": files.csrfToken(), "X-Requested-With": "fetch" },
      body: body,
    })
      .then((r) => r.json().catch(() => ({})).then((data) => ({ status: r.status, data: data })))
      .then(({ status, data }) => {
        if (status === 200 && data.ok) {
          detail.state.textContent = files.t("shared");
          setTimeout(() => detail.item.remove(), 3000);
        } else {
          fail(detail, data.error || files.t("failed"));
        }
      })
      .catch(() => fail(detail, files.t("failed")));
  }

  function fail(detail, message) {
    detail.state.textContent = message;
    detail.item.classList.remove("is-done");
    detail.item.classList.add("is-failed");
    detail.item.setAttribute("role", "alert");
  }

  function hasFiles(e) {
    return e.dataTransfer && Array.from(e.dataTransfer.types || []).indexOf("Files") >= 0;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const zone = document.getElementById("chat-attach");
    const room = document.getElementById("chat-room");
    if (!zone || !room || !window.collabFiles) return;
    const upload = (list) => Array.from(list).forEach((f) => window.collabFiles.upload(zone, f));
    const input = zone.querySelector('input[type="file"]');
    const hint = zone.querySelector(".chat-drop-hint");
    input.addEventListener("change", () => { upload(input.files); input.value = ""; });
    // A real button opens the picker: keyboard users reach it with Tab.
    zone.querySelector(".chat-attach-button").addEventListener("click", () => input.click());
    zone.addEventListener("files-uploaded", (e) => share(zone, e.detail));
    ["dragenter", "dragover"].forEach((type) => room.addEventListener(type, (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      room.classList.add("is-dragging");
      hint.hidden = false;
    }));
    room.addEventListener("dragleave", (e) => {
      if (e.relatedTarget && room.contains(e.relatedTarget)) return;
      room.classList.remove("is-dragging");
      hint.hidden = true;
    });
    room.addEventListener("drop", (e) => {
      room.classList.remove("is-dragging");
      hint.hidden = true;
      if (!e.dataTransfer || !e.dataTransfer.files.length) return;
      e.preventDefault();
      upload(e.dataTransfer.files);
    });
  });
})();
