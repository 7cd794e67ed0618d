// The queue: j/k move, a/r/s/n decide, u undo, x select, e expand, ? help; claim, bulk, filters.
"use strict";

(function () {
  const M = window.Moderation;
  const list = document.getElementById("items");
  if (!list) return;
  const keep = list.dataset.keep === "1";       // the comment page keeps decided items
  const undoStack = [];
  let current = null;

  function items() { return Array.from(list.querySelectorAll("li.item")); }

  function focus(item) {
    if (current) current.classList.remove("current");
    current = item || null;
    if (current) {
      current.classList.add("current");
      current.focus({ preventScroll: true });
      current.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    const all = items();
    if (!all.length) return;
    const at = all.indexOf(current);
    const next = at < 0 ? 0 : Math.min(all.length - 1, Math.max(0, at + step));
    focus(all[next]);
  }

  function refreshEmpty() {
    const empty = document.getElementById("empty");
    if (empty) empty.hidden = items().length > 0;
  }

  // The action in words, from the page (not from a button: the item may be gone already).
  const actionNames = JSON.parse(document.body.dataset.actions || "{}");
  function label(action) {
    return actionNames[action] || action;
  }

  function decided(item, action, status) {
    const all = items();
    const at = all.indexOf(item);
    undoStack.push({ id: item.dataset.id, index: at });
    if (keep) {
      item.dataset.status = status;
      item.classList.add("decided");
    } else {
      const next = all[at + 1] || all[at - 1] || null;
      item.remove();
      focus(next);
    }
    refreshEmpty();
    M.toast(list.dataset.msgDecided.replace("{action}", label(action)));
  }

  // A note typed beside the buttons goes with the decision (and into the history).
  function note(input) {
    const text = input ? input.value.trim() : "";
    return text || undefined;
  }
  function changed() { document.dispatchEvent(new CustomEvent("moderation:changed")); }

  async function decide(item, action) {
    if (!item) return;
    try {
      const data = await M.send("/ui/api/decision", {
        id: item.dataset.id, action: action, note: note(item.querySelector("input.note")),
      });
      changed();
      decided(item, action, data.status);
    } catch (e) {
      M.toast(e.message, true);
    }
  }

  async function undo() {
    const last = undoStack.pop();
    if (!last) return;
    try {
      const data = await M.send("/ui/api/undo", { id: last.id });
      changed();
      const node = M.fragment(data.html).querySelector("li.item");
      // the comment page shows no checkbox and no link to itself
      if (keep) node.querySelectorAll("input.pick, a.history").forEach(function (e) { e.remove(); });
      const old = list.querySelector('li.item[data-id="' + last.id + '"]');
      if (old) {
        old.replaceWith(node);
      } else {
        const all = items();
        list.insertBefore(node, all[last.index] || null);
      }
      focus(node);
      refreshEmpty();
      M.toast(list.dataset.msgUndone);
    } catch (e) {
      M.toast(e.message, true);
    }
  }

  function picked() {
    return items().filter(function (i) { return i.querySelector("input.pick").checked; });
  }

  async function bulk(action) {
    const chosen = picked();
    if (!chosen.length) return;
    try {
      const bulkNote = document.getElementById("bulk-note");
      const data = await M.send("/ui/api/bulk", {
        ids: chosen.map(function (i) { return i.dataset.id; }), action: action, note: note(bulkNote),
      });
      if (bulkNote) bulkNote.value = "";
      changed();
      const done = new Set(data.items.filter(function (r) {
        return r.outcome === "changed" || r.outcome === "unchanged";
      }).map(function (r) { return r.id; }));
      chosen.forEach(function (i) { if (done.has(i.dataset.id)) i.remove(); });
      refreshEmpty();
      const refused = chosen.length - done.size;
      M.toast(label(action) + ": " + done.size + (refused ? " (" + refused + " ✗)" : ""));
      focus(items()[0]);
    } catch (e) {
      M.toast(e.message, true);
    }
  }

  function replace(html) {
    list.replaceChildren(M.fragment(html));
    focus(items()[0]);
    refreshEmpty();
  }

  async function claim() {
    try {
      const data = await M.send("/ui/api/claim", { limit: 10 });
      replace(data.html);            // the list is now the batch claimed, not a page
      const more = document.getElementById("more");
      if (more) more.hidden = true;
    } catch (e) {
      M.toast(e.message, true);
    }
  }

  async function release() {
    try {
      const data = await M.send("/ui/api/release", {});
      M.toast(String(data.released));
      await load(window.location.search, false);
    } catch (e) {
      M.toast(e.message, true);
    }
  }

  async function load(search, append) {
    const data = await M.get("/ui/api/items" + search);
    if (append) {
      list.appendChild(M.fragment(data.html));
      refreshEmpty();
    } else {
      replace(data.html);
    }
    const more = document.getElementById("more");
    list.dataset.next = data.next_cursor || "";
    if (more) more.hidden = !data.next_cursor;
  }

  const filters = document.getElementById("filters");
  if (filters) {
    filters.addEventListener("submit", function (event) {
      event.preventDefault();
      const params = new URLSearchParams();
      new FormData(filters).forEach(function (value, key) { if (value) params.set(key, value); });
      const search = "?" + params.toString();
      history.replaceState(null, "", "/ui/queue" + search);
      load(search, false).catch(function (e) { M.toast(e.message, true); });
    });
  }

  function on(id, handler) {
    const element = document.getElementById(id);
    if (element) element.addEventListener("click", handler);
  }
  on("claim", claim);
  on("release", release);
  on("undo", undo);
  on("help-toggle", function () { toggleHelp(); });
  on("more", function () {
    const params = new URLSearchParams(window.location.search);
    params.set("cursor", list.dataset.next);
    load("?" + params.toString(), true).catch(function (e) { M.toast(e.message, true); });
  });
  on("pick-all", function (event) {
    items().forEach(function (i) { i.querySelector("input.pick").checked = event.target.checked; });
  });
  document.querySelectorAll("[data-bulk]").forEach(function (button) {
    button.addEventListener("click", function () { bulk(button.dataset.bulk); });
  });
  // A long comment is cut after a few lines; "Show more" (or e on the current item) opens it.
  function expand(item) {
    const button = item && item.querySelector("button.expand");
    if (!button) return;
    const body = item.querySelector(".body");
    const open = !body.classList.contains("open");
    body.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? button.dataset.less : button.dataset.more;
  }

  list.addEventListener("click", function (event) {
    const toggle = event.target.closest("button.expand");
    if (toggle) expand(toggle.closest("li.item"));
    const button = event.target.closest("button[data-action]");
    const item = event.target.closest("li.item");
    if (item && !event.target.closest("a, input, textarea, form")) focus(item);
    if (button && item) decide(item, button.dataset.action);
  });

  function toggleHelp() {
    const help = document.getElementById("help");
    if (help) help.hidden = !help.hidden;
  }

  const KEYS = { a: "approve", r: "reject", s: "spam", n: "not_spam" };
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    // letters typed into a field are text, not shortcuts (a checkbox is not a field)
    const typing = "textarea, select, input:not([type=checkbox]):not([type=radio])";
    if (event.target.matches && event.target.matches(typing)) return;
    const key = event.key;
    if (key === "j") move(1);
    else if (key === "k") move(-1);
    else if (KEYS[key]) decide(current, KEYS[key]);
    else if (key === "u") undo();
    else if (key === "e") expand(current);
    else if (key === "x" && current && current.querySelector("input.pick")) {
      const box = current.querySelector("input.pick");
      box.checked = !box.checked;
    } else if (key === "?") toggleHelp();
    else return;
    event.preventDefault();
  });

  focus(items()[0]);
})();
