/* Announcements arriving live: feed, toast, bell, urgent banners, read counts.
 * Events carry one rendering per UI language (render[lang]); pick ours. */
(function () {
  "use strict";
  if (!window.collab) return;
  const lang = (document.documentElement.lang || "ar").slice(0, 2);

  function pick(render) {
    return render[lang] || render.fr || render.ar || Object.values(render)[0] || {};
  }

  function fragment(html) {
    const tpl = document.createElement("template");
    tpl.innerHTML = html.trim();
    return tpl.content.firstElementChild;
  }

  function bump() {
    const el = document.getElementById("bell-count");
    if (!el) return;
    const count = Number(el.dataset.count || 0) + 1;
    el.dataset.count = count;
    el.textContent = count;
    el.hidden = false;
  }

  function insertItem(id, html, pinned) {
    const feed = document.getElementById("ann-feed");
    // Only the unfiltered first page of the feed takes new arrivals.
    if (!feed || feed.dataset.firstPage !== "1" || !html) return;
    const existing = document.getElementById("ann-" + id);
    if (existing) existing.remove();
    const empty = feed.querySelector(".empty");
    if (empty) empty.remove();
    const item = fragment(html);
    // Pinned ones stay on top: a new unpinned item goes after the last pinned one.
    const pins = feed.querySelectorAll('.ann-item[data-pinned="1"]');
    if (!pinned && pins.length) pins[pins.length - 1].after(item);
    else feed.prepend(item);
    if (window.htmx) htmx.process(item);
  }

  function showBanner(id, html) {
    const box = document.getElementById("ann-banners");
    if (!box || !html || document.getElementById("ann-banner-" + id)) return;
    const banner = fragment(html);
    box.appendChild(banner);
    if (window.htmx) htmx.process(banner);
  }

  function removeEverywhere(id) {
    ["ann-" + id, "ann-banner-" + id].forEach((domId) => {
      const el = document.getElementById(domId);
      if (el) el.remove();
    });
  }

  collab.on("announcement.published", (data) => {
    const r = pick(data.render);
    insertItem(data.id, r.item, data.pinned);
    if (data.priority === "urgent") showBanner(data.id, r.banner);
    if (r.toast) collab.toast(r.toast);
    bump();
  });
  collab.on("announcement.updated", (data) => {
    const el = document.getElementById("ann-" + data.id);
    const r = pick(data.render);
    if (el && r.item) {
      const item = fragment(r.item);
      el.replaceWith(item);
      if (window.htmx) htmx.process(item);
    }
  });
  collab.on("announcement.withdrawn", (data) => removeEverywhere(data.id));
  collab.on("announcement.acknowledged", (data) => {
    const el = document.getElementById("ann-banner-" + data.id);
    if (el) el.remove();
  });
  collab.on("announcement.receipts", (data) => {
    const el = document.getElementById("ann-stats-" + data.id);
    const html = data.render[lang] || Object.values(data.render)[0];
    if (el && html) el.replaceWith(fragment(html));
  });
})();
