// SCORM 1.2 runtime for the lesson page: the package in the iframe finds
// window.parent.API (the standard's lookup) and talks to it synchronously;
// values are kept here and posted to the server on LMSCommit and LMSFinish.
(function () {
  "use strict";
  const ERRORS = {
    "0": "No error", "101": "General exception", "201": "Invalid argument error",
    "301": "Not initialized", "401": "Not implemented error",
    "403": "Element is read only", "405": "Incorrect data type",
  };
  const READ_ONLY = new Set(["cmi.core.student_id", "cmi.core.student_name",
    "cmi.core.credit", "cmi.core.entry", "cmi.core.total_time", "cmi.launch_data"]);
  let values = {};
  let dirty = {};
  let state = "new";  // new -> running -> finished
  let lastError = "0";

  function csrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function loadSaved() {
    const node = document.getElementById("scorm-data");
    let saved = null;
    try { saved = node ? JSON.parse(node.textContent) : null; } catch (e) { saved = null; }
    values = Object.assign({"cmi.core.lesson_status": "not attempted"},
                           saved && typeof saved === "object" ? saved : {});
    values["cmi.core.entry"] = saved && saved["cmi.suspend_data"] ? "resume" : "ab-initio";
    values["cmi.core.credit"] = "credit";
  }

  function commit() {
    const frame = document.getElementById("scorm-frame");
    const url = frame && frame.dataset.runtime;
    const body = JSON.stringify(dirty);
    dirty = {};
    if (!url || body === "{}") return true;
    // keepalive: the last commit is often sent while the page is leaving.
    fetch(url, {method: "POST", body: body, keepalive: true, credentials: "same-origin",
                headers: {"X-CSRFToken": csrfToken(), "Content-Type": "application/json"}})
      .catch(function () { /* the next commit sends the newer values */ });
    return true;
  }

  function running() {
    if (state !== "running") { lastError = "301"; return false; }
    return true;
  }

  window.API = {
    LMSInitialize: function (arg) {
      if (arg !== "" && arg !== undefined) { lastError = "201"; return "false"; }
      loadSaved(); state = "running"; lastError = "0"; return "true";
    },
    LMSFinish: function (arg) {
      if (!running()) return "false";
      commit(); state = "finished"; lastError = "0"; return "true";
    },
    LMSGetValue: function (element) {
      if (!running()) return "";
      lastError = "0";
      const value = values[element];
      return value === undefined || value === null ? "" : String(value);
    },
    LMSSetValue: function (element, value) {
      if (!running()) return "false";
      if (READ_ONLY.has(element)) { lastError = "403"; return "false"; }
      values[element] = String(value);
      dirty[element] = String(value);
      lastError = "0";
      return "true";
    },
    LMSCommit: function (arg) {
      if (!running()) return "false";
      lastError = "0"; return commit() ? "true" : "false";
    },
    LMSGetLastError: function () { return lastError; },
    LMSGetErrorString: function (code) { return ERRORS[String(code)] || ""; },
    LMSGetDiagnostic: function (code) { return ERRORS[String(code || lastError)] || ""; },
  };

  window.addEventListener("pagehide", function () { if (state === "running") commit(); });
})();
