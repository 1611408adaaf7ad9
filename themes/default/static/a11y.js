/* 适老化: a larger-text mode that persists across pages. Reading never needs this script. */
(function () {
  var KEY = "kexie-large-text";
  var root = document.documentElement;
  function stored() { try { return localStorage.getItem(KEY) === "1"; } catch (e) { return false; } }
  function store(on) { try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) {} }
  function apply(on) {
    root.classList.toggle("large-text", on);
    var button = document.getElementById("text-size");
    if (button) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      button.textContent = on ? "标准字号" : "大字模式";
    }
  }
  apply(stored());
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("text-size");
    if (!button) { return; }
    button.hidden = false;
    apply(stored());
    button.addEventListener("click", function () {
      var on = !root.classList.contains("large-text");
      store(on);
      apply(on);
    });
  });
})();
