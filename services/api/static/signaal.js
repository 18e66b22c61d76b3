// Keyboard shortcuts for the queue and the signal page. A static file: the CSP forbids inline script.
(function () {
  "use strict";

  function typing(event) {
    var el = event.target;
    return el && (el.isContentEditable || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(el.tagName) && el.type !== "checkbox");
  }

  function post(action, next) {
    var token = document.querySelector('input[name="csrf_token"]');
    var form = document.createElement("form");
    form.method = "post";
    form.action = action;
    [["csrf_token", token ? token.value : ""], ["next", next]].forEach(function (pair) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = pair[0];
      input.value = pair[1];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    form.submit();
  }

  function queue() {
    var rows = Array.prototype.slice.call(document.querySelectorAll("table.queue tbody tr"));
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        rows.forEach(function (row) { row.querySelector('input[name="ids"]').checked = all.checked; });
      });
    }
    if (!rows.length) { return; }
    var current = 0;
    function select(index) {
      rows[current].classList.remove("current");
      rows[current].removeAttribute("aria-current");
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows[current].classList.add("current");
      rows[current].setAttribute("aria-current", "true");
      rows[current].scrollIntoView({ block: "nearest" });
    }
    // After c or d the page reloads; come back to the same place in the list.
    var memory = "signaal.queue" + window.location.search;
    var remembered = parseInt(window.sessionStorage.getItem(memory) || "0", 10);
    window.sessionStorage.removeItem(memory);
    select(isNaN(remembered) ? 0 : remembered);
    rows.forEach(function (row, index) {
      row.addEventListener("click", function (event) {
        if (event.target.tagName !== "INPUT" && event.target.tagName !== "A") { select(index); }
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
      var row = rows[current];
      var id = row.getAttribute("data-id");
      var here = window.location.pathname + window.location.search;
      switch (event.key) {
        case "j": select(current + 1); break;
        case "k": select(current - 1); break;
        case "o": case "Enter": window.location.href = row.getAttribute("data-href"); break;
        case "x": var box = row.querySelector('input[name="ids"]'); box.checked = !box.checked; break;
        case "c": window.sessionStorage.setItem(memory, String(current)); post("/signals/" + id + "/confirm", here); break;
        case "d": window.sessionStorage.setItem(memory, String(current)); post("/signals/" + id + "/dismiss", here); break;
        default: return;
      }
      event.preventDefault();
    });
  }

  function signal() {
    var confirmButton = document.getElementById("confirm");
    var dismissButton = document.getElementById("dismiss");
    if (!confirmButton || !dismissButton) { return; }
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) { return; }
      if (event.key === "c" && !confirmButton.disabled) { confirmButton.click(); }
      else if (event.key === "d" && !dismissButton.disabled) { dismissButton.click(); }
      else if (event.key === "u" || event.key === "Escape") { document.getElementById("back").click(); }
      else { return; }
      event.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    queue();
    signal();
  });
})();
