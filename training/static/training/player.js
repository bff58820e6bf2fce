/* Lesson video: resumes where the learner stopped and reports the position
 * while it plays (every few seconds, on pause, at the end, when the tab is
 * hidden). The server decides what counts as watched (90 %); a refused
 * report (out of range) changes nothing there. */
(function () {
  "use strict";

  const EVERY_MS = 5000;

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function t(key) {
    const tpl = document.getElementById("learn-i18n");
    const el = tpl && tpl.content.querySelector('[data-key="' + key + '"]');
    return el ? el.textContent : key;
  }

  document.addEventListener("DOMContentLoaded", () => {
    const box = document.getElementById("learn-video");
    if (!box) return;
    const video = box.querySelector("video");
    const state = document.getElementById("learn-video-state");
    const resume = parseFloat(box.dataset.resume) || 0;
    let lastSent = -1;
    let sending = false;
    let again = false;
    let timer = null;

    video.addEventListener("loadedmetadata", () => {
      if (resume > 0 && resume < video.duration - 1) video.currentTime = resume;
    });

    function send(force) {
      const position = Math.round(video.currentTime * 10) / 10;
      if (!force && Math.abs(position - lastSent) < 1) return;
      if (sending) { again = true; return; }
      sending = true;
      lastSent = position;
      fetch(box.dataset.progressUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/x-www-form-urlencoded" },
        body: "position=" + encodeURIComponent(position),
      })
        .then((r) => r.json())
        .then((data) => {
          if (data.completed) {
            state.textContent = t("watched");
            box.dataset.completed = "true";
          } else if (!data.ok && data.error) {
            state.textContent = data.error;
          }
        })
        .catch(() => { state.textContent = t("failed"); lastSent = -1; })
        .finally(() => {
          sending = false;
          if (again) { again = false; send(true); }
        });
    }

    video.addEventListener("play", () => {
      clearInterval(timer);
      timer = setInterval(() => send(false), EVERY_MS);
    });
    ["pause", "ended"].forEach((type) => video.addEventListener(type, () => {
      clearInterval(timer);
      send(true);
    }));
    document.addEventListener("visibilitychange", () => { if (document.hidden && !video.paused) send(true); });
  });
})();
