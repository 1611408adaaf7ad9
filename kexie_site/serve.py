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
- Only files under the build directory are served: `..` (also encoded), absolute paths and
  symlinks that leave it are refused.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

from .errors import BuildFailed, Problem

WATCHED = ("content", "themes", "data", "static", "site.toml")
STATUS_DIR = "__kexie"
SETTLE = 0.15           # seconds without a new save before a rebuild starts
DEV_JS = """(function () {
  var base = document.currentScript.getAttribute("data-base");
  function show(errors) {
    var page = document.createElement("div");
    page.id = "kexie-errors";
    page.setAttribute("role", "alert");
    page.style.cssText = "position:fixed;inset:0;z-index:99999;overflow:auto;background:#fff;color:#1f2328;" +
      "padding:1.5rem;font:16px/1.6 system-ui,sans-serif";
    var h = document.createElement("h1");
    h.textContent = "构建出错 build failed (" + errors.length + ")";
    var p = document.createElement("p");
    p.textContent = "改好这些问题并保存，页面会自动恢复；现在看到的是上一次成功构建的网站。";
    var pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;background:#fff5f5;border-left:4px solid #c62828;padding:1rem";
    pre.textContent = errors.join("\\n");
    page.appendChild(h); page.appendChild(p); page.appendChild(pre);
    document.body.appendChild(page);
  }
  fetch(base + "__kexie/status.json", {cache: "no-store"})
    .then(function (r) { return r.json(); })
    .then(function (s) { if (s.errors && s.errors.length) { show(s.errors); } })
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


class DevServer:
    def __init__(self, site_dir: Path, drafts: bool, future: bool, base_path: str = "/"):
        self.site_dir = site_dir
        self.drafts, self.future = drafts, future
        self.root = Path(tempfile.mkdtemp(prefix="kexie-serve-"))   # served as /
        self.out = self.root / base_path.strip("/") if base_path != "/" else self.root   # the site, at its base path
        self.last = None
        self.lock = threading.Lock()
        self.errors: list[str] = []

    def rebuild(self, *_changed) -> None:
        from .pipeline import BuildOptions, build

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
            problems: tuple[Problem, ...] = ()
            try:
                result = build(self.site_dir, self.out,
                               BuildOptions(drafts=self.drafts, future=self.future, dev=True,
                                            record_dir=self.site_dir / "public"))   # the published ids and URLs
                problems = result.problems
                self.errors = []
                print(f"已重建 rebuilt: {result.articles} 篇文章, {len(result.report.written)} 个文件更新 "
                      f"({result.seconds:.2f} s)", flush=True)
            except BuildFailed as failed:
                problems = failed.problems
                self.errors = [p.format() for p in failed.problems]
                print(f"构建失败 build failed: {len(self.errors)} 个问题，继续提供上一次的网站", flush=True)
            except Exception as exc:  # the server keeps running, whatever a build does
                self.errors = [f"内部错误 internal error: {type(exc).__name__}: {exc}"]
            for p in problems:
                print(p.format(), file=sys.stderr, flush=True)
            self._write_status()

    def _write_status(self) -> None:
        folder = self.out / STATUS_DIR
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "status.json").write_text(json.dumps({"errors": self.errors}, ensure_ascii=False), "utf-8")
        (folder / "dev.js").write_text(DEV_JS, "utf-8")

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def base_path_of(site_dir: Path) -> str:
    from .config import load_config
    from .decoding import decode

    try:
        text, _ = decode((site_dir / "site.toml").read_bytes(), "site.toml")
        config, _ = load_config(text or "")
        return config.base_path if config else "/"
    except OSError:
        return "/"


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


def serve(site_dir: Path, host: str, port: int, drafts: bool, future: bool) -> int:
    from livereload import Server
    from livereload.handlers import LiveReloadHandler

    base = base_path_of(site_dir)
    dev = DevServer(site_dir, drafts, future, base)
    dev.rebuild()
    LiveReloadHandler.DEFAULT_RELOAD_TIME = 0.2      # reload after every rebuild, not once in 3 s
    server = Server()
    server.SFH = safe_handler(server.SFH)
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
