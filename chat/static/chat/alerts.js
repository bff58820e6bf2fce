/* On every page (loaded from chat/nav_item.html): the Chat tab's unread count
 * and the tab title follow new messages and reads live; a mention or a direct
 * message (the server lists whom to alert in `alert`, muted conversations left
 * out) plays a short beep and shows a desktop notification once allowed.
 */
(function () {
  "use strict";
  if (window.chatAlerts || !window.collab) return;
  window.chatAlerts = true;
  const me = Number(document.body.dataset.userId || 0);
  const baseTitle = document.title;
  let audio = null;

  function badge() { return document.getElementById("chat-unread-total"); }
  function total() { const b = badge(); return b ? Number(b.dataset.count || 0) : 0; }
  function setTotal(n) {
    n = Math.max(0, n);
    const b = badge();
    if (b) {
      b.dataset.count = n;
      b.hidden = !n;
      b.firstElementChild.textContent = n;
    }
    // The phone's menu button carries the count while the menu is closed.
    const toggle = document.querySelector("#nav-toggle [data-chat-unread]");
    if (toggle) { toggle.textContent = n; toggle.hidden = !n; }
    document.title = n ? "(" + n + ") " + baseTitle : baseTitle;
  }
  function viewing(conversation) {
    const room = document.getElementById("chat-room");
    return room && Number(room.dataset.conversation) === conversation && document.visibilityState === "visible";
  }
  function label(key) {
    const tpl = document.getElementById("presence-strings");
    const el = tpl && tpl.content.querySelector('[data-key="' + key + '"]');
    return el ? el.textContent : key;
  }
  // Browsers start sound only after a gesture: the context is made on the first one.
  function unlockAudio() {
    if (audio || !window.AudioContext) return;
    try { audio = new AudioContext(); } catch (e) { audio = null; }
  }
  function beep() {
    if (!audio) return;
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.08, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.25);
    document.body.dataset.chatBeeps = Number(document.body.dataset.chatBeeps || 0) + 1;
  }
  function alertFor(d) {
    beep();
    if (window.Notification && Notification.permission === "granted" && document.visibilityState !== "visible") {
      const n = new Notification(label("mentioned"), { body: d.preview || "", tag: "chat-" + d.conversation });
      n.onclick = () => { window.focus(); location.href = "/chat/" + d.conversation + "/#msg-" + d.conversation + "-" + d.seq; };
    }
    document.body.dataset.chatAlerts = Number(document.body.dataset.chatAlerts || 0) + 1;
  }

  collab.on("chat.message", (d) => {
    if (d.author_id === me) return;
    if (!viewing(d.conversation)) setTotal(total() + 1);
    if ((d.alert || []).indexOf(me) !== -1 && !viewing(d.conversation)) alertFor(d);
  });
  collab.on("chat.read", (d) => { if (typeof d.total === "number") setTotal(d.total); });

  document.addEventListener("DOMContentLoaded", () => {
    setTotal(total());
    document.addEventListener("pointerdown", unlockAudio, { once: true });
    document.addEventListener("keydown", unlockAudio, { once: true });
    // Permission is asked from a button the user presses, never on page load.
    const enable = document.getElementById("chat-alerts-enable");
    if (enable && window.Notification && Notification.permission === "default") {
      enable.hidden = false;
      enable.addEventListener("click", () => {
        unlockAudio();
        Notification.requestPermission().then(() => { enable.hidden = true; });
      });
    }
  });
})();
