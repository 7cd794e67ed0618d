// A moderation desk's tools (issue 19): edit and publish a comment's public copy (button or
// p on the current item), and an author's rule (ban, premoderate, trust, lift).
"use strict";

(function () {
  const M = window.Moderation;
  const list = document.getElementById("items");

  function editor(item) { return item && item.querySelector("form.redact"); }

  function open(item) {
    const form = editor(item);
    if (!form) return;
    form.hidden = false;
    const button = item.querySelector("button.redact-open");
    if (button) button.setAttribute("aria-expanded", "true");
    const area = form.querySelector("textarea");
    area.focus();
  }

  function close(item) {
    const form = editor(item);
    if (!form) return;
    form.hidden = true;
    const button = item.querySelector("button.redact-open");
    if (button) button.setAttribute("aria-expanded", "false");
    item.focus({ preventScroll: true });
  }

  function swap(item, html) {
    const node = M.fragment(html).querySelector("li.item");
    if (list.classList.contains("single")) {
      // the comment page shows no checkbox and no link to itself
      node.querySelectorAll("input.pick, a.history").forEach(function (e) { e.remove(); });
    }
    if (document.getElementById("rule")) {
      node.querySelectorAll("a.author-link").forEach(function (e) { e.remove(); });
    }
    item.replaceWith(node);
    node.classList.add("current");
    node.focus({ preventScroll: true });
    return node;
  }

  async function save(item, publish) {
    const form = editor(item);
    const note = form.querySelector('input[name="note"]').value.trim();
    const body = {
      id: form.dataset.id,
      public_body: form.querySelector("textarea").value,
      publish: publish,
    };
    if (note) body.note = note;
    try {
      const data = await M.send("/ui/api/redact", body);
      const keep = list.dataset.keep === "1";
      if (publish && !keep && data.published) {
        const next = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        const empty = document.getElementById("empty");
        if (empty) empty.hidden = list.querySelector("li.item") !== null;
        if (next) next.focus({ preventScroll: true });
      } else {
        swap(item, data.html);
      }
      M.toast(publish ? form.dataset.done : form.dataset.saved);
    } catch (e) {
      M.toast(e.message, true);
    }
  }

  if (list) {
    list.addEventListener("click", function (event) {
      const item = event.target.closest("li.item");
      if (!item) return;
      if (event.target.closest("button.redact-open")) {
        if (editor(item).hidden) open(item); else close(item);
      } else if (event.target.closest("button.redact-cancel")) {
        close(item);
      } else if (event.target.closest("button.redact-save")) {
        save(item, false);
      }
    });
    list.addEventListener("submit", function (event) {
      const form = event.target.closest("form.redact");
      if (!form) return;
      event.preventDefault();
      save(form.closest("li.item"), true);
    });
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      const typing = "textarea, select, input:not([type=checkbox]):not([type=radio])";
      if (event.target.matches && event.target.matches(typing)) {
        if (event.key === "Escape") close(event.target.closest("li.item"));
        return;
      }
      if (event.key !== "p") return;
      const current = list.querySelector("li.item.current");
      if (!current) return;
      event.preventDefault();
      open(current);
    });
  }

  // The items of the author's page show the rule now in force.
  function badges(box) {
    const rule = box.dataset.rule;
    const words = JSON.parse(box.dataset.badges || "{}");
    document.querySelectorAll("#items li.item").forEach(function (item) {
      item.querySelectorAll(".author-rule").forEach(function (e) { e.remove(); });
      if (!rule) return;
      const badge = document.createElement("span");
      badge.className = "author-rule rule-" + rule;
      badge.textContent = words[rule] || rule;
      const email = item.querySelector(".head .email");
      if (email) email.after(badge);
    });
  }

  // The author's page: one rule at a time, or none.
  document.addEventListener("click", async function (event) {
    const button = event.target.closest("#rule [data-rule]");
    if (!button) return;
    const box = document.getElementById("rule");
    try {
      const data = await M.send("/ui/api/author-rule", {
        author: box.dataset.author, rule: button.dataset.rule || null,
      });
      box.replaceWith(M.fragment(data.html));
      badges(document.getElementById("rule"));
      M.toast(box.dataset.saved);
    } catch (e) {
      M.toast(e.message, true);
    }
  });
})();
