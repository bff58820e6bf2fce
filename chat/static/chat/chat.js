/* Chat over the one socket (collab.js). Protocol: docs/protocol.md, chat sections.
 *
 * Messages are kept in seq order and are upserted by (seq, change): whatever
 * path brings a message (live event, resync reply, POST fallback), it is shown
 * once, in its newest version. After every (re)connect the open conversation
 * resyncs from the last contiguous seq and the last change it saw.
 */
(function () {
  "use strict";
  const me = Number(document.body.dataset.userId || 0);
  const lang = document.documentElement.lang || "ar";
  let room = null, roomId = 0, lastSeq = 0, lastChange = 0, lastRead = 0;
  let members = {};
  let resyncing = false, resyncAgain = false;

  function t(key, vars) {
    const tpl = document.getElementById("chat-strings");
    const el = tpl && tpl.content.querySelector('[data-key="' + key + '"]');
    let text = el ? el.textContent : key;
    Object.keys(vars || {}).forEach((k) => { text = text.replace("%(" + k + ")s", vars[k]); });
    return text;
  }
  function pick(html) { return typeof html === "string" ? html : (html[lang] || html.ar || Object.values(html)[0]); }
  function socketOpen() { const s = document.body.dataset.socketState; return s === "open" || s === "reconnected"; }

  // ---- Sidebar ------------------------------------------------------------
  function convItem(id) { return document.getElementById("conv-" + id); }
  function setUnread(id, n) {
    const li = convItem(id);
    const badge = li && li.querySelector(".conv-unread");
    if (!badge) return;
    badge.dataset.count = n;
    badge.textContent = n;
    badge.hidden = !n;
  }
  function bump(id, countIt) {
    const li = convItem(id);
    if (!li) return;
    const list = li.parentElement;
    if (list.firstElementChild !== li) list.prepend(li);
    if (countIt) {
      const badge = li.querySelector(".conv-unread");
      setUnread(id, Number(badge.dataset.count || 0) + 1);
    }
  }

  // ---- Messages -----------------------------------------------------------
  function history() { return document.getElementById("history"); }
  function nearBottom() { const h = history(); return h.scrollHeight - h.scrollTop - h.clientHeight < 120; }
  function toBottom() { const h = history(); h.scrollTop = h.scrollHeight; }

  // Short words for screen readers: the log itself is not live (an edit or a
  // reaction replaces the message, which would read it all out again).
  function announce(text) {
    const region = document.getElementById("chat-announce");
    if (!region || !text) return;
    region.textContent = "";
    setTimeout(() => { region.textContent = text; }, 50);
  }
  function textOf(el, selector) {
    const part = el && el.querySelector(selector);
    const text = part ? part.textContent.trim().replace(/\s+/g, " ") : "";
    return text.length > 120 ? text.slice(0, 119) + "…" : text;
  }
  function describeChange(before, after) {
    if (!before || !after) return "";
    if (after.classList.contains("is-deleted") && !before.classList.contains("is-deleted")) return t("deleted");
    if (textOf(before, ".msg-body") !== textOf(after, ".msg-body")) return t("edited", { name: textOf(after, ".msg-author") });
    const reactions = (el) => [...el.querySelectorAll(".msg-reactions .count")]
      .reduce((sum, c) => sum + Number(c.textContent || 0), 0);
    const had = reactions(before), has = reactions(after);
    if (has > had) return t("reaction_added");
    if (has < had) return t("reaction_removed");
    return "";
  }

  function decorate(el) {
    // Focusable, so a keyboard user reaches a plain message's toolbar (shown on focus-within).
    if (!el.hasAttribute("tabindex")) el.tabIndex = 0;
    if (Number(el.dataset.author) === me) el.classList.add("is-mine");
    const tools = document.getElementById("msg-tools");
    if (tools && !el.classList.contains("is-deleted") && !el.querySelector(".msg-tools")) {
      el.querySelector(".msg-seen").before(tools.content.cloneNode(true));
    }
    renderSeen(el);
  }

  function upsert(seq, change, html) {
    const id = "msg-" + roomId + "-" + seq;
    const existing = document.getElementById(id);
    if (existing && Number(existing.dataset.change) >= change) return existing;
    const tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    const el = tpl.content.firstElementChild;
    if (!el) return null;
    const stick = nearBottom();
    if (existing) {
      const hadFocus = existing.contains(document.activeElement);
      const said = describeChange(existing, el);
      existing.replaceWith(el);
      decorate(el);
      if (hadFocus) el.focus({ preventScroll: true });
      announce(said);
      return el;
    } else {
      let before = null;
      for (const other of history().querySelectorAll(".msg")) {
        if (Number(other.dataset.seq) > seq) { before = other; break; }
      }
      history().insertBefore(el, before || history().querySelector(".msg-outbox"));
      if (stick) toBottom();
    }
    decorate(el);
    return el;
  }

  function advance(seq) {
    // lastSeq is the highest seq up to which nothing is missing.
    if (seq === lastSeq + 1) lastSeq = seq;
    else if (seq > lastSeq + 1) resync();
  }

  function onMessage(d) {
    if (d.conversation !== roomId) return;
    const known = document.getElementById("msg-" + roomId + "-" + d.seq);
    const el = upsert(d.seq, d.change, pick(d.html));
    if (el && !known && d.author_id !== me) announce(textOf(el, ".msg-author") + ": " + textOf(el, ".msg-body"));
    lastChange = Math.max(lastChange, d.change);
    advance(d.seq);
    if (d.author_id === me) { lastRead = Math.max(lastRead, d.seq); } else { scheduleRead(); }
  }

  function onChanged(d) {
    if (d.conversation !== roomId) return;
    // A reference (too large for a frame): the resync brings the change.
    if (d.fetch) { resync(); return; }
    if (d.change > lastChange + 1) resync();
    lastChange = Math.max(lastChange, d.change);
    if (d.seq <= lastSeq || document.getElementById("msg-" + roomId + "-" + d.seq)) upsert(d.seq, d.change, pick(d.html));
    updatePin(d.seq, d.pinned && !d.deleted);
  }

  function updatePin(seq, pinned) {
    const pins = document.getElementById("pins");
    if (!pins) return;
    const existing = document.getElementById("pin-" + seq);
    if (!pinned) { if (existing) existing.remove(); return; }
    if (existing) return;
    const msg = document.getElementById("msg-" + roomId + "-" + seq);
    const li = document.createElement("li");
    li.id = "pin-" + seq;
    const a = document.createElement("a");
    a.href = "#msg-" + roomId + "-" + seq;
    a.setAttribute("dir", "auto");
    const text = msg ? (msg.querySelector(".msg-body") || msg).textContent.trim() : "#" + seq;
    a.textContent = "📌 " + (text.length > 80 ? text.slice(0, 79) + "…" : text);
    li.appendChild(a);
    pins.prepend(li);
  }

  // A message too large for a socket frame comes as a reference (fetch: true):
  // load it over HTTP (history?before=seq+1&limit=1), then show it like the rest.
  function fetchMessage(seq) {
    const url = room.dataset.historyUrl + "?before=" + (seq + 1) + "&limit=1";
    const forRoom = roomId;
    return fetch(url, { credentials: "same-origin" }).then((r) => r.ok ? r.text() : Promise.reject())
      .then((text) => {
        if (roomId !== forRoom) return;
        const tpl = document.createElement("template");
        tpl.innerHTML = text;
        const el = tpl.content.querySelector('.msg[data-seq="' + seq + '"]');
        if (el) upsert(seq, Number(el.dataset.change), el.outerHTML);
      });
  }

  // One page per reply (each fits a socket frame); ask again while `more`.
  // The cursor comes from the server: items alone cannot say how far the
  // changes go (a new message edited later carries a higher change number).
  function resync() {
    if (!room) return;
    if (resyncing) { resyncAgain = true; return; }
    resyncing = true;
    const cursors = {};
    cursors[roomId] = [lastSeq, lastChange];
    const fetches = [];
    collab.send("chat.resync", { conversations: cursors }).then((reply) => {
      if (reply.gone.indexOf(String(roomId)) >= 0) { removedFromRoom(); return; }
      const data = reply.conversations[String(roomId)];
      if (!data) return;
      // A failed load rewinds the cursor to before that item: the next resync
      // brings it again rather than leaving a hole.
      let rewindSeq = Infinity, rewindChange = Infinity;
      data.changes.forEach((c) => {
        if (!c.fetch) upsert(c.seq, c.change, c.html);
        else fetches.push(fetchMessage(c.seq).catch(() => { rewindChange = Math.min(rewindChange, c.change - 1); }));
        updatePin(c.seq, c.pinned && !c.deleted);
      });
      data.messages.forEach((m) => {
        if (!m.fetch) upsert(m.seq, m.change, m.html);
        else fetches.push(fetchMessage(m.seq).catch(() => { rewindSeq = Math.min(rewindSeq, m.seq - 1); }));
      });
      lastSeq = Math.max(lastSeq, data.cursor[0]);
      lastChange = Math.max(lastChange, data.cursor[1]);
      fetches.push(Promise.all(fetches).then(() => {
        if (rewindSeq < Infinity || rewindChange < Infinity) {
          lastSeq = Math.min(lastSeq, rewindSeq);
          lastChange = Math.min(lastChange, rewindChange);
          resyncAgain = true;
        }
      }));
      if (data.more) resyncAgain = true;
      if (data.messages.length) scheduleRead();
    }).catch(() => {}).finally(() => {
      Promise.all(fetches).catch(() => {}).finally(() => {
        resyncing = false;
        if (resyncAgain) { resyncAgain = false; resync(); }
      });
    });
  }

  // ---- Read state ---------------------------------------------------------
  let readTimer = null;
  // A read waiting for its delay while the reader sees the messages.
  let readDue = false;
  function scheduleRead() {
    clearTimeout(readTimer);
    readDue = document.visibilityState === "visible";
    readTimer = setTimeout(() => { readDue = false; markRead(); }, 400);
  }
  function markRead() {
    if (!room || document.visibilityState !== "visible" || lastSeq <= lastRead) return;
    const seq = lastSeq;
    const done = (unread) => { lastRead = Math.max(lastRead, seq); setUnread(roomId, unread); };
    if (socketOpen()) {
      collab.send("chat.read", { conversation: roomId, seq: seq }).then((r) => done(r.unread)).catch(() => {});
    } else {
      postRead(seq, false)
        .then((r) => r.ok ? r.text() : Promise.reject()).then((n) => done(Number(n))).catch(() => {});
    }
  }
  function postRead(seq, keepalive) {
    const body = new URLSearchParams({ seq: String(seq) });
    return fetch(room.dataset.readUrl, { method: "POST", body: body, headers: csrfHeaders(), keepalive: keepalive });
  }
  function csrfHeaders() {
    try { return JSON.parse(document.body.getAttribute("hx-headers")); } catch (e) { return {}; }
  }
  // Leaving within the read delay would lose the read: send it on the way out,
  // with keepalive so the browser completes the request after the page is gone.
  // Only a read the reader saw: closing a background tab reads nothing.
  window.addEventListener("pagehide", () => {
    if (!room || !readDue || lastSeq <= lastRead) return;
    clearTimeout(readTimer);
    readDue = false;
    postRead(lastSeq, true).catch(() => {});
  });

  // ---- Seen by (direct messages and groups) -------------------------------
  function renderSeen(el) {
    if (!room || !room.dataset.private || Number(el.dataset.author) !== me) return;
    const seq = Number(el.dataset.seq);
    const names = Object.keys(members).filter((id) => Number(id) !== me && members[id].seq >= seq).map((id) => members[id].name);
    const p = el.querySelector(".msg-seen");
    if (!p) return;
    p.hidden = !names.length;
    p.textContent = names.length ? t("seen_by", { names: names.join("، ") }) : "";
  }
  function renderAllSeen() { history().querySelectorAll(".msg.is-mine").forEach(renderSeen); }

  // ---- Typing ---------------------------------------------------------------
  const typists = {};
  function showTyping() {
    const el = document.getElementById("typing");
    if (!el) return;
    const now = Date.now();
    const names = Object.keys(typists).filter((k) => typists[k].until > now).map((k) => typists[k].name);
    el.textContent = names.length ? t("typing_one", { name: names.join("، ") }) : "";
  }

  // ---- Removal ------------------------------------------------------------
  function removedFromRoom() {
    const composer = document.getElementById("composer");
    if (composer) composer.remove();
    const note = document.createElement("p");
    note.className = "muted";
    note.setAttribute("role", "alert");
    note.textContent = t("removed");
    room.appendChild(note);
    room = null;
  }

  // ---- Socket events --------------------------------------------------------
  // Events too large for a frame come as references (fetch: true, no html).
  collab.acceptReferences(["chat.message", "chat.message.changed", "chat.conversation.added",
    "chat.conversation.updated"]);
  collab.on("chat.message", (d) => {
    const viewing = room && d.conversation === roomId && document.visibilityState === "visible";
    bump(d.conversation, d.author_id !== me && !viewing);
    if (d.fetch) { if (room && d.conversation === roomId) resync(); return; }
    onMessage(d);
  });
  collab.on("chat.message.changed", onChanged);
  collab.on("chat.read", (d) => {
    setUnread(d.conversation, d.unread);
    if (d.conversation === roomId) lastRead = Math.max(lastRead, d.seq);
  });
  collab.on("chat.seen", (d) => {
    if (d.conversation !== roomId) return;
    members[d.user_id] = { seq: d.seq, name: pick(d.names) };
    renderAllSeen();
  });
  collab.on("chat.typing", (d) => {
    if (d.conversation !== roomId || d.user_id === me) return;
    typists[d.user_id] = { name: pick(d.names), until: Date.now() + 4000 };
    showTyping();
    setTimeout(showTyping, 4100);
  });
  collab.on("chat.conversation.added", (d) => {
    const list = document.getElementById("conv-list");
    if (!list || convItem(d.conversation)) return;
    if (d.fetch) { htmx.ajax("GET", list.dataset.url, { target: "#conv-list", swap: "innerHTML" }); return; }
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
    list.insertAdjacentHTML("afterbegin", d.html);
  });
  collab.on("chat.conversation.removed", (d) => {
    const li = convItem(d.conversation);
    if (li) li.remove();
    if (room && d.conversation === roomId) removedFromRoom();
  });
  collab.on("chat.conversation.updated", (d) => {
    const li = convItem(d.conversation);
    if (d.title && li) li.querySelector(".conv-title").textContent = d.title;
    if (d.title && room && d.conversation === roomId) {
      const title = document.querySelector("#chat-title .chat-title-text");
      if (title) title.textContent = d.title;
    }
  });
  let opened = false;
  collab.onOpen(() => {
    resync();
    outboxFlush();
    const list = document.getElementById("conv-list");
    if (opened && list) htmx.ajax("GET", list.dataset.url, { target: "#conv-list", swap: "innerHTML" });
    opened = true;
  });

  // ---- Outbox: sent messages the server has not acknowledged yet -----------
  // Each keeps one client_id across every retry, so the server stores it once
  // however often it arrives (docs/protocol.md, chat.send). It shows as
  // pending until a reply carries its seq; it goes again over HTTP when the
  // socket is down, after every reconnect, and once more when no reply came
  // in time; refused, or unanswered MAX_ATTEMPTS times, it is marked failed
  // with Retry and Discard. It is never shown as sent before the reply.
  const ACK_TIMEOUT_MS = 8000, MAX_ATTEMPTS = 3;
  const outbox = [];

  function newClientId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 14);
  }

  function outboxRender(item, text) {
    const el = item.el;
    el.dataset.state = item.state;
    const state = el.querySelector(".msg-state");
    state.textContent = text;
    el.querySelectorAll(".msg-outbox-actions").forEach((n) => n.remove());
    if (item.state !== "failed") return;
    const actions = document.createElement("span");
    actions.className = "msg-outbox-actions";
    [["retry", () => { item.attempts = 0; outboxSend(item); }],
     ["discard", () => outboxSettle(item)]].forEach(([key, act]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link-button";
      button.dataset.outbox = key;
      button.textContent = t(key);
      button.addEventListener("click", act);
      actions.appendChild(button);
    });
    state.after(actions);
  }

  function outboxAdd(data) {
    const item = { id: newClientId(), data: data, state: "pending", attempts: 0 };
    data.client_id = item.id;
    const el = document.createElement("div");
    el.className = "msg-outbox is-mine";
    el.dataset.clientId = item.id;
    const body = document.createElement("p");
    body.className = "msg-body";
    body.setAttribute("dir", "auto");
    body.textContent = data.body;
    const state = document.createElement("p");
    state.className = "msg-state";
    state.setAttribute("role", "status");
    el.append(body, state);
    item.el = el;
    history().appendChild(el);
    toBottom();
    outbox.push(item);
    outboxSend(item);
  }

  function outboxSettle(item) {
    const i = outbox.indexOf(item);
    if (i >= 0) outbox.splice(i, 1);
    item.el.remove();
  }

  function outboxDelivered(item, seq, html) {
    if (outbox.indexOf(item) < 0) return;  // discarded meanwhile: the event shows it
    outboxSettle(item);
    // Stored, but too large for a frame (reply.fetch, no html): it comes
    // like a missed message, so the cursor must not pass it first.
    if (!html) { resync(); return; }
    upsert(seq, 0, html);
    lastRead = Math.max(lastRead, seq);
    advance(seq);
    toBottom();
  }

  function outboxFailed(item, message) {
    if (outbox.indexOf(item) < 0) return;
    item.state = "failed";
    outboxRender(item, message || t("failed"));
  }

  // Not answered: maybe stored, maybe not. The same client_id makes a retry safe.
  function outboxUnanswered(item, retryNow) {
    if (outbox.indexOf(item) < 0) return;
    if (item.attempts >= MAX_ATTEMPTS) { outboxFailed(item); return; }
    item.state = "pending";
    outboxRender(item, t("pending"));
    if (retryNow) outboxSend(item);
  }

  function outboxSend(item) {
    if (item.state === "sending" || !room) return;
    if (!socketOpen()) { outboxSendOverHttp(item); return; }
    item.state = "sending";
    item.attempts += 1;
    outboxRender(item, t("sending"));
    let timer = null;
    const late = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error("timeout")), ACK_TIMEOUT_MS);
    });
    Promise.race([collab.send("chat.send", item.data), late]).then((reply) => {
      outboxDelivered(item, reply.seq, reply.html);
    }).catch((err) => {
      if (err && err.code) { outboxFailed(item, err.message); return; }
      if (err && err.message === "offline") { item.attempts -= 1; outboxSendOverHttp(item); return; }
      // "timeout": try again at once; "closed": the reconnect flushes the outbox.
      item.state = "pending";
      outboxUnanswered(item, err && err.message === "timeout" && socketOpen());
    }).finally(() => clearTimeout(timer));
  }

  // The socket is down: the same service over HTTP. A network failure means
  // nothing left the browser: the message waits for the connection.
  function outboxSendOverHttp(item) {
    const form = document.getElementById("composer");
    if (!form) return;
    item.state = "sending";
    outboxRender(item, t("sending"));
    const body = new URLSearchParams({ body: item.data.body, client_id: item.id,
                                       reply_to: item.data.reply_to || "" });
    const headers = Object.assign({ "HX-Request": "true" }, csrfHeaders());
    fetch(form.action, { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then((r) => r.text().then((text) => ({ ok: r.ok, text: text })))
      .then(({ ok, text }) => {
        const seq = /^\s*<article[^>]*data-seq="(\d+)"/.exec(text);
        if (ok && seq) { outboxDelivered(item, Number(seq[1]), text); return; }
        const tpl = document.createElement("template");
        tpl.innerHTML = text;
        const error = ok && tpl.content.querySelector(".composer-error");
        outboxFailed(item, error ? error.textContent : null);
      })
      .catch(() => {
        if (outbox.indexOf(item) < 0) return;
        item.state = "pending";
        outboxRender(item, t("pending"));
      });
  }

  function outboxFlush() {
    outbox.filter((item) => item.state === "pending").forEach(outboxSend);
  }
  // Leaving the page would lose what is not acknowledged: the browser asks first.
  window.addEventListener("beforeunload", (e) => {
    if (outbox.some((item) => item.state !== "failed")) { e.preventDefault(); e.returnValue = ""; }
  });

  // ---- Composer -------------------------------------------------------------
  // @mention autocomplete: the word after "@" before the caret is looked up
  // among the members (full names in Arabic or Latin script, folded server-side);
  // the choice inserts @username, which messages show as the person's name.
  function setupMentions(textarea) {
    const list = document.getElementById("mention-list");
    if (!list || !room.dataset.mentionsUrl) return;
    let people = [], active = -1, start = -1, asked = 0;
    textarea.setAttribute("aria-autocomplete", "list");
    textarea.setAttribute("aria-controls", "mention-list");
    textarea.setAttribute("aria-expanded", "false");
    function close() {
      list.hidden = true; list.innerHTML = ""; people = []; active = -1;
      textarea.setAttribute("aria-expanded", "false");
      textarea.removeAttribute("aria-activedescendant");
    }
    function mark(i) {
      active = i;
      list.querySelectorAll("[role=option]").forEach((li, n) => li.setAttribute("aria-selected", String(n === i)));
      if (i >= 0) textarea.setAttribute("aria-activedescendant", "mention-opt-" + i);
    }
    function choose(i) {
      const p = people[i];
      if (!p) return;
      const caret = textarea.selectionStart;
      const text = "@" + p.username + " ";
      textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(caret);
      textarea.selectionStart = textarea.selectionEnd = start + text.length;
      close();
      textarea.focus();
    }
    function show(found) {
      people = found;
      list.innerHTML = "";
      if (!found.length) { close(); return; }
      found.forEach((p, i) => {
        const li = document.createElement("li");
        li.id = "mention-opt-" + i;
        li.setAttribute("role", "option");
        const name = document.createElement("bdi");
        name.textContent = p.name;
        const user = document.createElement("span");
        user.className = "muted";
        user.setAttribute("dir", "ltr");
        user.textContent = " @" + p.username;
        li.append(name, user);
        if (p.avatar) li.insertAdjacentHTML("afterbegin", p.avatar);  // server-escaped HTML
        li.addEventListener("mousedown", (e) => { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = false;
      textarea.setAttribute("aria-expanded", "true");
      mark(0);
    }
    textarea.addEventListener("input", () => {
      const before = textarea.value.slice(0, textarea.selectionStart);
      const m = /(^|\s)@([^\s@]{1,40})$/.exec(before);
      if (!m) { close(); return; }
      start = before.length - m[2].length - 1;
      const ticket = ++asked;
      fetch(room.dataset.mentionsUrl + "?q=" + encodeURIComponent(m[2]), { headers: { Accept: "application/json" } })
        .then((r) => r.ok ? r.json() : { people: [] })
        .then((d) => { if (ticket === asked) show(d.people || []); })
        .catch(() => {});
    });
    textarea.addEventListener("keydown", (e) => {
      if (list.hidden) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        const n = people.length;
        mark((active + (e.key === "ArrowDown" ? 1 : n - 1)) % n);
      } else if (e.key === "Enter" || e.key === "Tab") {
        e.preventDefault();
        e.stopImmediatePropagation();
        choose(active < 0 ? 0 : active);
      } else if (e.key === "Escape") {
        e.stopImmediatePropagation();
        close();
      }
    });
    textarea.addEventListener("blur", () => setTimeout(close, 150));
  }

  function setupComposer() {
    const form = document.getElementById("composer");
    if (!form) return;
    const textarea = form.querySelector("textarea");
    const status = document.getElementById("composer-status");
    const replyInput = form.querySelector('[name="reply_to"]');
    const replyPreview = document.getElementById("reply-preview");
    let lastTyping = 0;
    setupMentions(textarea);

    function clearReply() { replyInput.value = ""; replyPreview.hidden = true; }
    document.getElementById("reply-cancel").addEventListener("click", clearReply);

    textarea.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        form.requestSubmit();
      }
    });
    textarea.addEventListener("input", () => {
      const now = Date.now();
      if (socketOpen() && now - lastTyping > 2500 && textarea.value.trim()) {
        lastTyping = now;
        collab.send("chat.typing", { conversation: roomId }).catch(() => {});
      }
    });
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const body = textarea.value;
      if (!body.trim()) return;
      status.textContent = "";
      const data = { conversation: roomId, body: body };
      if (replyInput.value) data.reply_to = Number(replyInput.value);
      textarea.value = "";
      clearReply();
      outboxAdd(data);
    });

    // Message tools (event delegation: messages come and go).
    history().addEventListener("click", (e) => {
      const button = e.target.closest("[data-tool], .reaction");
      if (!button) return;
      const msg = button.closest(".msg");
      const seq = Number(msg.dataset.seq);
      const base = { conversation: roomId, seq: seq };
      const report = (err) => { if (err && err.message) status.textContent = err.message; };
      const tool = button.classList.contains("reaction") ? "react" : button.dataset.tool;
      if (tool === "reply") {
        replyInput.value = seq;
        const body = msg.querySelector(".msg-body");
        replyPreview.querySelector("span").textContent = (body ? body.textContent.trim() : "").slice(0, 120);
        replyPreview.hidden = false;
        textarea.focus();
      } else if (tool === "react") {
        collab.send("chat.react", Object.assign(base, { emoji: button.dataset.emoji })).catch(report);
        const menu = button.closest("details");
        // Closing the menu hides the focused emoji: focus goes back to its summary.
        if (menu) { menu.open = false; menu.querySelector("summary").focus(); }
      } else if (tool === "pin") {
        collab.send("chat.pin", Object.assign(base, { pinned: !msg.classList.contains("is-pinned") })).catch(report);
      } else if (tool === "edit") {
        startEdit(msg, base, report);
      } else if (tool === "delete") {
        confirmDelete(msg, base, report);
      }
    });
  }

  function fromTemplate(id) {
    return document.getElementById(id).content.firstElementChild.cloneNode(true);
  }

  // Edit in place: the new version arrives as chat.message.changed and
  // replaces the whole message, form included.
  function startEdit(msg, base, report) {
    const body = msg.querySelector(".msg-body");
    if (!body || msg.querySelector("form.msg-edit")) return;
    const form = fromTemplate("msg-edit-form");
    const area = form.querySelector("textarea");
    const source = msg.querySelector("template.msg-source");
    const original = source ? source.content.textContent : body.textContent.trim();
    area.value = original;
    body.hidden = true;
    body.after(form);
    area.focus();
    // Focus goes back to the Edit button, not lost with the removed form.
    const close = () => {
      const refocus = form.contains(document.activeElement);
      form.remove(); body.hidden = false;
      if (!refocus) return;
      // The message first: its toolbar shows only while focus is within it.
      msg.focus();
      const edit = msg.querySelector("[data-tool='edit']");
      if (edit) edit.focus();
    };
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = area.value.trim();
      if (!text) { area.focus(); return; }
      if (text === original.trim()) { close(); return; }
      area.readOnly = true;
      collab.send("chat.edit", Object.assign({}, base, { body: text })).then(close)
        .catch((err) => { area.readOnly = false; report(err); });
    });
    form.querySelector("[data-edit='cancel']").addEventListener("click", close);
    area.addEventListener("keydown", (e) => {
      if (e.key === "Escape") { e.preventDefault(); close(); }
      else if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
    });
  }

  function confirmDelete(msg, base, report) {
    if (msg.querySelector(".msg-confirm")) return;
    const box = fromTemplate("msg-delete-confirm");
    msg.appendChild(box);
    box.querySelector("[data-confirm='no']").focus();
    // Kept: focus on the Delete button; deleted: on the message (its toolbar is gone).
    const close = (deleted) => {
      const refocus = box.contains(document.activeElement);
      box.remove();
      if (!refocus) return;
      msg.focus();
      const tool = msg.querySelector("[data-tool='delete']");
      if (tool && !deleted) tool.focus();
    };
    box.addEventListener("click", (e) => {
      const choice = e.target.closest("[data-confirm]");
      if (!choice) return;
      const yes = choice.dataset.confirm === "yes";
      if (yes) collab.send("chat.delete", base).catch(report);
      close(yes);
    });
    box.addEventListener("keydown", (e) => { if (e.key === "Escape") close(false); });
  }

  // Opened from a search result (#msg-…): scroll to the message and mark it.
  function highlightFound() {
    const m = /^#msg-\d+-(\d+)$/.exec(location.hash);
    const el = m && document.getElementById(location.hash.slice(1));
    if (!el) return;
    el.classList.add("is-found");
    el.scrollIntoView({ block: "center" });
  }

  document.addEventListener("DOMContentLoaded", () => {
    room = document.getElementById("chat-room");
    if (room) {
      roomId = Number(room.dataset.conversation);
      lastSeq = Number(room.dataset.lastSeq);
      lastChange = Number(room.dataset.lastChange);
      lastRead = Number(room.dataset.lastRead);
      const data = document.getElementById("chat-members");
      members = data ? JSON.parse(data.textContent) : {};
      history().querySelectorAll(".msg").forEach(decorate);
      const divider = history().querySelector(".new-divider");
      if (divider) divider.scrollIntoView({ block: "center" }); else toBottom();
      setupComposer();
      // Phones: the room fills the screen down to the keyboard (visualViewport
      // shrinks when it opens), so the composer stays in sight.
      const fit = () => {
        const top = room.getBoundingClientRect().top + window.scrollY;
        room.style.setProperty("--chat-top", Math.round(top + 8) + "px");
        if (window.visualViewport) document.documentElement.style.setProperty("--chat-vh", Math.round(window.visualViewport.height) + "px");
      };
      fit();
      if (window.visualViewport) window.visualViewport.addEventListener("resize", fit);
      highlightFound();
      scheduleRead();
      document.addEventListener("visibilitychange", scheduleRead);
    }
    // Safety net: a Redis reconnect can drop events without closing the socket.
    setInterval(() => { if (room && socketOpen()) resync(); }, 60000);
    // An older page is inserted above what the reader sees: keep their place.
    // Without this, at scrollTop 0 the new page's own "load older" marker is
    // in view at once and the whole history loads page after page.
    let heightBefore = null;
    document.body.addEventListener("htmx:beforeSwap", (e) => {
      if (room && e.detail.target && e.detail.target.classList.contains("history-more")) {
        heightBefore = history().scrollHeight;
      }
    });
    // Older pages loaded by htmx: decorate them too.
    document.body.addEventListener("htmx:afterSwap", () => {
      if (!room) return;
      if (heightBefore !== null) {
        history().scrollTop += history().scrollHeight - heightBefore;
        heightBefore = null;
      }
      history().querySelectorAll(".msg").forEach(decorate);
    });
  });
})();
