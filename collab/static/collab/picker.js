/* Chip pickers (collab/widgets.py ChipPicker): an ARIA combobox that asks the
 * server for people or directorates matching what is typed, and keeps each
 * choice as a removable chip holding a hidden input of the form.
 *
 * Keys: ArrowDown/ArrowUp move through the suggestions, Enter adds the active
 * one, Escape closes them, Backspace in the empty field moves to the last chip,
 * Backspace or Delete on a chip's remove button removes it.
 */
(function () {
  "use strict";

  function init(root) {
    if (root.dataset.pickerReady) return;
    root.dataset.pickerReady = "1";
    const ui = root.querySelector(".picker-ui");
    const input = ui.querySelector("[role=combobox]");
    const listbox = ui.querySelector("[role=listbox]");
    const chips = ui.querySelector(".chips");
    const status = ui.querySelector(".picker-status");
    const strings = JSON.parse(root.dataset.strings || "{}");
    const only = root.dataset.only !== undefined ? new Set(root.dataset.only.split(",")) : null;
    let results = [];
    let active = -1;
    let timer = null;
    let seq = 0;

    ui.hidden = false;
    // Disabled until now: without script the <noscript> fallback is the field.
    chips.querySelectorAll("input[type=hidden]").forEach((el) => { el.disabled = false; });

    function say(key, name) {
      status.textContent = (strings[key] || "").replace("%(name)s", name || "");
    }
    function chosen() {
      return new Set(Array.from(chips.querySelectorAll("input[type=hidden]"), (el) => el.value));
    }
    function allowed(row) {
      return !only || only.has(row.value);
    }

    function addChip(row) {
      if (chosen().has(row.value)) return false;
      const li = document.createElement("li");
      li.className = "chip";
      const label = document.createElement("span");
      label.className = "chip-label";
      label.dir = "auto";
      label.textContent = row.label;
      const hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = root.dataset.name;
      hidden.value = row.value;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "chip-remove";
      remove.setAttribute("aria-label", (strings.remove || "%(name)s").replace("%(name)s", row.label));
      const cross = document.createElement("span");
      cross.setAttribute("aria-hidden", "true");
      cross.textContent = "×";
      remove.append(cross);
      li.append(label, hidden, remove);
      if (row.avatar) li.insertAdjacentHTML("afterbegin", row.avatar);  // server-escaped HTML
      chips.append(li);
      chips.hidden = false;
      return true;
    }

    function removeChip(chip) {
      const name = chip.querySelector(".chip-label").textContent;
      const next = chip.nextElementSibling || chip.previousElementSibling;
      chip.remove();
      chips.hidden = !chips.children.length;
      say("removed", name);
      (next ? next.querySelector(".chip-remove") : input).focus();
    }

    function close() {
      results = [];
      active = -1;
      listbox.replaceChildren();
      listbox.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function mark() {
      Array.from(listbox.children).forEach((li, i) => {
        li.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      if (active >= 0) {
        const li = listbox.children[active];
        input.setAttribute("aria-activedescendant", li.id);
        li.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(rows) {
      const have = chosen();
      close();
      results = rows.filter((row) => allowed(row) && !have.has(row.value));
      results.forEach((row, i) => {
        const li = document.createElement("li");
        li.id = listbox.id + "-" + i;
        li.setAttribute("role", "option");
        li.dataset.index = String(i);
        const label = document.createElement("span");
        label.className = "option-label";
        label.dir = "auto";
        label.textContent = row.label;
        const detail = document.createElement("span");
        detail.className = "option-detail";
        detail.dir = "auto";
        detail.textContent = row.detail || "";
        li.append(label, detail);
        if (row.avatar) li.insertAdjacentHTML("afterbegin", row.avatar);  // server-escaped HTML
        listbox.append(li);
      });
      if (results.length) {
        listbox.hidden = false;
        input.setAttribute("aria-expanded", "true");
        active = 0;
        mark();
        status.textContent = "";
      } else {
        say("none");
      }
    }

    function fetchRows(params) {
      const url = new URL(root.dataset.searchUrl, window.location.href);
      Object.keys(params).forEach((key) => url.searchParams.set(key, params[key]));
      if (root.dataset.excludeSelf) url.searchParams.set("self", "0");
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((response) => (response.ok ? response.json() : { results: [] }))
        .then((data) => data.results || []);
    }

    function search() {
      clearTimeout(timer);
      const query = input.value.trim();
      const mine = ++seq;
      if (!query) { close(); status.textContent = ""; return; }
      fetchRows({ q: query }).then((rows) => { if (mine === seq) show(rows); }).catch(() => {});
    }

    function choose(index) {
      const row = results[index];
      if (!row) return;
      addChip(row);
      input.value = "";
      seq++;
      close();
      say("added", row.label);
      input.focus();
    }

    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!results.length) { search(); return; }
        const step = event.key === "ArrowDown" ? 1 : -1;
        active = (active + step + results.length) % results.length;
        mark();
      } else if (event.key === "Enter") {
        // Enter never submits the form while a name is being typed.
        if (active >= 0 && results.length) { event.preventDefault(); choose(active); }
        else if (input.value.trim()) { event.preventDefault(); search(); }
      } else if (event.key === "Escape") {
        if (results.length) { event.preventDefault(); close(); }
      } else if (event.key === "Backspace" && !input.value && chips.lastElementChild) {
        event.preventDefault();
        chips.lastElementChild.querySelector(".chip-remove").focus();
      }
    });
    input.addEventListener("blur", () => { setTimeout(() => { if (document.activeElement !== input) close(); }, 0); });
    // Pressing an option must not blur the field before the click lands.
    listbox.addEventListener("mousedown", (event) => event.preventDefault());
    listbox.addEventListener("click", (event) => {
      const li = event.target.closest("[role=option]");
      if (li) choose(Number(li.dataset.index));
    });
    chips.addEventListener("click", (event) => {
      const button = event.target.closest(".chip-remove");
      if (button) removeChip(button.closest(".chip"));
    });
    chips.addEventListener("keydown", (event) => {
      const button = event.target.closest(".chip-remove");
      if (button && (event.key === "Backspace" || event.key === "Delete")) {
        event.preventDefault();
        removeChip(button.closest(".chip"));
      }
    });
    root.querySelectorAll("[data-shortcut]").forEach((button) => {
      button.addEventListener("click", () => {
        fetchRows({ kind: button.dataset.shortcut }).then((rows) => {
          rows.filter(allowed).forEach(addChip);
          say("added", button.textContent.trim());
        }).catch(() => {});
      });
    });
  }

  function initAll(scope) {
    (scope || document).querySelectorAll("[data-chip-picker]").forEach(init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => initAll());
  } else {
    initAll();
  }
  document.addEventListener("htmx:load", (event) => initAll(event.target));
})();
