/* Live view counts (only when [views] provider is endpoint or goatcounter). The page already
   shows the imported count; this replaces it with the counter's answer, or leaves it when the
   counter cannot be reached. Requests go only to the configured host. */
(function () {
  var script = document.currentScript;
  var provider = script.getAttribute("data-provider");
  var url = script.getAttribute("data-url");
  function strip(text) { return text.replace(/\.0$/, ""); }
  function zh(n) {
    if (n < 10000) { return String(n); }
    var wan = Math.round(n / 1000) / 10;
    if (wan < 10000) { return strip(wan.toFixed(1)) + "万"; }
    return strip((Math.round(n / 10000000) / 10).toFixed(1)) + "亿";
  }
  function target(key) {
    var k = encodeURIComponent(key);
    return provider === "goatcounter" ? url + "/counter/" + k + ".json" : url.split("{key}").join(k);
  }
  function show() {
    var nodes = document.querySelectorAll(".view-count[data-page-key]");
    Array.prototype.forEach.call(nodes, function (node) {
      fetch(target(node.getAttribute("data-page-key")), {credentials: "omit", cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (data) {
          var value = typeof data === "number" ? data : (data.count !== undefined ? data.count : (data.views !== undefined ? data.views : data.total));
          var n = parseInt(String(value).replace(/[^0-9]/g, ""), 10);
          if (!isNaN(n)) { node.textContent = zh(n); node.setAttribute("data-live", "1"); }
        })
        .catch(function () {});
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", show); } else { show(); }
})();
