// A small static file server for the browser measurements in bench/ (node static_server.js DIR):
// keep-alive and no Nagle delay, as nginx or a CDN serves a site; Python's http.server (one
// thread a request, under the GIL) took 100+ ms for ten 7 KB files on the bench machine, which
// is the server's time, not the page's. Prints the port it listens on.
"use strict";
const http = require("http"), fs = require("fs"), path = require("path");
const root = path.resolve(process.argv[2] || ".");
const TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json", ".js": "text/javascript",
               ".css": "text/css", ".xml": "application/xml", ".svg": "image/svg+xml", ".png": "image/png",
               ".jpg": "image/jpeg", ".webp": "image/webp"};
const server = http.createServer((req, res) => {
  let file = path.join(root, decodeURIComponent(new URL(req.url, "http://x").pathname));
  if (!file.startsWith(root)) { res.writeHead(403); res.end(); return; }
  fs.stat(file, (err, st) => {
    if (!err && st.isDirectory()) file = path.join(file, "index.html");
    fs.readFile(file, (err2, data) => {
      if (err2) { res.writeHead(404); res.end(); return; }
      res.writeHead(200, {"Content-Type": TYPES[path.extname(file)] || "application/octet-stream",
                          "Content-Length": data.length});
      res.end(data);
    });
  });
});
server.on("connection", (socket) => socket.setNoDelay(true));
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
