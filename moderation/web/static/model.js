// The site's own model: train now, pin a version (roll back) or follow the latest, on or off.
"use strict";

(function () {
  const M = window.Moderation;
  const box = document.getElementById("model-actions");
  if (!box) return;
  const message = document.getElementById("model-message");
  const KEY = "moderation.model.message";

  function say(text, isError) {
    message.textContent = text;      // text only
    message.className = isError ? "message error" : "message";
  }

  function reloadSaying(text) {
    try { window.sessionStorage.setItem(KEY, text); } catch (e) { /* private mode */ }
    window.location.reload();
  }

  try {
    const kept = window.sessionStorage.getItem(KEY);
    if (kept) {
      window.sessionStorage.removeItem(KEY);
      say(kept);
    }
  } catch (e) { /* private mode */ }

  function pinned() {
    return box.dataset.pinned ? Number(box.dataset.pinned) : null;
  }

  async function choose(change) {
    const buttons = document.querySelectorAll("#model-actions button, .model-pin");
    buttons.forEach(function (b) { b.disabled = true; });
    try {
      await M.send("/ui/api/model", change);
      reloadSaying(box.dataset.msgSaved);
    } catch (e) {
      buttons.forEach(function (b) { b.disabled = false; });
      say(e.message, true);
    }
  }

  document.getElementById("model-train").addEventListener("click", async function () {
    const button = this;
    button.disabled = true;
    say(box.dataset.msgTraining);
    try {
      const out = await M.send("/ui/api/model/adapt", {});
      const text = (out.adopted ? box.dataset.msgAdopted : box.dataset.msgNotBetter)
        .replace("{version}", String(out.version)).replace("{decisions}", String(out.decisions));
      reloadSaying(text);
    } catch (e) {
      button.disabled = false;
      say(e.message, true);
    }
  });

  document.getElementById("model-toggle").addEventListener("click", function () {
    choose({ pinned: pinned(), enabled: box.dataset.enabled !== "true" });
  });

  const unpin = document.getElementById("model-unpin");
  if (unpin) {
    unpin.addEventListener("click", function () { choose({ pinned: null, enabled: true }); });
  }

  document.querySelectorAll(".model-pin").forEach(function (button) {
    button.addEventListener("click", function () {
      choose({ pinned: Number(button.dataset.version), enabled: true });
    });
  });
})();
