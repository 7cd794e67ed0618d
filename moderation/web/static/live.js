// The queue page while it stays open: counts per status in the tabs kept current, and new
// comments (or new reports, on the Reported view) announced in a banner, never slid under the
// moderator's cursor; "Show" loads them. Asks GET /ui/api/live (the database answers, so any
// process of the service can) every few seconds while the page is visible.
"use strict";

(function () {
  const M = window.Moderation;
  const box = document.getElementById("live");
  if (!box) return;
  const text = document.getElementById("fresh-text");
  const filters = document.getElementById("filters");
  const every = Math.max(1000, Number(box.dataset.pollMs) || 15000);
  let since = box.dataset.since;      // the time of the count the list on screen matches
  let timer = null;
  let busy = false;

  function query(from) {
    const params = new URLSearchParams(window.location.search);
    params.delete("cursor");
    params.delete("lang");
    params.set("since", from);
    return "/ui/api/live?" + params.toString();
  }

  function show(data) {
    Object.keys(data.counts).forEach(function (key) {
      document.querySelectorAll('[data-count="' + key + '"]').forEach(function (node) {
        node.textContent = data.counts[key];
      });
    });
    box.hidden = data.fresh === 0;
    text.textContent = data.fresh_text;
  }

  async function check() {
    if (busy) return null;
    busy = true;
    try {
      const data = await M.get(query(since));
      show(data);
      return data;
    } catch (e) {
      return null;                    // a missed check is retried at the next tick
    } finally {
      busy = false;
    }
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(async function () {
      if (!document.hidden) await check();
      schedule(every);
    }, delay);
  }

  // Filtering reloads the list: what it shows is current, so counting starts again from now.
  async function restart() {
    try {
      const data = await M.get(query(since));
      since = data.since;
      show(data);
    } catch (e) {
      // the next tick tries again, from the old time
    }
    box.hidden = true;
  }
  if (filters) filters.addEventListener("submit", restart);

  // "Show": the list is reloaded as the filters ask (queue.js), from now.
  document.getElementById("fresh-show").addEventListener("click", function () {
    box.hidden = true;
    if (filters) filters.requestSubmit();
    else window.location.reload();
  });

  // A decision or undo on this page changes the counts: check soon rather than at the tick.
  document.addEventListener("moderation:changed", function () { schedule(300); });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) schedule(0);
  });
  schedule(every);
})();
