// The policy editor: sliders show their values; preview before save; save with the version read.
"use strict";

(function () {
  const M = window.Moderation;
  const form = document.getElementById("policy-form");
  if (!form) return;
  const message = document.getElementById("policy-message");
  const result = document.getElementById("preview-result");
  const saveButton = document.getElementById("save");

  form.querySelectorAll('input[type="range"]').forEach(function (slider) {
    slider.addEventListener("input", function () {
      const out = form.querySelector('output[for="' + slider.id + '"]');
      if (out) out.textContent = slider.value;
    });
  });
  form.addEventListener("input", function () { saveButton.disabled = true; });

  function lines(name) {
    return form.elements[name].value.split("\n").map(function (s) { return s.trim(); })
      .filter(function (s) { return s.length > 0; });
  }

  function change() {
    const thresholds = {};
    form.querySelectorAll('input[type="range"]').forEach(function (slider) {
      const parts = slider.name.split(".");
      thresholds[parts[0]] = thresholds[parts[0]] || {};
      thresholds[parts[0]][parts[1]] = Number(slider.value);
    });
    const links = form.elements.max_links.value;
    return {
      thresholds: thresholds,
      blocked_terms: lines("blocked_terms"),
      watched_terms: lines("watched_terms"),
      trusted_domains: lines("trusted_domains"),
      premoderate_new_authors: form.elements.premoderate_new_authors.checked,
      trust_approved_authors: form.elements.trust_approved_authors.checked,
      max_links: links === "" ? null : Number(links),
      time_zone: form.elements.time_zone.value.trim(),
      report_hold_threshold: Number(form.elements.report_hold_threshold.value || 0),
    };
  }

  function say(text, isError) {
    message.textContent = text;
    message.className = isError ? "message error" : "message";
  }

  document.getElementById("preview").addEventListener("click", async function () {
    try {
      const data = await M.send("/ui/api/policy/preview",
        { version: Number(form.dataset.version), change: change() });
      result.replaceChildren(M.fragment(data.html));
      saveButton.disabled = false;
      say("");
    } catch (e) {
      say(e.message, true);
    }
  });

  saveButton.addEventListener("click", async function () {
    try {
      const data = await M.send("/ui/api/policy",
        { version: Number(form.dataset.version), change: change() });
      form.dataset.version = String(data.version);
      document.getElementById("policy-version").textContent = String(data.version);
      saveButton.disabled = true;
      say(form.dataset.msgSaved.replace("{version}", String(data.version)));
    } catch (e) {
      say(e.message, true);
    }
  });
})();
