/* Lesson editor: the video or PDF goes through the intranet's streaming
 * upload (files.js, /upload/); the id it answers is what the form saves. For
 * a video, its length is read from the file in the browser to fill the
 * duration field (the trainer can still correct it). */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", () => {
    const zone = document.getElementById("lesson-upload");
    const fileId = document.getElementById("id_file_id");
    const duration = document.getElementById("id_duration_seconds");
    if (!zone || !fileId) return;
    zone.addEventListener("files-uploaded", (e) => {
      fileId.value = e.detail.file.file_id;
      const current = document.getElementById("lesson-file-current");
      if (current) current.textContent = e.detail.file.name;
    });
    const input = zone.querySelector('input[type="file"]');
    if (!input || !duration) return;
    input.addEventListener("change", () => {
      const file = input.files && input.files[0];
      if (!file) return;
      const probe = document.createElement("video");
      probe.preload = "metadata";
      const url = URL.createObjectURL(file);
      probe.addEventListener("loadedmetadata", () => {
        if (isFinite(probe.duration) && probe.duration > 0) duration.value = Math.ceil(probe.duration);
        URL.revokeObjectURL(url);
      });
      probe.src = url;
    }, true);
  });
})();
