/* Files: uploads with progress and cancel (several at once, button or drag
 * and drop) streamed to /upload/, and live rows on "Shared with me".
 *
 * Each file is hashed (SHA-256) before it is sent and the hash declared in
 * X-Content-SHA256: the server then stores the bytes straight under their
 * content key (no copy), and refuses them if they do not match. */
(function () {
  "use strict";

  // Up to this size WebCrypto hashes the file read whole into memory; larger
  // files are hashed in slices by sha256.js in a worker (its URL is given by
  // the page: data-sha256-worker on this script's tag).
  const DIGEST_WHOLE_MAX = 64 * 1024 * 1024;
  const hashWorkerUrl = document.currentScript && document.currentScript.dataset.sha256Worker;

  function t(key) {
    const tpl = document.getElementById("files-i18n");
    const el = tpl && tpl.content.querySelector('[data-key="' + key + '"]');
    return el ? el.textContent : key;
  }

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function hex(buffer) {
    return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // The file's SHA-256 as hex: {promise, cancel}. The promise gives null when
  // this browser cannot hash it; the upload then goes without the header and
  // the server hashes alone. crypto.subtle exists only in secure contexts
  // (https, localhost): elsewhere every file goes to the worker.
  function hashFile(file, onProgress) {
    let worker = null;
    const promise = new Promise((resolve) => {
      const subtle = window.crypto && window.crypto.subtle;
      if (subtle && file.size <= DIGEST_WHOLE_MAX) {
        file.arrayBuffer()
          .then((buffer) => subtle.digest("SHA-256", buffer))
          .then((digest) => resolve(hex(digest)), () => resolve(null));
        return;
      }
      if (!hashWorkerUrl || !window.Worker) { resolve(null); return; }
      worker = new Worker(hashWorkerUrl);
      worker.onmessage = (e) => {
        if (e.data.loaded !== undefined) { onProgress(e.data.loaded); return; }
        worker.terminate();
        resolve(e.data.sha256 || null);
      };
      worker.onerror = () => { worker.terminate(); resolve(null); };
      worker.postMessage(file);
    });
    return { promise: promise, cancel: () => { if (worker) worker.terminate(); } };
  }

  function uploadOne(zone, file) {
    const list = zone.querySelector(".upload-list");
    const item = document.createElement("li");
    item.className = "upload-item";
    const name = document.createElement("span");
    name.className = "upload-name";
    name.dir = "auto";
    name.textContent = file.name;
    const bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", file.name);
    const state = document.createElement("span");
    state.className = "upload-state";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "link-button upload-cancel";
    cancel.textContent = t("cancel");
    item.append(name, bar, state, cancel);
    list.appendChild(item);

    const max = Number(zone.dataset.maxSize || 0);
    const limit = Number(zone.dataset.limit || 0);
    // Refuse before sending a byte when the size is known to be over a limit.
    if (max && file.size > max) { fail(t("too_large")); return; }
    if (zone.dataset.limit !== undefined && file.size > limit) { fail(t("no_space")); return; }

    let xhr = null;
    let stopped = false;
    state.textContent = t("preparing");
    const hashing = hashFile(file, (loaded) => { bar.value = Math.round((loaded / file.size) * 100); });
    cancel.addEventListener("click", () => {
      if (xhr) { xhr.abort(); return; }
      stopped = true; // still hashing: never send
      hashing.cancel();
      cancelled();
    });
    hashing.promise.then((sha256) => { if (!stopped) send(sha256); });

    function send(sha256) {
      const base = zone.dataset.uploadUrl;
      const url = base + (base.indexOf("?") >= 0 ? "&" : "?") + "name=" + encodeURIComponent(file.name);
      state.textContent = "";
      bar.value = 0;
      xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      if (sha256) xhr.setRequestHeader("X-Content-SHA256", sha256);
      xhr.upload.onprogress = (e) => {
        if (e.lengthComputable) bar.value = Math.round((e.loaded / e.total) * 100);
      };
      xhr.onload = () => {
        let data = {};
        try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
        if (xhr.status === 200 && data.ok) {
          bar.value = 100;
          state.textContent = t("done");
          item.classList.add("is-done");
          cancel.remove();
          // From the zone, bubbling: a page with several zones (chat) tells them apart.
          zone.dispatchEvent(new CustomEvent("files-uploaded", { bubbles: true, detail: { file: data, item: item, state: state } }));
          if (zone.classList.contains("upload-version")) window.location.reload();
        } else {
          fail(data.error || t("failed"));
        }
      };
      xhr.onerror = () => fail(t("failed"));
      xhr.onabort = cancelled;
      xhr.send(file);
    }

    function cancelled() {
      state.textContent = t("cancelled");
      item.classList.add("is-cancelled");
      cancel.remove();
    }

    function fail(message) {
      state.textContent = message;
      item.classList.add("is-failed");
      item.setAttribute("role", "alert");
      cancel.remove();
    }
  }

  function setupZone(zone) {
    const input = zone.querySelector('input[type="file"]');
    if (input) {
      input.addEventListener("change", () => {
        Array.from(input.files).forEach((f) => uploadOne(zone, f));
        input.value = "";
      });
    }
    ["dragenter", "dragover"].forEach((type) => zone.addEventListener(type, (e) => {
      e.preventDefault();
      zone.classList.add("is-dragging");
    }));
    ["dragleave", "drop"].forEach((type) => zone.addEventListener(type, () => zone.classList.remove("is-dragging")));
    zone.addEventListener("drop", (e) => {
      e.preventDefault();
      const files = e.dataTransfer ? Array.from(e.dataTransfer.files) : [];
      (zone.classList.contains("upload-version") ? files.slice(0, 1) : files).forEach((f) => uploadOne(zone, f));
    });
  }

  // Other pages (the conversation page) reuse the uploader on their own zones:
  // an element with data-upload-url (data-max-size, data-limit) holding a .upload-list.
  window.collabFiles = { upload: uploadOne, t: t, csrfToken: csrfToken };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".upload-zone").forEach(setupZone);
    // The quota line comes back with the file list after each upload: the
    // space left it carries is what the next upload is checked against.
    document.body.addEventListener("htmx:oobAfterSwap", (e) => {
      const usage = e.detail.target;
      const zone = document.getElementById("upload-zone");
      if (usage && usage.id === "quota-usage" && zone) zone.dataset.limit = usage.dataset.limit;
    });
    if (!window.collab) return;
    window.collab.on("files.shared", (data) => {
      const rows = document.querySelector("[data-live-shares] #file-rows");
      if (!rows || rows.querySelector("#file-" + data.file_id)) return;
      const empty = rows.querySelector(".empty-row");
      if (empty) empty.remove();
      rows.insertAdjacentHTML("afterbegin", data.html);
      if (window.htmx) window.htmx.process(rows.firstElementChild);
    });
    window.collab.on("files.removed", (data) => {
      const row = document.getElementById("file-" + data.file_id);
      if (row && !document.querySelector("#upload-zone")) row.remove();
    });
  });
})();
