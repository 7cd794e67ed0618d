// The owners' staff page: add a member (one-time link or first password), revoke, restore,
// reset a password (a new one-time link). A link is shown once, to be handed on by the owner.
"use strict";

(function () {
  const M = window.Moderation;
  const table = document.getElementById("staff");
  if (!table) return;
  const msg = table.dataset;
  const form = document.getElementById("invite-form");
  const passwordLabel = document.getElementById("invite-password-label");
  const password = document.getElementById("invite-password");

  function fill(template, values) {
    return Object.keys(values).reduce(function (text, key) {
      return text.split("{" + key + "}").join(values[key]);
    }, template);
  }

  // The page's own words for what a moderator meets here; the generic ones otherwise.
  function problem(e) {
    const fields = e.fields || [];
    if (e.status === 404) return msg.msgGone;
    if (e.status === 422 && fields.indexOf("username") >= 0) return msg.msgTaken;
    if (e.status === 422 && fields.indexOf("password") >= 0) return msg.msgRefused;
    return e.message;
  }

  function showLink(data) {
    const box = document.getElementById("staff-link");
    document.getElementById("staff-link-text").textContent =
      fill(msg.msgLink, { username: data.username, when: data.expires_shown });
    document.getElementById("staff-link-url").value = data.path;
    box.hidden = false;
  }

  function chosenMethod() {
    const checked = form.querySelector('input[name="method"]:checked');
    return checked ? checked.value : "link";
  }

  form.addEventListener("change", function () {
    const withPassword = chosenMethod() === "password";
    passwordLabel.hidden = !withPassword;
    password.required = withPassword;
  });

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const method = chosenMethod();
    const body = {
      username: document.getElementById("invite-username").value,
      role: document.getElementById("invite-role").value,
      method: method,
    };
    if (method === "password") body.password = password.value;
    try {
      const data = await M.send("/ui/api/staff/invite", body);
      form.reset();
      passwordLabel.hidden = true;
      password.required = false;
      if (data.path) {
        showLink(data);
      } else {
        M.toast(fill(msg.msgPassword, { username: data.username }));
      }
      await reloadTable();
    } catch (e) {
      M.toast(problem(e), true);
    }
  });

  // The table as the server sees it now (the page's own HTML, fetched again).
  async function reloadTable() {
    const response = await fetch(window.location.pathname, { credentials: "same-origin" });
    const page = M.fragment(await response.text());
    const fresh = page.querySelector("#staff tbody");
    if (fresh) table.querySelector("tbody").replaceWith(fresh);
  }

  table.addEventListener("click", async function (event) {
    const button = event.target.closest("button[data-staff]");
    if (!button) return;
    const row = button.closest("tr");
    const username = row.dataset.username;
    const action = button.dataset.staff;
    if (action === "revoke" && !window.confirm(fill(msg.msgConfirmRevoke, { username: username }))) return;
    if (action === "reset" && !window.confirm(fill(msg.msgConfirmReset, { username: username }))) return;
    try {
      const data = await M.send("/ui/api/staff/" + action, { username: username });
      if (action === "reset") showLink(data);
      else M.toast(fill(action === "revoke" ? msg.msgRevoked : msg.msgRestored, { username: username }));
      await reloadTable();
    } catch (e) {
      M.toast(problem(e), true);
    }
  });

  document.getElementById("staff-link-copy").addEventListener("click", async function () {
    const field = document.getElementById("staff-link-url");
    field.select();
    try {
      await navigator.clipboard.writeText(field.value);
      M.toast(msg.msgCopied);
    } catch (e) {
      // without clipboard access the link stays selected, for Ctrl+C
    }
  });
})();
