/* Presence on every page (loaded from chat/nav_item.html): a heartbeat over
 * the one socket says this person is online (tab visible) or away, and the
 * reply updates every [data-presence-user] dot on the page (sidebar,
 * directory, profile). Kept in Redis with a 75 s expiry: no heartbeat, offline.
 */
(function () {
  "use strict";
  if (window.chatPresence || !window.collab) return;
  window.chatPresence = true;
  const style = document.createElement("style");
  style.textContent = ".presence{display:inline-block;width:.6rem;height:.6rem;border-radius:50%;background:#adb5bd}" +
    ".presence[data-state=online]{background:#2f9e44}.presence[data-state=away]{background:#f59f00}";
  document.head.appendChild(style);

  function label(state) {
    const tpl = document.getElementById("presence-strings");
    const el = tpl && tpl.content.querySelector('[data-key="' + state + '"]');
    return el ? el.textContent : state;
  }

  function tick() {
    if (document.body.dataset.socketState !== "open" && document.body.dataset.socketState !== "reconnected") return;
    const ids = Array.from(new Set(Array.from(document.querySelectorAll("[data-presence-user]"))
      .map((el) => Number(el.dataset.presenceUser)))).slice(0, 200);
    const state = document.visibilityState === "visible" ? "online" : "away";
    collab.send("chat.presence", { state: state, watch: ids }).then((reply) => {
      Object.keys(reply.presence).forEach((id) => {
        document.querySelectorAll('[data-presence-user="' + id + '"]').forEach((el) => {
          el.dataset.state = reply.presence[id];
          el.title = label(reply.presence[id]);
        });
      });
    }).catch(() => {});
  }

  collab.onOpen(tick);
  document.addEventListener("visibilitychange", tick);
  document.body.addEventListener("htmx:afterSettle", tick);  // directory results
  setInterval(tick, 30000);
})();
