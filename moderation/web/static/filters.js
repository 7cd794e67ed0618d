// The queue's article filter: the list offers titles, the filter needs the thread's key. A
// title typed in full (rather than picked from the list) is turned into its key before the
// filters are sent; anything else is sent as typed.
"use strict";

(function () {
  const filters = document.getElementById("filters");
  const field = document.getElementById("f-thread");
  const choices = document.getElementById("thread-choices");
  if (!filters || !field || !choices) return;

  function keyOf(typed) {
    const wanted = typed.trim().toLocaleLowerCase();
    const found = Array.from(choices.options).find(function (option) {
      return option.textContent.trim().toLocaleLowerCase() === wanted;
    });
    return found ? found.value : typed;
  }

  // capture: runs before the queue's own submit handler reads the form
  filters.addEventListener("submit", function () {
    if (field.value) field.value = keyOf(field.value);
  }, true);
})();
