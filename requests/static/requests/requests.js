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
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
