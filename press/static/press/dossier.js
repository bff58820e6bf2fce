/* A dossier's page: the live block follows the dossier (application.updated,
 * sent to the company's own socket group, docs/protocol.md). */
(function () {
  "use strict";
  function apply(data) {
    const block = document.getElementById("dossier-" + data.id + "-live");
    if (!block) return;
    if (data.fetch || !data.html) { window.location.reload(); return; }
    const holder = document.createElement("div");
    holder.innerHTML = data.html;
    const fresh = holder.firstElementChild;
    if (!fresh) return;
    const stageChanged = fresh.dataset.stage !== block.dataset.stage;
    block.replaceWith(fresh);
    // The forms below the block depend on the stage (corrections): reload them.
    if (stageChanged && (fresh.dataset.stage === "returned" || block.dataset.stage === "returned")) {
      window.location.reload();
    }
  }
  if (window.collab) {
    window.collab.on("application.updated", apply);
  } else {
    document.addEventListener("collab:application.updated", (ev) => apply(ev.detail));
  }
})();
