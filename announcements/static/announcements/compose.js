/* The page that writes an announcement. Loaded (deferred) before the editor's
 * modules: the editor's dialogs ask window.gettext for their words, so it must
 * exist when they load. Also: the preview's "back to editing". */
(function () {
  "use strict";
  const field = document.querySelector("[data-django-prose-editor-announcements]");
  if (field && !window.gettext) {
    const strings = (JSON.parse(field.getAttribute("data-django-prose-editor-announcements")
      || "{}").strings) || {};
    window.gettext = (s) => strings[s] || s;
  }

  // Back to editing returns to the text the author was writing.
  let lastArea = null;
  document.addEventListener("focusin", (event) => {
    const area = event.target.closest && event.target.closest(".ann-form .ProseMirror");
    if (area) lastArea = area;
  });

  document.addEventListener("click", (event) => {
    const back = event.target.closest("[data-ann-back]");
    if (!back) return;
    event.preventDefault();
    const preview = document.getElementById("ann-preview");
    if (preview) preview.replaceChildren();
    const area = lastArea || document.querySelector(".ann-form .ProseMirror");
    if (area) area.focus();
  });

  // The preview arrives: take the reader's eyes (and a screen reader) to it.
  document.addEventListener("htmx:afterSwap", (event) => {
    if (event.target.id !== "ann-preview") return;
    const heading = event.target.querySelector("h2");
    if (heading) heading.focus();
  });
})();
