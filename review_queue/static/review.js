// riskstream review UI: SLA countdowns and keyboard shortcuts. No dependencies.
(function () {
  "use strict";

  // The server's clock decides deadlines; correct for the browser's clock skew.
  var serverNow = Date.parse(document.body.getAttribute("data-server-now") || "");
  var skew = isNaN(serverNow) ? 0 : serverNow - Date.now();

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  function formatLeft(ms) {
    var overdue = ms < 0;
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400); s -= d * 86400;
    var h = Math.floor(s / 3600); s -= h * 3600;
    var m = Math.floor(s / 60); s -= m * 60;
    var text = (d ? d + "d " : "") + pad(h) + ":" + pad(m) + ":" + pad(s);
    return overdue ? "overdue " + text : text;
  }

  function tick() {
    var now = Date.now() + skew;
    var nodes = document.querySelectorAll("[data-deadline]");
    for (var i = 0; i < nodes.length; i++) {
      var deadline = Date.parse(nodes[i].getAttribute("data-deadline"));
      if (isNaN(deadline)) { continue; }
      var left = deadline - now;
      nodes[i].textContent = formatLeft(left);
      nodes[i].classList.toggle("overdue", left < 0);
      nodes[i].classList.toggle("critical", left >= 0 && left < 3600 * 1000);
      nodes[i].classList.toggle("warn", left >= 3600 * 1000 && left < 4 * 3600 * 1000);
    }
  }

  // Queue navigation.
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.case-row"));
  var selected = -1;

  function select(index) {
    if (!rows.length) { return; }
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    rows[selected].focus();
    rows[selected].scrollIntoView({ block: "nearest" });
  }

  rows.forEach(function (row, i) {
    row.addEventListener("click", function (event) {
      if (event.target.tagName !== "A") { window.location.href = row.getAttribute("data-href"); }
    });
    row.addEventListener("focus", function () { selected = i; });
  });

  function clickShortcut(key) {
    var button = document.querySelector('[data-shortcut="' + key + '"]');
    if (button && !button.disabled) { button.click(); return true; }
    return false;
  }

  function focusField(key) {
    var field = document.querySelector('[data-focus-key="' + key + '"]');
    if (field) { field.focus(); return true; }
    return false;
  }

  var help = document.getElementById("shortcut-help");
  var helpButton = document.querySelector("[data-shortcut-help]");
  if (helpButton && help && help.showModal) {
    helpButton.addEventListener("click", function () { help.showModal(); });
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    var typing = target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" ||
                            target.tagName === "SELECT" || target.isContentEditable);
    if (typing) {
      if (event.key === "Escape") { target.blur(); }
      return;
    }
    var handled = true;
    switch (event.key) {
      case "j": select(selected + 1); break;
      case "k": select(selected - 1); break;
      case "o":
      case "Enter":
        if (selected >= 0 && rows[selected]) {
          window.location.href = rows[selected].getAttribute("data-href");
        } else { handled = false; }
        break;
      case "/": {
        var first = document.querySelector("#filters input, #filters select");
        if (first) { first.focus(); } else { handled = false; }
        break;
      }
      case "c": case "a": case "d": case "r": handled = clickShortcut(event.key); break;
      case "e": case "n": handled = focusField(event.key); break;
      case "u": window.location.href = "/reviews"; break;
      case "?": if (help && help.showModal) { help.showModal(); } break;
      default: handled = false;
    }
    if (handled) { event.preventDefault(); }
  });

  tick();
  window.setInterval(tick, 1000);
})();
