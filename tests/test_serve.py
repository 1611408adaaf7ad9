"""`kexie-site serve` in a real browser: live reload, the error page, and a server that stays up."""
from __future__ import annotations

import re
import shutil
import signal
import socket
import subprocess
import sys
import time
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
