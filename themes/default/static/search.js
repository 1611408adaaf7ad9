/* kexie-site search: the index under search/index/, read in the reader's browser. The rules are
   kexie_site/search.py's, which the tests check this file against: fold, terms, occurs, the
   shards, the ranking. No framework, nothing loaded from elsewhere. */
(function () {
  "use strict";
  var script = document.currentScript;
  var INDEX = script.getAttribute("data-index");          // e.g. /kepu/search/index/
  var BASE = script.getAttribute("data-base") || "/";
  var FIELDS = 4, PAGE = 10, BATCH = 12, FIRST_BATCH = 6;   // (6: the requests a browser makes at once to a site)
  var more = document.getElementById("search-more");
  var input = document.getElementById("search-q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var files = {};                                          // path -> promise of parsed JSON
  var HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[\ud840-\ud87f][\udc00-\udfff]/;
  var PART = /[a-z0-9]+|(?:[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]|[\ud840-\ud87f][\udc00-\udfff])+/g;

  function fold(text) {                                     // one character for one, as search.py
    var fast = text.replace(/[\uff01-\uff5e]/g, function (c) { return String.fromCharCode(c.charCodeAt(0) - 0xFEE0); })
      .replace(/\u3000/g, " ").toLowerCase();
    if (fast.length === text.length) return fast;
    var out = "";                                           // (a letter that lowers to two: kept as it is)
    for (var i = 0; i < text.length; i++) {
      var c = text.charCodeAt(i), ch = text.charAt(i);
      if (c >= 0xFF01 && c <= 0xFF5E) ch = String.fromCharCode(c - 0xFEE0);
      else if (c === 0x3000) { out += " "; continue; }
      var low = ch.toLowerCase();
      out += low.length === 1 ? low : ch;
    }
    return out;
  }
  function terms(query) {
    var seen = [];
    fold(query).split(/\s+/).forEach(function (t) { if (t && seen.indexOf(t) < 0) seen.push(t); });
    return seen;
  }
  function alnum(ch) { return (ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9"); }
  function occurs(term, text) {
    if (!alnum(term.charAt(0))) return text.indexOf(term) >= 0;
    for (var at = text.indexOf(term); at >= 0; at = text.indexOf(term, at + 1)) {
      if (at === 0 || !alnum(text.charAt(at - 1))) return true;
    }
    return false;
  }
  function chars(run) { return run.match(/[\ud800-\udbff][\udc00-\udfff]|[\s\S]/g) || []; }
  function parts(term) {
    var found = [], m;
    PART.lastIndex = 0;
    while ((m = PART.exec(term))) found.push([alnum(m[0].charAt(0)) ? "word" : "han", m[0]]);
    return found;
  }
  function isSure(term) {
    var p = parts(term);
    return p.length === 1 && p[0][1] === term && (p[0][0] === "word" || chars(term).length <= 2);
  }
  function shardOf(key, shards) {                          // FNV-1a over the UTF-16 bytes, as search.py
    var h = 0x811C9DC5;
    for (var i = 0; i < key.length; i++) {
      var c = key.charCodeAt(i);
      h = Math.imul(h ^ (c & 0xFF), 0x01000193) >>> 0;
      h = Math.imul(h ^ (c >> 8), 0x01000193) >>> 0;
    }
    return h % shards;
  }
  function decodeInto(text, mask, bit) {                   // the documents of a list: `bit` set in mask
    if (text.charAt(0) === "~") {
      var bin = atob(text.slice(1).replace(/-/g, "+").replace(/_/g, "/"));
      for (var b = 0; b < bin.length; b++) {
        var byte = bin.charCodeAt(b);
        for (var k = 0; byte; k++, byte >>= 1) if (byte & 1) mask[(b << 3) + k] |= bit;
      }
      return;
    }
    if (!text) return;
    var last = -1, gaps = text.split(",");
    for (var g = 0; g < gaps.length; g++) { last += parseInt(gaps[g], 36) + 1; mask[last] |= bit; }
  }
  function read(path) {
    if (!files[path]) {
      files[path] = fetch(INDEX + path).then(function (r) {
        if (!r.ok) throw new Error(path + ": " + r.status);
        return r.json();
      });
    }
    return files[path];
  }
  function entryMask(entry, total) {                        // per document, a bit for each field holding it
    var mask = new Uint8Array(total);
    if (entry) entry.forEach(function (x, f) { decodeInto(x, mask, 1 << f); });
    return mask;
  }
  function both(a, b) {                                     // held by both; kept in the fields of either
    for (var n = 0; n < a.length; n++) a[n] = a[n] && b[n] ? a[n] | b[n] : 0;
    return a;
  }
  function postings(term, index) {                          // per document, the fields that may hold the term
    var pieces = parts(term), total = index.docs, jobs = [];
    pieces.forEach(function (piece, i) {
      var kind = piece[0], run = piece[1];
      if (kind === "han") {
        var cs = chars(run), keys = cs.length === 1 ? [run] : [];
        for (var j = 0; j + 1 < cs.length; j++) keys.push(cs[j] + cs[j + 1]);
        keys.forEach(function (key) {
          jobs.push(read("g/" + shardOf(key, index.shards) + ".json").then(function (shard) {
            return entryMask(shard[key], total);
          }));
        });
      } else {
        jobs.push(read("w/" + run.charAt(0) + ".json").then(function (shard) {
          var mask = new Uint8Array(total), last = i === pieces.length - 1;
          Object.keys(shard).forEach(function (word) {
            if (word === run || (last && word.indexOf(run) === 0)) {
              shard[word].forEach(function (x, f) { decodeInto(x, mask, 1 << f); });
            }
          });
          return mask;
        }));
      }
    });
    if (!jobs.length) return Promise.resolve(null);
    return Promise.all(jobs).then(function (all) { return all.reduce(both); });
  }
  function tier(ts, doc) {                                  // doc: [title, url, column, date, headings, meta, body]
    var fields = [doc[0], doc[4], doc[5], doc[6]].map(fold), all = fields.join("\n");
    if (!ts.every(function (t) { return occurs(t, all); })) return null;
    for (var f = 0; f < FIELDS; f++) if (ts.every(function (t) { return occurs(t, fields[f]); })) return f;
    return FIELDS - 1;
  }

  var current = 0;                                          // the search running now (older ones stop)
  function search(query) {
    var run = ++current, ts = terms(query);
    list.textContent = "";
    list.removeAttribute("data-results");
    status.removeAttribute("data-done");
    more.hidden = true;
    if (!ts.length) { status.textContent = ""; return Promise.resolve([]); }
    status.textContent = "正在搜索…";
    return read("index.json").then(function (index) {
      return Promise.all(ts.map(function (t) { return postings(t, index); })).then(function (lists) {
        if (run !== current) return [];
        lists = lists.filter(function (m) { return m; });
        var tiers = [[], [], [], []];                       // by the fields' lists, each newest first: no sort
        for (var n = index.docs - 1; n >= 0; n--) {
          var common = 15, present = true;
          for (var t = 0; t < lists.length; t++) {
            if (!lists[t][n]) { present = false; break; }   // a term not there at all
            common &= lists[t][n];
          }
          if (!present) continue;
          var f = 0;
          while (f < FIELDS - 1 && !(common & (1 << f))) f++;
          tiers[f].push(n);
        }
        var guess = [];                                     // [tier, number, the document once read]
        tiers.forEach(function (numbers, f) { numbers.forEach(function (n) { guess.push([f, n, null]); }); });
        var sure = ts.every(isSure);
        return confirm(run, ts, guess, sure);
      });
    }).catch(function (err) {
      if (run === current) status.textContent = "搜索出错，请稍后再试 (" + err.message + ")";
      return [];
    });
  }
  function confirm(run, ts, guess, sure) {
    // sure: the fields' lists are the answer. Otherwise each candidate is confirmed on its
    // text, the likeliest first, until a page of results is found; "继续查找" confirms more.
    var found = [], i = 0, wanted = PAGE;
    status.removeAttribute("data-done");
    more.hidden = true;
    if (sure) {
      found = guess;
      i = guess.length;
      return show().then(finish);
    }
    more.onclick = function () { wanted = found.length + PAGE; more.hidden = true; step(); };
    function step() {
      if (run !== current) return Promise.resolve(found);
      if (i >= guess.length) return show().then(finish);
      if (found.length >= wanted) return show().then(pause);
      var batch = guess.slice(i, i + (i ? BATCH : FIRST_BATCH));
      i += batch.length;
      return Promise.all(batch.map(function (g) {
        return read("d/" + g[1] + ".json").then(function (doc) {
          var t = tier(ts, doc);
          if (t === null || run !== current) return;
          found.push([t, g[1], doc]);
          found.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
          if (found.length <= wanted) show();               // each result shown once confirmed, in rank so far
        });
      })).then(step);
    }
    function show() {                                       // the results wanted, each as soon as its document is here
      var top = found.slice(0, Math.max(wanted, PAGE));
      list.textContent = "";
      var slots = top.map(function () {
        var li = document.createElement("li");
        li.hidden = true;
        list.appendChild(li);
        return li;
      });
      return Promise.all(top.map(function (r, k) {
        var doc = r[2] ? Promise.resolve(r[2]) : read("d/" + r[1] + ".json");
        return doc.then(function (d) {
          r[2] = d;
          if (run !== current) return;
          fill(slots[k], d, ts);
          slots[k].hidden = false;
        });
      }));
    }
    function pause() {
      if (run !== current) return found;
      status.textContent = "已找到 " + found.length + " 篇，还有 " + (guess.length - i) + " 篇可能相关的文章没有核对";
      more.hidden = false;
      return found;
    }
    function finish() {
      if (run !== current) return found;
      list.setAttribute("data-results", found.map(function (r) { return r[1]; }).join(","));
      status.textContent = found.length ? "找到 " + found.length + " 篇文章" + (found.length > list.children.length ? "，显示最相关的 " + list.children.length + " 篇" : "")
        : "没有找到包含“" + ts.join(" ") + "”的文章";
      status.setAttribute("data-done", "1");
      if (sure && found.length > wanted) {
        more.onclick = function () {
          wanted += PAGE; more.hidden = true; status.removeAttribute("data-done"); show().then(finish);
        };
        more.hidden = found.length <= list.children.length;
      }
      return found;
    }
    return step();
  }
  function fill(li, doc, ts) {
    var a = document.createElement("a");
    a.href = BASE + doc[1];
    mark(a, doc[0], ts);
    var meta = document.createElement("span");
    meta.className = "meta";
    mark(meta, doc[2] + " · " + doc[3], ts);
    var p = document.createElement("p");
    var source = [doc[6], doc[4], doc[5].split("\n").join("、")].filter(function (text) {
      var folded = fold(text);
      return ts.some(function (t) { return folded.indexOf(t) >= 0; });
    })[0] || doc[6];
    mark(p, snippet(source, ts), ts);
    li.appendChild(a); li.appendChild(meta); li.appendChild(p);
  }
  function snippet(text, ts) {
    var folded = fold(text), at = -1;
    ts.forEach(function (t) { var k = folded.indexOf(t); if (k >= 0 && (at < 0 || k < at)) at = k; });
    if (at < 0) return text.slice(0, 80) + (text.length > 80 ? "…" : "");
    var start = Math.max(0, at - 30), end = Math.min(text.length, at + 60);
    return (start > 0 ? "…" : "") + text.slice(start, end).replace(/\s+/g, " ") + (end < text.length ? "…" : "");
  }
  function mark(el, text, ts) {                             // text with each term's places in <mark>
    var folded = fold(text), hits = [];
    ts.forEach(function (t) {
      for (var k = folded.indexOf(t); k >= 0; k = folded.indexOf(t, k + 1)) hits.push([k, k + t.length]);
    });
    hits.sort(function (x, y) { return x[0] - y[0]; });
    var pos = 0;
    hits.forEach(function (h) {
      if (h[0] < pos) return;
      el.appendChild(document.createTextNode(text.slice(pos, h[0])));
      var m = document.createElement("mark");
      m.textContent = text.slice(h[0], h[1]);
      el.appendChild(m);
      pos = h[1];
    });
    el.appendChild(document.createTextNode(text.slice(pos)));
  }

  function fromUrl() { return new URLSearchParams(location.search).get("q") || ""; }
  var timer = null;
  function typed(delay) {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = input.value;
      history.replaceState(null, "", q ? "?q=" + encodeURIComponent(q) : location.pathname);
      search(q);
    }, delay);
  }
  input.addEventListener("input", function (e) {
    // an input method still composing: wait for its word; a Latin word may be half typed: wait
    // a moment for the next letter; Chinese arrives a word at a time: search at once
    if (!e.isComposing) typed(/[a-z0-9]$/i.test(input.value) ? 40 : 0);
  });
  input.addEventListener("compositionend", function () { typed(0); });
  input.form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearTimeout(timer);
    var q = input.value;
    if (q !== fromUrl()) history.pushState(null, "", "?q=" + encodeURIComponent(q));
    search(q);
  });
  window.addEventListener("popstate", function () { input.value = fromUrl(); search(input.value); });
  input.value = fromUrl();
  if (input.value) search(input.value);
  else read("index.json").catch(function () {});           // ready before the first keystroke
})();
