"""`kexie-site serve`: build into a temporary folder and serve it with live reload (livereload).

- The site is built into a temporary directory, never into the publish directory, with drafts
  and scheduled articles when asked (they carry a visible banner), under the base URL's path so
  that every link works as it will when published.
- A save in content/, themes/, data/, static/ or site.toml rebuilds (reusing the cache: only what
  changed is rendered) and the open page reloads by itself. Saves within one poll are one rebuild;
  a rebuild with nothing new in the watched files is skipped.
- When the content has an error, the last good site keeps being served and every page shows an
  error page listing `path:line: message` (from `__kexie/status.json`, shown as text); fixing the
  file brings the page back. The server keeps running whatever happens.
- A rebuild refused because another build holds the site's lock (a `kexie-site build` running in
  another terminal) is retried by itself, every half second to a second, until the lock is free;
  then the site is rebuilt and the open page reloads, without another save. Meanwhile the error
  page says it is waiting for the other build.
- Only files under the build directory are served: `..` (also encoded), absolute paths and
  symlinks that leave it are refused.
- Only requests whose `Host` names the address serve listens on are answered (127.0.0.1,
  localhost, [::1] or the --host given), so that a web page that rebinds its own domain name to
  127.0.0.1 (DNS rebinding) cannot read drafts; the live-reload websocket accepts only pages of
  the served origin.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from . import urls
from .errors import BuildFailed, Problem

WATCHED = ("content", "themes", "data", "static", "site.toml")
STATUS_DIR = urls.DEV.rstrip("/")
SETTLE = 0.15           # seconds without a new save before a rebuild starts
LOCKED = "another build is running"   # in the message of outdir.site_lock's refusal
RETRY_FAST, RETRY_SLOW = 0.5, 1.0     # seconds between tries while another build holds the lock
RETRY_FAST_FOR = 10.0                 # (fast for the first seconds, then once a second)
RETRY_FOR = 30 * 60.0                 # stop trying after this long: a save tries again
DEV_JS = """(function () {
  var base = document.currentScript.getAttribute("data-base");
  function show(errors, waiting) {
    var page = document.createElement("div");
    page.id = "kexie-errors";
    page.setAttribute("role", "alert");
    page.style.cssText = "position:fixed;inset:0;z-index:99999;overflow:auto;background:#fff;color:#1f2328;" +
      "padding:1.5rem;font:16px/1.6 system-ui,sans-serif";
    var h = document.createElement("h1");
    h.textContent = waiting ? "正在等另一个构建结束 (waiting for another build to finish)"
                            : "构建出错 build failed (" + errors.length + ")";
    var p = document.createElement("p");
    p.textContent = waiting ? "它一结束就会自动重建并刷新这个页面，不用再保存；现在看到的是上一次成功构建的网站。"
                            : "改好这些问题并保存，页面会自动恢复；现在看到的是上一次成功构建的网站。";
    var pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;background:#fff5f5;border-left:4px solid #c62828;padding:1rem";
    pre.textContent = errors.join("\\n");
    page.appendChild(h); page.appendChild(p); page.appendChild(pre);
    document.body.appendChild(page);
  }
  fetch(base + "__kexie/status.json", {cache: "no-store"})
    .then(function (r) { return r.json(); })
    .then(function (s) { if (s.errors && s.errors.length) { show(s.errors, !!s.waiting); } })
    .catch(function () {});
})();
"""


def _fingerprint(site_dir: Path) -> tuple:
    rows = []
    for name in WATCHED:
        root = site_dir / name
        if root.is_file():
            st = root.stat()
            rows.append((name, st.st_size, st.st_mtime_ns))
        elif root.is_dir():
            for folder, dirs, files in os.walk(root):
                dirs.sort()
                for f in sorted(files):
                    path = os.path.join(folder, f)
                    try:
                        st = os.stat(path)
                    except OSError:
                        continue
                    rows.append((path, st.st_size, st.st_mtime_ns))
    return tuple(rows)


def locked_out(problems) -> bool:
    """The build stopped only because another build holds the site's (or the output's) lock."""
    errors = [p for p in problems if p.is_error]
    return bool(errors) and all(LOCKED in p.message for p in errors)


class DevServer:
    def __init__(self, site_dir: Path, drafts: bool, future: bool, base_path: str = "/",
                 later: Callable[[float, Callable[[], None]], object] | None = None,
                 reload: Callable[[], None] | None = None):
        self.site_dir = site_dir
        self.drafts, self.future = drafts, future
        # served as /; in a folder of its own, so that what a build keeps beside its output (the
        # output's lock) goes with it at the end
        self.home = Path(tempfile.mkdtemp(prefix="kexie-serve-"))
        self.root = self.home / "site"
        self.root.mkdir()
        self.out = self.root / base_path.strip("/") if base_path != "/" else self.root   # the site, at its base path
        self.last = None
        self.lock = threading.Lock()
        self.errors: list[str] = []
        self.later = later              # later(seconds, fn): run fn on the server's loop (the retry)
        self.reload = reload            # reload the open pages (after a retry: no save to trigger it)
        self.waiting_since: float | None = None   # when the lock first refused us; None: not waiting
        self.retry_pending = False      # one retry timer at a time
        self.built = False              # a build has succeeded (the next ones are rebuilds)

    def rebuild(self, *_changed) -> None:
        with self.lock:
            now = _fingerprint(self.site_dir)
            if now == self.last:
                return
            settled = time.monotonic() + 3
            while time.monotonic() < settled:      # a burst of saves: wait until it is over
                time.sleep(SETTLE)
                again = _fingerprint(self.site_dir)
                if again == now:
                    break
                now = again
            self.last = now
            self._build()
        self._retry_later()

    def _build(self) -> None:
        """One build into the temporary folder, with its status page (called holding self.lock)."""
        from .pipeline import BuildOptions, build

        problems: tuple[Problem, ...] = ()
        try:
            result = build(self.site_dir, self.out,
                           BuildOptions(drafts=self.drafts, future=self.future, dev=True,
                                        record_dir=self.site_dir / "public"))   # the published ids and URLs
            problems = result.problems
            self.errors = []
            self.waiting_since = None
            done = "已重建 rebuilt" if self.built else "已构建 built"     # (the first build is not a rebuild after a save)
            self.built = True
            print(f"{done}: {result.articles} 篇文章, {len(result.report.written)} 个文件更新 "
                  f"({result.seconds:.2f} s)", flush=True)
        except BuildFailed as failed:
            if locked_out(failed.problems) and self.later is not None:
                hint = "serve 会在它结束后自动重建并刷新页面，不用再保存 (serve rebuilds and reloads by itself when it ends)"
                self.errors = [replace(p, hint=hint).format() for p in failed.problems if p.is_error]
                if self.waiting_since is None:   # said once, not at every try
                    self.waiting_since = time.monotonic()
                    print("另一个构建正在运行，等它结束后自动重建 (another build is running: "
                          "serve rebuilds when it ends)", flush=True)
                    for line in self.errors:
                        print(line, file=sys.stderr, flush=True)
                self._write_status()
                return
            self.waiting_since = None
            problems = failed.problems
            self.errors = [p.format() for p in failed.problems]
            print(f"构建失败 build failed: {len(self.errors)} 个问题，继续提供上一次的网站", flush=True)
        except Exception as exc:  # the server keeps running, whatever a build does
            self.waiting_since = None
            self.errors = [f"内部错误 internal error: {type(exc).__name__}: {exc}"]
        for p in problems:
            print(p.format(), file=sys.stderr, flush=True)
        self._write_status()

    def _retry_later(self) -> None:
        """While another build holds the lock, try again shortly: one timer at a time, on the
        server's loop (no thread, no busy wait), for at most RETRY_FOR seconds."""
        with self.lock:
            if self.waiting_since is None or self.retry_pending or self.later is None:
                return
            waited = time.monotonic() - self.waiting_since
            give_up = waited > RETRY_FOR
            if give_up:
                self.waiting_since = None
                self.errors.append(f"等了 {waited / 60:.0f} 分钟，另一个构建还没有结束；保存任意文件再试 "
                                   f"(gave up waiting for the other build: save any file to try again)")
                print(self.errors[-1], flush=True)
                self._write_status()
            else:
                self.retry_pending = True
        if not give_up:
            self.later(RETRY_FAST if waited < RETRY_FAST_FOR else RETRY_SLOW, self._retry)
        elif self.reload is not None:
            self.reload()

    def _retry(self) -> None:
        with self.lock:
            self.retry_pending = False
            if self.waiting_since is None:      # a save rebuilt in the meantime
                return
            self.last = _fingerprint(self.site_dir)   # what this build reads: the next save differs
            self._build()
            done = self.waiting_since is None
        if done:
            if self.reload is not None:
                self.reload()                   # the new site, or its error page
        else:
            self._retry_later()

    def _write_status(self) -> None:
        folder = self.out / STATUS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        status = {"errors": self.errors, "waiting": self.waiting_since is not None}
        (folder / "status.json").write_text(json.dumps(status, ensure_ascii=False), "utf-8")
        (folder / "dev.js").write_text(DEV_JS, "utf-8")

    def close(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


def base_path_of(site_dir: Path) -> str:
    from .config import load_config
    from .decoding import decode

    try:
        text, _ = decode((site_dir / "site.toml").read_bytes(), "site.toml")
        config, _ = load_config(text or "")
        return config.base_path if config else "/"
    except OSError:
        return "/"


# ------------------------------------------------------------------ who may ask

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
ANYWHERE = frozenset({"", "0.0.0.0", "::"})
HOST_RE = re.compile(r"(?:\[(?P<v6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9_.-]+))(?::(?P<port>[0-9]{1,5}))?")
FORBIDDEN = ("403 禁止访问 (forbidden): 这个预览只回答发给 127.0.0.1、localhost 或 [::1]（或 --host 给的地址）的请求 "
             "(this preview only answers requests for 127.0.0.1, localhost, [::1] or the --host given)\n")
BAD_HOST = "400 请求缺少或带着无效的 Host 头 (missing or invalid Host header)\n"
CROSS_ORIGIN = "403 只接受本预览页面的实时刷新连接 (live reload only for pages of this preview)\n"


def host_names(listen_host: str) -> frozenset[str] | None:
    """The names a request's Host may give, or None for any (serve bound to every interface)."""
    host = listen_host.strip().lower().strip("[]")
    if host in ANYWHERE:
        # --host 0.0.0.0 or ::: whoever gave it chose to expose the preview to the network, under
        # whatever name or address reaches this machine; no Host can be told apart as foreign
        return None
    return LOOPBACK | {host}


def host_refusal(headers, names: frozenset[str] | None) -> tuple[int, str] | None:
    """None when the request's Host names the address we listen on, else (status, message).
    Any port is accepted with the name (an SSH tunnel or a forwarded port changes it; a DNS
    rebinding page cannot change the name)."""
    hosts = headers.get_list("Host")
    if len(hosts) != 1:
        return 400, BAD_HOST
    match = HOST_RE.fullmatch(hosts[0].strip().lower())
    if not match or (match.group("port") and not 0 < int(match.group("port")) < 65536):
        return 400, BAD_HOST
    if names is not None and (match.group("v6") or match.group("name")) not in names:
        return 403, FORBIDDEN
    return None


def own_origin(origin: str | None, host: str) -> bool:
    """An `Origin` is ours when it is http://<the Host this request came with> (already checked)."""
    if not origin:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme == "http" and parts.netloc.lower() == host.strip().lower() and \
        not parts.path and not parts.query and not parts.fragment


def guarded(base, names: frozenset[str] | None):
    """`base` (a tornado handler) answering only requests whose Host names our address."""

    class Guarded(base):
        def refuse(self, status: int, text: str) -> None:
            self.clear()
            self.set_status(status)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.set_header("Cache-Control", "no-store")
            self.finish(text if self.request.method != "HEAD" else None)

        def allowed(self) -> bool:
            refused = host_refusal(self.request.headers, names)
            if refused:
                self.refuse(*refused)
            return not refused

        def prepare(self):
            return super().prepare() if self.allowed() else None

    Guarded.__name__ = f"Guarded{base.__name__}"
    return Guarded


def safe_handler(base):
    """livereload's static handler, also refusing anything whose real path leaves the root."""
    from tornado import web

    class Handler(base):
        def validate_absolute_path(self, root, absolute_path):
            if "\x00" in absolute_path:
                raise web.HTTPError(400, "bad path")
            real_root = os.path.realpath(root)
            real = os.path.realpath(absolute_path)
            if real != real_root and not real.startswith(real_root + os.sep):
                raise web.HTTPError(403, "outside the site")
            return super().validate_absolute_path(root, absolute_path)

    return Handler


def guarded_server(listen_host: str):
    """A livereload Server whose every handler checks the Host, and whose live-reload websocket
    accepts only its own origin.

    livereload's Server.application() names its handler classes directly (and LiveReloadHandler
    accepts every origin: check_origin returns True), so this subclass builds the same tornado
    application with our subclasses instead: nothing global is replaced, other Servers in the
    process keep livereload's behaviour."""
    from livereload import Server
    from livereload.handlers import ForceReloadHandler, LiveReloadHandler, LiveReloadJSHandler
    from livereload.server import LiveScriptInjector
    from tornado import escape, web

    names = host_names(listen_host)

    class OwnOriginReload(guarded(LiveReloadHandler, names)):
        # what livereload.js connects to: ws://<the page's host>:<port>/livereload. Browsers always
        # send Origin with a websocket, so one that is missing or foreign is not our page.
        def allowed(self) -> bool:
            if not super().allowed():
                return False
            if own_origin(self.request.headers.get("Origin"), self.request.headers.get("Host", "")):
                return True
            self.refuse(403, CROSS_ORIGIN)
            return False

        def check_origin(self, origin):       # (tornado's own check, after prepare)
            return own_origin(origin, self.request.headers.get("Host", ""))

    class GuardedServer(Server):
        def __init__(self):
            super().__init__()
            self.SFH = guarded(safe_handler(self.SFH), names)

        def _setup_logging(self):
            # the web server's English log lines ("[I 261203 07:30:10 server:331] Serving on …",
            # each request, each browser connected) are not shown: serve says what matters in
            # Chinese itself. A handler on "tornado" keeps tornado from installing its own.
            import logging
            logging.getLogger("livereload").setLevel(logging.WARNING)
            for name in ("tornado", "tornado.access", "tornado.application", "tornado.general"):
                logging.getLogger(name).setLevel(logging.WARNING)
            if not logging.getLogger("tornado").handlers:
                logging.getLogger("tornado").addHandler(logging.NullHandler())

        def application(self, port, host, liveport=None, debug=None, live_css=True):
            # livereload's application() with liveport=None (one port for pages and live reload)
            # and our handlers; the class attributes below are the ones livereload itself sets,
            # read by LiveReloadHandler.start_tasks/poll_tasks.
            LiveReloadHandler.watcher = self.watcher
            LiveReloadHandler.live_css = live_css
            live_script = escape.utf8(
                '<script type="text/javascript">(function(){'
                'var s=document.createElement("script");'
                'var port=(window.location.port || (window.location.protocol == \'https:\' ? 443: 80));'
                's.src="//"+window.location.hostname+":"+port'
                '+ "/livereload.js?port=" + port;'
                'document.head.appendChild(s);'
                '})();</script>')

            class ConfiguredTransform(LiveScriptInjector):
                script = live_script

            handlers = [
                (r'/livereload', OwnOriginReload),
                (r'/forcereload', guarded(ForceReloadHandler, names)),
                (r'/livereload.js', guarded(LiveReloadJSHandler, names)),
            ] + self.get_web_handlers(live_script)
            app = web.Application(handlers=handlers, debug=bool(debug), transforms=[ConfiguredTransform])
            app.listen(port, address=host)

    return GuardedServer()


def serve(site_dir: Path, host: str, port: int, drafts: bool, future: bool) -> int:
    from livereload.handlers import LiveReloadHandler
    from tornado.ioloop import IOLoop

    base = base_path_of(site_dir)
    # the retries run on the server's loop (the one livereload starts; current from now on)
    dev = DevServer(site_dir, drafts, future, base,
                    later=lambda seconds, fn: IOLoop.current().call_later(seconds, fn),
                    reload=LiveReloadHandler.reload_waiters)
    dev.rebuild()
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0.2      # reload after every rebuild, not once in 3 s
    server = guarded_server(host)
    for name in WATCHED:
        path = site_dir / name
        server.watch(str(path), dev.rebuild)
    print(f"构建目录 build dir: {dev.root}  (临时目录，不是发布目录 not the publish directory)", flush=True)
    print(f"预览地址 serving at http://{host}:{port}{base}  (Ctrl-C 停止 to stop)", flush=True)
    try:
        server.serve(host=host, port=port, root=str(dev.root), restart_delay=0)
    finally:
        dev.close()
    return 0
