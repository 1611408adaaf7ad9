"""The default theme in a real browser (Debian's chromium driven by Playwright): phones and
desktops, no horizontal scrolling, no console errors, no request to another host, readable
text, and an accessibility pass (landmarks, heading order, contrast, focus, skip link, 适老化)."""
from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import build_site
from quality import require

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PAGES = {"home": "", "article with figure": "2024/09/03/beidou-daohang-touding-shang-de-zhongguo-xingzuo/",
         "article with table": "2024/08/24/gutai-dianchi-li-women-haiyou-duoyuan/",
         "column": "columns/kyky/", "archive": "archive/", "archive year": "archive/2024/"}


class Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("playwright", "pip install playwright (the Python package; the browser is Debian's chromium)")
    if not Path(CHROMIUM).exists():
        require("chromium", "apt-get install chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def serve(root: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module", params=["/", "/kexie/kepu/"], ids=["root", "sub-path"])
def site(request, tmp_path_factory, browser):
    """The example site built for base_url https://kepu.example.cn<prefix>, served at <prefix>."""
    from conftest import REPO
    prefix = request.param
    work = tmp_path_factory.mktemp("browser")
    src = work / "src"
    src.mkdir()
    shutil.copytree(REPO / "content", src / "content")
    toml = (REPO / "site.toml").read_text("utf-8").replace(
        'base_url = "https://kepu.example.cn/"', f'base_url = "https://kepu.example.cn{prefix}"')
    (src / "site.toml").write_text(toml, "utf-8")
    www = work / "www"
    out = www / prefix.strip("/") if prefix != "/" else www
    build_site(src, out)
    server = serve(www)
    yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    server.shutdown()


def open_page(browser, url: str, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    errors, foreign = [], []
    host = urlsplit(url).netloc
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).netloc not in (host, "") and
            not r.url.startswith("data:") else None)
    response = page.goto(url, wait_until="load")
    assert response.status == 200, url
    return context, page, errors, foreign


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("name", list(PAGES))
def test_pages_on_phones_and_desktops(browser, site, name, width):
    context, page, errors, foreign = open_page(browser, site + PAGES[name], width)
    try:
        assert page.evaluate("document.documentElement.scrollWidth") <= width, "horizontal scrolling"
        assert errors == []
        assert foreign == []
        sizes = page.evaluate("[...document.querySelectorAll('.article-body p, .article-body li, .entry-summary, "
                              ".entry-title, .archive-table td, .archive-months li')].map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert sizes and min(sizes) >= 16, "body text must be at least 16 px"
        assert page.evaluate("[...document.images].every(i => i.hasAttribute('alt') && i.alt.trim() !== '')")
        for index in range(page.locator("img").count()):       # lazy images load when scrolled to
            page.locator("img").nth(index).scroll_into_view_if_needed()
        page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)", timeout=10000)
        if name == "article with figure":
            figure = page.locator("figure").first
            figure.scroll_into_view_if_needed()
            assert figure.is_visible()
            box = figure.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width
            assert page.locator("figcaption").first.inner_text().strip()
        if name == "article with table":
            table = page.locator(".article-body table").first
            table.scroll_into_view_if_needed()
            assert table.is_visible()
            assert table.bounding_box()["x"] + table.bounding_box()["width"] <= width
    finally:
        context.close()


def _luminance(rgb: str) -> float:
    r, g, b = (int(x) / 255 for x in re.findall(r"\d+", rgb)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


COLORS_JS = """() => [...document.querySelectorAll('main p, main a, main li, main time, footer p, footer a, .site-nav a, .entry-meta, figcaption')]
  .filter(e => e.offsetParent !== null && e.textContent.trim()).slice(0, 200).map(e => {
    let bg = 'rgba(0, 0, 0, 0)', n = e;
    while (n && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) { bg = getComputedStyle(n).backgroundColor; n = n.parentElement; }
    if (bg === 'rgba(0, 0, 0, 0)') bg = 'rgb(255, 255, 255)';
    return [e.tagName + '.' + e.className, getComputedStyle(e).color, bg];
  })"""


def test_accessibility_landmarks_headings_contrast_focus_and_skip_link(browser, site):
    for name, path in [*((n, PAGES[n]) for n in ("home", "article with figure", "column", "archive year")),
                       ("search", "search/?q=%E5%8C%97%E6%96%97")]:           # 北斗, its results shown
        context, page, _, _ = open_page(browser, site + path, 1280)
        try:
            if name == "search":
                page.wait_for_selector("#search-status[data-done]", timeout=10000)
                assert page.locator("#search-results mark").count() > 0
            for selector in ("header", "nav", "main#main", "footer"):
                assert page.locator(selector).count() >= 1, (name, selector)
            levels = page.evaluate("[...document.querySelectorAll('h1,h2,h3,h4,h5,h6')].map(h => +h.tagName[1])")
            assert levels[0] == 1 and levels.count(1) == 1, (name, levels)
            for before, after in zip(levels, levels[1:]):
                assert after <= before + 1, (name, levels)
            for what, fg, bg in page.evaluate(COLORS_JS):
                light, dark = sorted((_luminance(fg), _luminance(bg)), reverse=True)
                assert (light + 0.05) / (dark + 0.05) >= 4.5, (name, what, fg, bg)
            page.keyboard.press("Tab")
            assert page.evaluate("document.activeElement.className") == "skip-link"
            box = page.evaluate("(() => { const r = document.activeElement.getBoundingClientRect(); return [r.top, r.left]; })()")
            assert box[0] >= 0 and box[1] >= 0, "the skip link shows when focused"
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
            page.keyboard.press("Tab")
            assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
        finally:
            context.close()


def test_large_text_mode_persists_across_pages(browser, site):
    context, page, errors, _ = open_page(browser, site + PAGES["home"], 390)
    try:
        normal = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        button = page.locator("#text-size")
        assert button.is_visible()
        button.click()
        assert page.evaluate("document.documentElement.classList.contains('large-text')")
        assert button.get_attribute("aria-pressed") == "true"
        large = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert large >= normal * 1.2
        page.goto(site + PAGES["article with figure"])
        assert page.evaluate("document.documentElement.classList.contains('large-text')")
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == large
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.locator("#text-size").click()
        page.goto(site + PAGES["column"])
        assert not page.evaluate("document.documentElement.classList.contains('large-text')")
        assert errors == []
    finally:
        context.close()


def test_pages_read_without_javascript(browser, site):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        page.goto(site + PAGES["article with figure"])
        assert page.locator("h1").inner_text().startswith("北斗导航")
        assert len(page.locator(".article-body").inner_text()) > 500
        assert not page.locator("#text-size").is_visible()
    finally:
        context.close()
