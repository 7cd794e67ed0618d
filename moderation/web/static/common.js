// Shared by every page: JSON requests that carry the CSRF token, and a status line.
"use strict";

window.Moderation = (function () {
  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  async function send(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body || {}),
    });
    return answer(response);
  }

  async function get(url) {
    const response = await fetch(url, { credentials: "same-origin" });
    return answer(response);
  }

  async function answer(response) {
    let data = {};
    try {
      data = await response.json();
    } catch (e) {
      data = {};
    }
    if (response.status === 401) {
      window.location.assign("/ui/login");
    }
    if (!response.ok) {
      // The reader's language for the statuses a moderator meets; the server's words after a
      // separator only when they add something (field errors).
      const known = JSON.parse(document.body.dataset.errors || "{}");
      const fields = (data.errors || []).map(function (e) { return e.field + ": " + e.message; });
      const head = known[String(response.status)] || known.other || data.title || response.statusText;
      const text = fields.length ? head + " — " + fields.join("; ") : head;
      const error = new Error(text.trim());
      error.status = response.status;
      error.fields = (data.errors || []).map(function (e) { return e.field; });
      throw error;
    }
    return data;
  }

  let timer = null;
  function toast(text, isError) {
    const box = document.getElementById("toast");
    if (!box) return;
    box.textContent = text;          // text only: never parsed as HTML
    box.className = isError ? "error" : "";
    box.hidden = false;
    clearTimeout(timer);
    timer = setTimeout(function () { box.hidden = true; }, 6000);
  }

  function fragment(html) {
    // HTML rendered (and escaped) by the server's templates
    const template = document.createElement("template");
    template.innerHTML = html;
    return template.content;
  }

  return { send: send, get: get, toast: toast, fragment: fragment };
})();
