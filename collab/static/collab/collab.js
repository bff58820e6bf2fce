/* collab: one WebSocket per tab, typed events, resume after reconnect.
 *
 * window.collab.on(eventName, fn)       subscribe to a server event
 * window.collab.send(action, data)      send a client action; resolves with its reply
 * window.collab.onOpen(fn)              run fn after every (re)connect (resume hooks)
 * The wire protocol is documented in docs/protocol.md.
 */
(function () {
  "use strict";
  const body = document.body;
  const url = body.dataset.socketUrl;
  const handlers = {};
  const openHooks = [];
  const pending = {};
  const referenceAware = new Set(["notification.created", "notification.read"]);
  let socket = null;
  let attempt = 0;
  let refSeq = 0;
  let everConnected = false;
  let stopped = false;
  let lastNotificationId = 0;

  function t(key) {
    const tpl = document.getElementById("i18n-strings");
    const el = tpl && tpl.content.querySelector('[data-key="' + key + '"]');
    return el ? el.textContent : key;
  }

  function status(kind) {
    const el = document.getElementById("socket-status");
    if (!el) return;
    if (kind === "reconnecting") {
      el.textContent = t("reconnecting");
      el.className = "socket-status";
      el.hidden = false;
    } else if (kind === "reconnected") {
      el.textContent = t("reconnected");
      el.className = "socket-status is-ok";
      el.hidden = false;
      setTimeout(() => { el.hidden = true; }, 2500);
    }
    body.dataset.socketState = kind;
  }

  function on(name, fn) { (handlers[name] = handlers[name] || []).push(fn); }
  function emit(name, data) {
    (handlers[name] || []).forEach((fn) => { try { fn(data); } catch (e) { console.error(e); } });
    document.dispatchEvent(new CustomEvent("collab:" + name, { detail: data }));
  }

  function send(action, data) {
    return new Promise((resolve, reject) => {
      if (!socket || socket.readyState !== WebSocket.OPEN) { reject(new Error("offline")); return; }
      const ref = String(++refSeq);
      pending[ref] = { resolve, reject };
      socket.send(JSON.stringify({ action: action, ref: ref, data: data || {} }));
    });
  }

  function connect() {
    if (!url || stopped) return;
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + url);
    socket.onopen = () => { attempt = 0; };
    socket.onmessage = (msg) => {
      let frame;
      try { frame = JSON.parse(msg.data); } catch (e) { return; }
      if (frame.type === "hello") {
        setBell(frame.unread);
        if (everConnected) status("reconnected");
        everConnected = true;
        body.dataset.socketState = "open";
        openHooks.forEach((fn) => fn());
      } else if (frame.type === "event") {
        // A reference (an event too large for a frame, docs/protocol.md): only
        // pages that know how to fetch the rest get it; others say to reload.
        if (frame.data && frame.data.fetch && !referenceAware.has(frame.event)) {
          toast(t("reload_for_updates"));
          return;
        }
        emit(frame.event, frame.data);
      } else if (frame.type === "reply" || frame.type === "error") {
        const p = frame.ref && pending[frame.ref];
        if (p) {
          delete pending[frame.ref];
          frame.type === "reply" ? p.resolve(frame.data) : p.reject(frame);
        } else if (frame.type === "error") {
          emit("error", frame);
        }
      }
    };
    socket.onclose = (ev) => {
      Object.keys(pending).forEach((ref) => { pending[ref].reject(new Error("closed")); delete pending[ref]; });
      // 4001 logout, 4003 account disabled, 4401 not signed in: do not retry.
      if (ev.code === 4001 || ev.code === 4003 || ev.code === 4401) {
        stopped = true;
        body.dataset.socketState = "closed";
        window.location.reload();
        return;
      }
      status("reconnecting");
      const delay = Math.min(30000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt += 1;
      setTimeout(connect, delay);
    };
  }

  // ---- Notifications bell -------------------------------------------------
  function setBell(count) {
    const el = document.getElementById("bell-count");
    if (!el) return;
    el.textContent = count;
    el.dataset.count = count;
    el.hidden = !count;
  }

  function toast(text) {
    const box = document.getElementById("toasts");
    if (!box) return;
    const el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("dir", "auto");
    el.textContent = text;
    box.appendChild(el);
    setTimeout(() => el.remove(), 6000);
  }

  function insertNotification(data) {
    lastNotificationId = Math.max(lastNotificationId, data.id);
    document.querySelectorAll("#notif-list, #home-notif-list").forEach((list) => {
      if (list.querySelector("#notif-" + data.id)) return;
      const empty = list.querySelector(".empty");
      if (empty) empty.remove();
      list.insertAdjacentHTML("afterbegin", data.html);
      htmx.process(list.firstElementChild);
    });
  }

  on("notification.created", (data) => {
    if (data.fetch) { setBell(data.unread); syncNotifications(); return; }
    insertNotification(data);
    setBell(data.unread);
    toast(data.title);
  });
  on("notification.read", (data) => {
    setBell(data.unread);
    if (data.fetch) return;  // which ones: shown on the next page load
    const selector = data.ids.length ? data.ids.map((id) => "#notif-" + id).join(",") : ".notif.is-unread";
    document.querySelectorAll(selector).forEach((el) => {
      el.classList.remove("is-unread");
      el.classList.add("is-read");
      const mark = el.querySelector(".notif-mark");
      if (mark) mark.remove();
    });
  });

  // After a reconnect, fetch what was missed while offline: one frame-sized
  // page per reply, until the server says there is no more.
  function syncNotifications() {
    send("sync", { notifications_after: lastNotificationId }).then((reply) => {
      setBell(reply.unread);
      reply.notifications.forEach(insertNotification);
      if (reply.more && reply.notifications.length) syncNotifications();
    }).catch(() => {});
  }
  openHooks.push(syncNotifications);

  document.addEventListener("DOMContentLoaded", () => {
    lastNotificationId = Number(body.dataset.lastNotificationId || 0);
    const button = document.getElementById("bell-button");
    const panel = document.getElementById("notif-panel");
    const menu = document.querySelector("details.usermenu");
    function closePanel(refocus) {
      if (!panel || panel.hidden) return;
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
      if (refocus) button.focus();
    }
    function closeMenu(refocus) {
      if (!menu || !menu.open) return;
      menu.open = false;
      if (refocus) menu.querySelector("summary").focus();
    }
    if (button && panel) {
      button.addEventListener("click", () => {
        const open = panel.hidden;
        panel.hidden = !open;
        button.setAttribute("aria-expanded", String(open));
        if (open) closeMenu(false);
      });
      // Keyboard users leave the panel with Tab: it closes behind them.
      panel.addEventListener("focusout", (e) => {
        if (e.relatedTarget && !panel.contains(e.relatedTarget) && e.relatedTarget !== button) closePanel(false);
      });
    }
    if (menu) {
      menu.addEventListener("toggle", () => { if (menu.open) closePanel(false); });
      menu.addEventListener("focusout", (e) => {
        if (e.relatedTarget && !menu.contains(e.relatedTarget)) closeMenu(false);
      });
    }
    const navToggle = document.getElementById("nav-toggle");
    const nav = document.getElementById("mainnav");
    function closeNav(refocus) {
      if (!navToggle || navToggle.getAttribute("aria-expanded") !== "true") return;
      navToggle.setAttribute("aria-expanded", "false");
      if (refocus) navToggle.focus();
    }
    if (navToggle && nav) {
      navToggle.addEventListener("click", () => {
        const open = navToggle.getAttribute("aria-expanded") !== "true";
        navToggle.setAttribute("aria-expanded", String(open));
        if (open) { closePanel(false); closeMenu(false); }
      });
      nav.addEventListener("focusout", (e) => {
        if (e.relatedTarget && !nav.contains(e.relatedTarget) && e.relatedTarget !== navToggle) closeNav(false);
      });
    }
    document.addEventListener("keydown", (e) => {
      if (e.key !== "Escape") return;
      if (navToggle && navToggle.getAttribute("aria-expanded") === "true") { closeNav(true); return; }
      // Any menu made of <details> (language, reactions, members) closes
      // around the focus, which goes back to its summary.
      const around = document.activeElement && document.activeElement.closest("details[open]");
      if (around) { around.open = false; around.querySelector("summary").focus(); return; }
      if (panel && !panel.hidden) closePanel(true);
      else if (menu && menu.open) closeMenu(true);
    });
    document.addEventListener("click", (e) => {
      if (panel && !panel.hidden && !panel.contains(e.target) && !button.contains(e.target)) closePanel(false);
      if (menu && menu.open && !menu.contains(e.target)) closeMenu(false);
      if (nav && !nav.contains(e.target) && !navToggle.contains(e.target)) closeNav(false);
    });
    // A notification's action or "Mark as read" replaces the whole item, the
    // focused button with it: focus moves to the new item (its outcome is
    // read out), not back to the top of the page.
    document.body.addEventListener("htmx:beforeSwap", (e) => {
      const item = e.detail.target;
      if (!item.classList || !item.classList.contains("notif") || !item.contains(document.activeElement)) return;
      const parent = item.parentElement;
      const index = [...parent.children].indexOf(item);
      document.body.addEventListener("htmx:afterSettle", () => {
        const fresh = parent.children[index];
        if (!fresh || document.activeElement !== document.body && document.activeElement !== null) return;
        fresh.tabIndex = -1;
        fresh.focus();
      }, { once: true });
    });
    // The server refused an htmx request's text (TextInputMiddleware): say why.
    document.body.addEventListener("collab:bad-input", (e) => toast(e.detail.message));
    // The server cannot reach its database (503): the action did not happen, say so.
    document.body.addEventListener("collab:unavailable", (e) => toast(e.detail.message));
    connect();
  });

  window.collab = {
    on: on, send: send, onOpen: (fn) => openHooks.push(fn), toast: toast,
    // Handlers of these events fetch what a reference leaves out.
    acceptReferences: (names) => names.forEach((n) => referenceAware.add(n)),
  };
})();
