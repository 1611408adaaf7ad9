"""`kexie-site serve` in a real browser: live reload, the error page, and a server that stays up."""
from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import pytest

from conftest import REPO
from test_browser import ARGS, CHROMIUM
from quality import require

ARTICLE = "content/kyky/guti-dianchi.md"
URL_PATH = "2024/08/24/gutai-dianchi-li-women-haiyou-duoyuan/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(REPO / "site.toml", site / "site.toml")
    shutil.copytree(REPO / "content", site / "content")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kexie_site", "serve", "--site", str(site), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path)
    lines = []
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "serving at" in line:
            break
    else:
        proc.kill()
        pytest.fail("serve did not start: " + "".join(lines))
    root = Path(re.search(r"build dir: (\S+)", "".join(lines)).group(1))
    address = re.search(r"serving at (http://\S+)", "".join(lines)).group(1)
    log: list[str] = []
    import threading
    threading.Thread(target=lambda: log.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    proc.log = log
    yield site, address, root, port, proc
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def raw_request(port: int, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except socket.timeout:
            pass
    return b"".join(chunks)


def status_of(port: int, path: str) -> int:
    reply = raw_request(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0


def test_serve_binds_loopback_builds_elsewhere_and_refuses_traversal(served):
    site, address, root, port, proc = served
    assert address == f"http://127.0.0.1:{port}/"
    listening = Path("/proc/net/tcp").read_text() if Path("/proc/net/tcp").exists() else ""
    if listening:
        assert f"0100007F:{port:04X}" in listening and f"00000000:{port:04X}" not in listening
    assert not (site / "public").exists()
    assert (root / URL_PATH / "index.html").is_file()
    assert status_of(port, "/" + URL_PATH) == 200
    (root / "leak").symlink_to("/etc")
    for path in ("/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd", "//etc/passwd",
                 "/leak/passwd", "/%00", "/中文不存在/"):
        assert status_of(port, path) in (400, 403, 404), path
    for junk in (b"\x16\x03\x01\x00garbage\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n" + b"X" * 70000 + b"\r\n\r\n"):
        raw_request(port, junk)
    assert status_of(port, "/" + URL_PATH) == 200
    assert proc.poll() is None


def test_live_reload_and_the_error_page_in_a_real_browser(served):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("playwright", "pip install playwright")
    if not Path(CHROMIUM).exists():
        require("chromium", "apt-get install chromium")
    site, address, root, port, proc = served
    source = site / ARTICLE
    original = source.read_text("utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page()
        page.goto(address + URL_PATH)
        assert "固态电池" in page.locator("h1").inner_text()

        source.write_text(original.replace("## ", "## 实时预览新段落\n\n这是刚刚保存的新文字。\n\n## ", 1), "utf-8")
        page.wait_for_function("document.body.innerText.includes('这是刚刚保存的新文字。')", timeout=15000)

        broken = original.replace("title:", "title：", 1)
        source.write_text(broken, "utf-8")
        page.wait_for_selector("#kexie-errors", timeout=15000)
        text = page.locator("#kexie-errors").inner_text()
        assert f"{ARTICLE}:2:" in text and "全角冒号" in text
        assert page.locator("#kexie-errors script").count() == 0

        source.write_text(original, "utf-8")
        page.wait_for_function("!document.getElementById('kexie-errors') && "
                               "!document.body.innerText.includes('这是刚刚保存的新文字。')", timeout=15000)
        assert "固态电池" in page.locator("h1").inner_text()
        browser.close()
    assert proc.poll() is None
    assert not (site / "public").exists()


def test_a_burst_of_saves_is_one_rebuild(served):
    site, address, root, port, proc = served
    for i in range(6):
        (site / "content" / f"burst-{i}.md").write_text(
            f"---\ntitle: 第{i}篇\ndate: 2024-08-0{i + 1}\ncolumn: 科言科语\n---\n正文。\n", "utf-8")
        time.sleep(0.05)
    deadline = time.time() + 20
    while time.time() < deadline and not any("已重建" in line for line in proc.log):
        time.sleep(0.2)
    time.sleep(2.5)                      # three more polls: nothing new must start another build
    rebuilds = [line for line in proc.log if "已重建" in line or "构建失败" in line]
    assert len(rebuilds) == 1, proc.log
    assert (root / "2024/08/06").is_dir()


# ------------------------------------------------------------------ who may ask, and the lock

def get(port: int, path: str, host: str | None = "127.0.0.1", headers: dict | None = None) -> tuple[int, str]:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        if host is not None:
            conn.putheader("Host", host)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.endheaders()
        reply = conn.getresponse()
        return reply.status, reply.read().decode("utf-8", "replace")
    finally:
        conn.close()


def test_serve_answers_only_requests_for_its_own_address(served):
    site, address, root, port, proc = served
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"[::1]:{port}", f"LOCALHOST:{port}"):
        status, body = get(port, "/" + URL_PATH, host)
        assert status == 200 and "固态电池" in body, host
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}", f"localhost.evil.example:{port}"):
        for path in ("/" + URL_PATH, "/", "/__kexie/status.json", "/livereload.js"):
            status, body = get(port, path, host)
            assert status == 403, (host, path, status)
            assert "固态电池" not in body and "<html" not in body.lower() and "livereload" not in body.lower()
            assert "禁止" in body and "forbidden" in body, body
    status, body = get(port, "/" + URL_PATH, f"127.0.0.1:{port}:{port}")       # garbled
    assert status == 400 and "固态电池" not in body
    reply = raw_request(port, f"GET /{URL_PATH} HTTP/1.0\r\n\r\n".encode())   # no Host at all
    assert reply.startswith(b"HTTP/1.1 400") and "固态电池".encode() not in reply
    assert get(port, "/" + URL_PATH, f"127.0.0.1:{port}")[0] == 200
    assert proc.poll() is None


def ws_handshake(port: int, origin: str | None, host: str | None = None) -> int:
    """The status of a websocket handshake with /livereload (101: connected)."""
    lines = ["GET /livereload HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}", "Upgrade: websocket",
             "Connection: Upgrade", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
    if origin is not None:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        reply = b""
        while b"\r\n" not in reply:
            chunk = s.recv(4096)
            if not chunk:
                break
            reply += chunk
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/") else 0


def test_live_reload_websocket_accepts_only_its_own_origin(served):
    site, address, root, port, proc = served
    assert ws_handshake(port, f"http://127.0.0.1:{port}") == 101
    assert ws_handshake(port, f"http://localhost:{port}", host=f"localhost:{port}") == 101
    for origin in ("http://evil.example", f"http://evil.example:{port}", f"https://127.0.0.1:{port}",
                   f"http://127.0.0.1:{port + 1}", f"http://localhost:{port}", "null"):
        assert ws_handshake(port, origin) == 403, origin
    # a page that rebound its own name to 127.0.0.1: its Host and Origin agree, but are not ours
    assert ws_handshake(port, f"http://evil.example:{port}", host=f"evil.example:{port}") == 403
    assert proc.poll() is None


HOLD_LOCK = """import sys
from pathlib import Path
from kexie_site.outdir import site_lock
with site_lock(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


class LockHolder:
    """Another build, as far as the lock can tell: holds outdir.site_lock until release()."""

    def __init__(self, lock_path: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock_path)], cwd=REPO,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "held"

    def release(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)


def wait_until(check, timeout: float, what: str):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout} s: {what}")


def test_serve_rebuilds_by_itself_once_the_lock_is_free(served):
    site, address, root, port, proc = served
    try:
        from playwright.sync_api import sync_playwright
        browser_ok = Path(CHROMIUM).exists()
    except ImportError:
        browser_ok = False
    source = site / ARTICLE
    edited = source.read_text("utf-8").replace("## ", "## 锁后的新段落\n\n等锁放开才出现的文字。\n\n## ", 1)
    holder = LockHolder(site / ".kexie-cache" / "build.lock")
    try:
        with (sync_playwright() if browser_ok else nullcontext()) as p:
            page = None
            if browser_ok:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = browser.new_page()
                page.goto(address + URL_PATH)
                assert "固态电池" in page.locator("h1").inner_text()
            source.write_text(edited, "utf-8")

            def waiting():
                status, body = get(port, "/__kexie/status.json")
                return status == 200 and json.loads(body).get("errors") and "another build is running" in body
            wait_until(waiting, 15, "the preview says another build holds the lock")
            assert "另一个构建" in json.loads(get(port, "/__kexie/status.json")[1])["errors"][0]
            if page is not None:
                page.wait_for_selector("#kexie-errors", timeout=15000)
                assert "另一个构建" in page.locator("#kexie-errors").inner_text()
            assert "等锁放开才出现的文字。" not in get(port, "/" + URL_PATH)[1]

            holder.release()              # the other build ends; nothing is saved again
            wait_until(lambda: "等锁放开才出现的文字。" in get(port, "/" + URL_PATH)[1], 10,
                       "the edit is published after the lock is released")
            assert json.loads(get(port, "/__kexie/status.json")[1]) == {"errors": [], "waiting": False}
            if page is not None:          # and the open page reloaded by itself
                page.wait_for_function("!document.getElementById('kexie-errors') && "
                                       "document.body.innerText.includes('等锁放开才出现的文字。')", timeout=10000)
                browser.close()
    finally:
        holder.release()
    said = [line for line in proc.log if "serve rebuilds when it ends" in line and "hint" not in line]
    assert len(said) == 1, proc.log       # said once, not at every try
    assert proc.poll() is None


def test_lock_retries_are_one_timer_at_a_time(tmp_path):
    from kexie_site.serve import RETRY_FAST, RETRY_SLOW, DevServer

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(REPO / "site.toml", site / "site.toml")
    shutil.copytree(REPO / "content", site / "content")
    timers, reloads = [], []
    dev = DevServer(site, False, False, later=lambda seconds, fn: timers.append((seconds, fn)),
                    reload=lambda: reloads.append(1))
    try:
        holder = LockHolder(site / ".kexie-cache" / "build.lock")
        try:
            dev.rebuild()                                  # refused by the lock: one retry timer
            assert len(timers) == 1 and RETRY_FAST <= timers[0][0] <= RETRY_SLOW <= 1.0
            assert json.loads((dev.out / "__kexie/status.json").read_text("utf-8"))["waiting"] is True
            (site / "content" / "new.md").write_text("---\ntitle: 新\ndate: 2024-08-01\ncolumn: 科言科语\n---\n正文。\n",
                                                     "utf-8")
            dev.rebuild()                                  # a save while waiting: still one timer
            assert len(timers) == 1
            timers.pop()[1]()                              # a try while the lock is still held: the next one
            assert len(timers) == 1 and not reloads
        finally:
            holder.release()
        timers.pop()[1]()                                  # free: built, pages reloaded, no more timers
        assert not timers and reloads == [1]
        assert json.loads((dev.out / "__kexie/status.json").read_text("utf-8")) == {"errors": [], "waiting": False}
        assert (dev.out / URL_PATH / "index.html").is_file()
    finally:
        dev.close()


def test_serve_says_only_its_own_chinese_lines_and_one_save_is_one_rebuild(served):
    """The web server's English log lines ("[I 261203 07:30:10 server:331] Serving on …", one per
    request and per browser) are not mixed into serve's output: what it says is its own; and
    one save is one rebuild."""
    site, address, root, port, proc = served
    assert status_of(port, "/") == 200 and status_of(port, "/no-such-page/") == 404
    page = site / "content/kyky/da-moxing.md"
    page.write_text(page.read_text("utf-8") + "\n补充一句。\n", "utf-8")
    deadline = time.time() + 20
    while time.time() < deadline and not any("已重建" in line for line in proc.log):
        time.sleep(0.2)
    time.sleep(2.5)                      # more polls: one save is one rebuild
    assert len([line for line in proc.log if "已重建" in line]) == 1, proc.log
    foreign = [line for line in proc.log if re.match(r"\[[DIWE] \d{6} ", line) or "Serving on" in line
               or "Browser Connected" in line or "GET /" in line]
    assert foreign == [], foreign
