/* requests: live status of my requests and balance (event request.updated). */
(function () {
  "use strict";
  function replace(id, html) {
    const el = document.getElementById(id);
    if (!el || !html) return;
    const tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    const fresh = tpl.content.firstElementChild;
    if (!fresh) return;
    el.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
  }
  function start() {
    if (!window.collab) return;
    window.collab.on("request.updated", function (data) {
      replace("request-" + data.id + "-status", data.html);
      replace("leave-balance", data.balance_html);
    });
    window.collab.on("request.message", function (data) {
      replace("request-" + data.id + "-conversation", data.html);
    });
    // Back office: something arrived at or left one of my steps; reload the
    // first page (later pages would shift under the reader).
    window.collab.on("request.queue_changed", function () {
      const queue = document.querySelector("[data-live-queue]");
      if (queue && !/[?&]page=([2-9]|\d\d)/.test(location.search)) location.reload();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
