// reeltag staff review: keys, the visible-time clock and the tag autocomplete. The server holds every decision;
// each key sends one request and the panel is re-rendered from the server's answer (htmx swaps it).
(function () {
  "use strict";
  const body = document.body;
  const base = body.dataset.base || "";
  const csrf = body.dataset.csrf;
  let selected = null;    // rank of the selected chip
  let visibleMs = 0;      // time on the current item while the page is visible
  let shownSince = null;
  let currentItem = null;

  function panel() { return document.getElementById("item"); }
  function itemId() { const p = panel(); return p && p.dataset.itemId ? p.dataset.itemId : null; }

  function clockStart() { if (document.visibilityState === "visible" && shownSince === null) shownSince = performance.now(); }
  function clockStop() { if (shownSince !== null) { visibleMs += performance.now() - shownSince; shownSince = null; } }
  function seconds() { clockStop(); clockStart(); return (visibleMs / 1000).toFixed(3); }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") clockStart(); else clockStop();
  });

  function post(path, values) {
    clearError();
    return htmx.ajax("POST", base + path, {
      target: "#item", swap: "outerHTML", values: values, headers: { "X-CSRF-Token": csrf },
    });
  }
  function clearError() { const e = document.getElementById("error"); if (e) e.innerHTML = ""; }

  function chip(rank) { return document.querySelector('#chips .chip[data-rank="' + rank + '"]'); }
  function select(rank) {
    document.querySelectorAll("#chips .chip.selected").forEach(function (c) { c.classList.remove("selected"); });
    const c = chip(rank);
    selected = c ? rank : null;
    if (c) c.classList.add("selected");
  }
  function decideSelected(kind) {
    const id = itemId();
    if (id && selected !== null) post("/items/" + id + "/actions", { kind: kind, rank: selected });
  }
  function addTag(tag) {
    const id = itemId();
    if (id && tag.trim()) post("/items/" + id + "/actions", { kind: "add", tag: tag });
  }
  function submitItem() { const id = itemId(); if (id) post("/items/" + id + "/submit", { seconds: seconds() }); }
  function undo() { const id = itemId(); post("/undo", id ? { item_id: id } : {}); }

  function typing(target) {
    return target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
  }
  const KEYS = {
    a: function () { decideSelected("accept"); }, x: function () { decideSelected("reject"); },
    u: undo, Enter: submitItem,
    t: function () { const i = document.getElementById("tag-input"); if (i) i.focus(); },
  };
  document.addEventListener("keydown", function (ev) {
    if (typing(ev.target) || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (/^[1-9]$/.test(ev.key)) { select(Number(ev.key)); ev.preventDefault(); return; }
    const run = KEYS[ev.key];
    if (run) { ev.preventDefault(); run(); }
  });

  function options() { return Array.from(document.querySelectorAll("#tag-options .option")); }
  function moveActive(step) {
    const all = options();
    if (!all.length) return;
    const at = all.findIndex(function (o) { return o.classList.contains("active"); });
    all.forEach(function (o) { o.classList.remove("active"); });
    all[(at + step + all.length) % all.length].classList.add("active");
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.target.id !== "tag-input") return;
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") { ev.preventDefault(); moveActive(ev.key === "ArrowDown" ? 1 : -1); }
    else if (ev.key === "Escape") { ev.target.blur(); }
    else if (ev.key === "Enter") {
      ev.preventDefault();
      const active = document.querySelector("#tag-options .option.active");
      addTag(active ? active.dataset.tag : ev.target.value);
    }
  });
  document.addEventListener("click", function (ev) {
    const option = ev.target.closest && ev.target.closest("#tag-options .option");
    if (option) { addTag(option.dataset.tag); return; }
    const c = ev.target.closest && ev.target.closest("#chips .chip");
    if (c) select(Number(c.dataset.rank));
  });

  function onPanel() {
    const id = itemId();
    if (id !== currentItem) { currentItem = id; visibleMs = 0; shownSince = null; selected = null; clockStart(); }
    else if (selected !== null) { select(selected); }
    const video = document.getElementById("player");
    if (video) video.addEventListener("error", function () {
      const note = document.getElementById("codec-note");
      if (note) note.hidden = false;
    });
  }
  document.addEventListener("htmx:afterSettle", function (ev) { if (ev.target.id === "item" || ev.detail.target) onPanel(); });
  onPanel();
})();
