#!/usr/bin/env python3
"""Screenshots of the example site for the README: the home page, an article with a table, a
column page and the stats page, on a phone (390×844) and a desktop (1366×900), in the normal and
the 大字模式 (large text) mode. Run from the repository root after `python build.py`:

    python docs/screenshots/shoot.py

Chromium (/usr/bin/chromium) through Playwright; Chinese fonts must be installed for the text
to show (Debian: fonts-noto-cjk).
"""
from __future__ import annotations

import functools
import http.server
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = {"home": "/", "article": "/2024/10/25/yimuliaoran-tieqiu-he-yumao-shui-xian-luodi/",
         "column": "/columns/kyky/", "stats": "/stats/"}
SIZES = {"phone": (390, 844), "desktop": (1366, 900)}


def main() -> int:
    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(ROOT / "public")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    out = Path(__file__).resolve().parent
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            for size, (w, h) in SIZES.items():
                for large in (False, True):
                    context = browser.new_context(viewport={"width": w, "height": h}, device_scale_factor=1,
                                                  color_scheme="light")
                    if large:
                        context.add_init_script("localStorage.setItem('kexie-large-text', '1')")
                    page = context.new_page()
                    for name, url in PAGES.items():
                        if large and name not in ("home", "article"):
                            continue
                        page.goto(base + url)
                        page.wait_for_load_state("networkidle")
                        suffix = "-large" if large else ""
                        page.screenshot(path=str(out / f"{name}-{size}{suffix}.png"))
                    context.close()
            browser.close()
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
