"""Acceptance tests of the redesigned default theme (issue 20), in Chromium at 390×844 (a phone) and
1366×900 (a laptop), for a site built at the root of its host and under a sub-path: no horizontal
page scroll, a one-line header on wide screens and a nav strip on phones whose every link is one tap
away, tables that scroll in their own box with cells of at least 4 em, the newest article's title in
the first screen of a phone, no article twice on the home page, 大字模式 (larger type, line height,
persistence, keyboard use, the skip link hidden until focused), contrast ≥ 4.5:1 in light and dark
mode, the full 备案 footer, a column's colour from site.toml (checked by the build) and the print
stylesheet.

Nothing here depends on the widths of a particular font's glyphs: sizes are compared with the
computed font size, rows with the items' own boxes."""
from __future__ import annotations

import contextlib
import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import quote

import pytest

from conftest import article, build_site, parse_html, png_bytes, problems_of, site_toml, write_site
from test_browser import browser, serve  # noqa: F401 (browser: the module's chromium, a fixture)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
VIEWPORTS = {"390x844": PHONE, "1366x900": DESKTOP}
PREFIXES = {"root": "/", "sub-path": "/kexie/kepu/"}

ICP = "鲁ICP备00000000号-1"                      # conftest's SITE_TOML
PUBLISHER = "测试市科学技术协会"
POLICE = "鲁公网安备 37160202000123号"
POLICE_URL = "https://beian.mps.gov.cn/#/query/webSearch?code=37160202000123"
SITE_CODE = "3716000001"
COLOR = "#7a1f5c"                               # 一目了然科普汇's colour (≈ 9:1 against white)
COLOR_RGB = "rgb(122, 31, 92)"
LEAD_TITLE = "为什么夏天午后的雷阵雨来得快去得也快？一张图看懂对流云从生成到消散的全过程"
TABLE_TITLE = "几类动力电池一览：能量密度、寿命和低温表现"
ARTICLES = 14

TABLE_BODY = r"""
动力电池的种类很多，本文用一张表比较它们。

## 几类动力电池一览

下表比较了几种常见的动力电池[^1]。

| 电池类型 | 电解质与关键材料 | 电芯能量密度（大致范围） | 循环寿命（容量保持百分之八十） | 低温表现（零下二十摄氏度） | 产业化程度与典型应用场景 |
|---|---|---|---|---|---|
| 磷酸铁锂电池 | 液态有机电解液，正极为磷酸铁锂 | 约140～200瓦时/千克，体积能量密度约350瓦时/升 | 约3000～6000次充放电循环 | 放电容量约为常温的百分之六十到七十 | 大规模应用于乘用车、客车和储能电站 |
| 三元锂电池 | 液态有机电解液，正极为镍钴锰酸锂 | 约200～300瓦时/千克，体积能量密度约650瓦时/升 | 约1500～2500次充放电循环 | 放电容量约为常温的百分之七十到八十 | 大规模应用于中高端乘用车 |
| 半固态电池 | 固液混合电解质，电解液含量低于百分之十 | 约300～360瓦时/千克，体积能量密度约800瓦时/升 | 约1000～2000次充放电循环 | 放电容量约为常温的百分之七十五 | 小批量装车，处于示范运营阶段 |

### 数据从哪里来

表中数据为公开资料中常见的大致范围[^2]，具体数值因产品和技术路线不同而有差异。

## 还要迈过哪些坎

固体与固体之间的接触，不像液体与固体那样无缝贴合。电极和电解质之间只要有细小的缝隙，锂离子就难以通过。

- 界面：接触越来越差，内阻随之增大。
- 成本：固态电解质的原料和工艺都更贵。

一张很宽的图和一个很长的公式，也都不会让页面横向滚动：

![各类电池的能量密度对比图](images/wide.png)

$$
E_{\text{电芯}} = \frac{C \times U}{m} = \frac{3.2 \times 100}{1.6} + \frac{3.7 \times 120}{1.9} + \frac{3.85 \times 150}{2.1} + \frac{3.9 \times 180}{2.3} + \frac{4.0 \times 200}{2.5}
$$

资料链接：https://www.example.org/reports/2025/power-battery-energy-density-and-cycle-life-comparison-full-text.html

```
cell_energy_density_wh_per_kg = capacity_ah * nominal_voltage_v / mass_kg  # 约140～200瓦时/千克
```

[^1]: 数据来自行业公开报告，2025年版。
[^2]: 不同测试条件下的数值可能相差百分之二十以上。
"""


# ------------------------------------------------------------------ the site, built twice, served

def theme_site(root: Path, base_url: str, color: str = COLOR) -> Path:
    """Two columns (the second with its own colour), 14 articles one every 17 days (the newest,
    with a cover and a long title, leads the home page), covers on five of them, one article with
    a 6-column table, footnotes, h2/h3 headings, a wide image, a long formula, a long URL and a
    long line of code; tags on all, view counts for all."""
    toml = site_toml(base_url, police_beian=POLICE, site_code=SITE_CODE)
    assert 'description = "一目了然"\n' in toml
    toml = toml.replace('description = "一目了然"\n', f'description = "一目了然"\ncolor = "{color}"\n')
    files: dict[str, str | bytes] = {"site.toml": toml}
    views = ["id,url,source,views"]
    for n in range(ARTICLES):
        slug, column = ("kyky", "科言科语") if n % 2 == 0 else ("ymlr", "一目了然科普汇")
        meta = {"id": f"t-{n:02d}", "tags": ["科普", f"标签{n % 4}"],
                "summary": f"第{n}篇文章的摘要：讲清楚身边的科学问题，一图一表三分钟看懂。"}
        if n % 3 == 1:
            files[f"content/{slug}/images/c{n:02d}.png"] = png_bytes(640, 360)
            meta["cover"] = f"images/c{n:02d}.png"
        title, body = f"第{n}篇：身边的科学问题", f"正文第一段，讲第{n}个生活里的科学问题。\n\n## 小标题\n\n第二段，第{n}篇的内容。"
        if n == ARTICLES - 2:
            title, body = TABLE_TITLE, TABLE_BODY
            files[f"content/{slug}/images/wide.png"] = png_bytes(2400, 300)
        if n == ARTICLES - 1:
            title = LEAD_TITLE
        day = (date(2026, 1, 5) + timedelta(days=17 * n)).isoformat()
        files[f"content/{slug}/a{n:02d}.md"] = article(title, day, column=column, body=body, **meta)
        views += [f"t-{n:02d},,wechat,{(n + 1) * 1234}", f"t-{n:02d},,site,{(n + 3) * 321}"]
    files["data/views.csv"] = "\n".join(views) + "\n"
    return write_site(root, files)


def article_paths(out: Path) -> dict[str, str]:
    """{title: site-relative URL} of every article page of a build (found by its h1)."""
    found = {}
    for path in out.rglob("index.html"):
        rel = path.relative_to(out).as_posix()
        if re.fullmatch(r"\d{4}/\d{2}/\d{2}/[^/]+/index\.html", rel):
            found[" ".join(parse_html(path).xpath("string(//h1)").split())] = rel[: -len("index.html")]
    return found


@pytest.fixture(scope="module")
def sites(tmp_path_factory, browser):
    """{"root" | "sub-path": .url (served), .out, .articles {title: relative URL}}: the same site
    built for https://kepu.example.cn/ and https://kepu.example.cn/kexie/kepu/, each served at its
    own path."""
    built, servers = {}, []
    for name, prefix in PREFIXES.items():
        work = tmp_path_factory.mktemp("theme")
        src = theme_site(work / "src", f"https://kepu.example.cn{prefix}")
        www = work / "www"
        out = www / prefix.strip("/") if prefix != "/" else www
        result, _ = build_site(src, out)
        assert [p.format() for p in result.problems] == []
        server = serve(www)
        servers.append(server)
        paths = article_paths(out)
        assert len(paths) == ARTICLES and LEAD_TITLE in paths and TABLE_TITLE in paths, paths
        built[name] = SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}{prefix}", out=out,
                                      prefix=prefix, articles=paths)
    yield built
    for server in servers:
        server.shutdown()


def pages_of(site) -> dict[str, str]:
    return {"home": "", "article with table": site.articles[TABLE_TITLE], "column": "columns/kyky/",
            "stats": "stats/", "hot": "hot/", "search": "search/?q=" + quote("科普")}


@contextlib.contextmanager
def tab(browser, viewport, **options):
    """A page in a fresh context (its own localStorage) of the given viewport."""
    context = browser.new_context(viewport=viewport, **options)
    try:
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda e: page.errors.append(str(e)))
        yield page
    finally:
        context.close()


def go(page, url: str):
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    if "/search/" in url and "q=" in url:             # the results are written by search.js
        page.wait_for_selector("#search-results li", timeout=10000)


def large_on(page) -> bool:
    return page.evaluate("document.documentElement.classList.contains('large-text')")


def turn_large_on(page):
    page.locator("#text-size").click()
    assert large_on(page), "大字模式 did not turn on (html.large-text)"


def page_scroll(page) -> list:
    return page.evaluate("[document.documentElement.scrollWidth, innerWidth]")


# ------------------------------------------------------------------ 1. no horizontal page scroll

@pytest.mark.parametrize("size", list(VIEWPORTS))
@pytest.mark.parametrize("where", list(PREFIXES))
def test_no_horizontal_page_scroll(browser, sites, where, size):
    site, viewport = sites[where], VIEWPORTS[size]
    wide = []
    with tab(browser, viewport) as page:
        for mode in ("normal", "大字模式"):
            for name, path in pages_of(site).items():
                go(page, site.url + path)
                if mode == "大字模式" and not large_on(page):
                    turn_large_on(page)
                scroll_width, inner = page_scroll(page)
                if scroll_width > inner:
                    wide.append(f"{name} ({mode}): scrollWidth {scroll_width} > innerWidth {inner}")
        assert page.errors == []
    assert wide == [], f"{where} {size}: the page scrolls sideways:\n" + "\n".join(wide)


# ------------------------------------------------------------------ 2. the header

HEADER_ROW_JS = """() => {
  const shown = e => !!e && e.checkVisibility({visibilityProperty: true}) && e.getBoundingClientRect().width > 0;
  const lines = e => {                   // lines of text an item's text takes (its fragments' tops, 3px apart)
    const range = document.createRange();
    range.selectNodeContents(e);
    const tops = [...range.getClientRects()].filter(r => r.width > 0).map(r => r.top).sort((a, b) => a - b);
    return tops.filter((t, i) => i === 0 || t - tops[i - 1] > 3).length;
  };
  const box = e => { const r = e.getBoundingClientRect();
    return {name: (e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + e.className) + ' ' + e.textContent.trim().slice(0, 12),
            top: r.top, bottom: r.bottom, left: r.left, right: r.right, mid: (r.top + r.bottom) / 2, h: r.height,
            lines: e.tagName === 'INPUT' ? 1 : lines(e)}; };
  const nav = document.querySelector('.site-header nav.site-nav');
  const links = nav ? [...nav.querySelectorAll('a')] : [];
  const search = document.querySelector('.site-header .site-search input');
  const items = {title: document.querySelector('.site-header .site-title'), search,
                 button: document.querySelector('.site-header #text-size')};
  const out = {missing: Object.entries(items).filter(([k, e]) => !shown(e)).map(([k]) => k),
               links: links.filter(shown).map(box), hiddenLinks: links.filter(a => !shown(a)).map(a => a.textContent.trim()),
               items: Object.values(items).filter(shown).map(box), header: box(document.querySelector('.site-header')),
               nav: nav && box(nav), vw: innerWidth};
  return out;
}"""


@pytest.mark.parametrize("where", list(PREFIXES))
def test_header_is_one_line_at_1366(browser, sites, where):
    site = sites[where]
    with tab(browser, DESKTOP) as page:
        for mode in ("normal", "大字模式"):
            for name in ("home", "article with table"):
                go(page, site.url + pages_of(site)[name])
                if mode == "大字模式" and not large_on(page):
                    turn_large_on(page)
                got = page.evaluate(HEADER_ROW_JS)
                what = f"{where}, {name}, {mode} at 1366×900"
                assert got["missing"] == [], f"{what}: not shown in the header: {got['missing']}"
                assert got["nav"] and len(got["links"]) >= 6, f"{what}: nav links shown: {got['links']}"
                # only the nav's 搜索 link may give way, and only to the search box
                assert set(got["hiddenLinks"]) <= {"搜索"}, f"{what}: nav links not shown: {got['hiddenLinks']}"
                row = got["items"] + got["links"]
                mids = sorted(row, key=lambda b: b["mid"])
                assert mids[-1]["mid"] - mids[0]["mid"] <= 4, (
                    f"{what}: the header is not one row; vertical centres: "
                    + ", ".join(f"{b['name']}={b['mid']:.0f}" for b in mids))
                wrapped = [f"{b['name']} ({b['lines']} lines)" for b in row if b["lines"] != 1]
                assert wrapped == [], f"{what}: header items whose text wraps: {wrapped}"
                tallest = max(b["h"] for b in row)
                assert got["header"]["h"] < 2 * tallest, (
                    f"{what}: the header is {got['header']['h']:.0f}px tall, two lines (items ≤ {tallest:.0f}px)")
                nav = got["nav"]
                for b in row:
                    assert b["left"] >= 0 and b["right"] <= got["vw"], f"{what}: {b['name']} outside the window: {b}"
                for b in got["links"]:
                    assert nav["left"] - 0.5 <= b["left"] and b["right"] <= nav["right"] + 0.5, (
                        f"{what}: nav link {b['name']} is cut off by the nav strip (link {b['left']:.0f}–"
                        f"{b['right']:.0f}, nav {nav['left']:.0f}–{nav['right']:.0f}): not every link on the one line")


NAV_LINK_JS = """(i) => {
  const a = document.querySelectorAll('.site-header nav.site-nav a')[i];
  const nav = a.closest('nav'), before = a.getBoundingClientRect(), strip = nav.getBoundingClientRect();
  let scroller = null;                   // what a finger scrolls to bring a link beyond the strip's edge
  for (let n = a.parentElement; n && !scroller; n = n === nav ? null : n.parentElement)
    if (['auto', 'scroll'].includes(getComputedStyle(n).overflowX) && n.scrollWidth > n.clientWidth) scroller = n;
  const outside = before.left < strip.left - 0.5 || before.right > strip.right + 0.5;
  a.scrollIntoView({block: 'nearest', inline: 'nearest', behavior: 'instant'});
  const r = a.getBoundingClientRect(), n = a.closest('nav').getBoundingClientRect();
  const hit = document.elementFromPoint((r.left + r.right) / 2, (r.top + r.bottom) / 2);
  return {text: a.textContent.trim(), shown: a.checkVisibility({visibilityProperty: true, opacityProperty: true}),
          box: [r.left, r.top, r.right, r.bottom].map(Math.round), nav: [n.left, n.right].map(Math.round),
          inView: r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight,
          inNav: r.left >= n.left - 0.5 && r.right <= n.right + 0.5, swipe: !outside || !!scroller,
          hit: !!hit && (hit === a || a.contains(hit)), covered_by: hit ? hit.outerHTML.slice(0, 80) : null};
}"""


@pytest.mark.parametrize("where", list(PREFIXES))
def test_every_nav_link_one_tap_away_on_a_phone(browser, sites, where):
    site = sites[where]
    with tab(browser, PHONE, has_touch=True) as page:
        for name in ("home", "article with table"):
            go(page, site.url + pages_of(site)[name])
            nav = page.locator(".site-header nav.site-nav")
            assert nav.count() == 1 and nav.is_visible(), f"{where} {name}: no nav strip shown on the phone"
            assert nav.bounding_box()["y"] < PHONE["height"] / 3, "the nav strip is not at the top of the first screen"
            count = page.locator(".site-header nav.site-nav a").count()
            assert count >= 7, "首页, two columns, 热门, 归档, 标签, 搜索"
            problems = []
            for i in range(count):
                got = page.evaluate(NAV_LINK_JS, i)
                if not (got["shown"] and got["inView"] and got["inNav"] and got["hit"] and got["swipe"]):
                    problems.append(got)
                else:
                    page.locator(".site-header nav.site-nav a").nth(i).click(trial=True, timeout=3000)
            assert problems == [], f"{where} {name} at 390×844: nav links not reachable in one tap: {problems}"
            texts = page.locator(".site-header nav.site-nav a").all_inner_texts()
            for needed in ("首页", "科言科语", "一目了然科普汇", "热门", "归档", "标签"):
                assert needed in [t.strip() for t in texts], f"nav link {needed} missing: {texts}"
            # the search is one tap away too: the box or the nav's link
            assert page.locator(".site-header .site-search input").is_visible() or "搜索" in texts


# ------------------------------------------------------------------ 3. the 6-column table

TABLE_JS = """() => {
  const table = document.querySelector('.article-body table');
  let box = table;                        // the table itself, or the box around it that scrolls
  while (box && box !== document.body && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
  const cells = [...table.querySelectorAll('th, td')].map(c => {
    const style = getComputedStyle(c), fs = parseFloat(style.fontSize);
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    return {text: c.textContent.trim().slice(0, 10), width: c.getBoundingClientRect().width - padding, fs};
  });
  const b = box.getBoundingClientRect();
  return {columns: table.rows[0].cells.length, own_box: !!box.closest('.article-body'),
          scroll: [box.scrollWidth, box.clientWidth], box: [b.left, b.right],
          page: [document.documentElement.scrollWidth, innerWidth], cells};
}"""


@pytest.mark.parametrize("where", list(PREFIXES))
def test_table_scrolls_in_its_box_with_cells_of_4em(browser, sites, where):
    site = sites[where]
    for size, viewport in VIEWPORTS.items():
        with tab(browser, viewport) as page:
            for mode in ("normal", "大字模式"):
                go(page, site.url + site.articles[TABLE_TITLE])
                if mode == "大字模式":
                    turn_large_on(page)
                what = f"{where} {size} {mode}"
                got = page.evaluate(TABLE_JS)
                assert got["columns"] == 6
                narrow = [c for c in got["cells"] if c["width"] < 4 * c["fs"] - 0.5]
                assert narrow == [], f"{what}: cells with less than 4 em for their text: " + ", ".join(
                    f"{c['text']}… {c['width']:.1f}px < 4 × {c['fs']}px" for c in narrow)
                assert got["page"][0] <= got["page"][1], f"{what}: the page scrolls sideways: {got['page']}"
                assert got["box"][0] >= 0 and got["box"][1] <= viewport["width"] + 0.5, f"{what}: table box {got['box']}"
                if viewport is PHONE:
                    assert got["own_box"], f"{what}: no box of the article scrolls the table (overflow-x)"
                    assert got["scroll"][0] > got["scroll"][1], f"{what}: the table's box does not scroll: {got['scroll']}"
                    # scrolled to its end, the table's box moves, the page stays
                    page.evaluate("""() => { const t = document.querySelector('.article-body table');
                        let b = t; while (!['auto', 'scroll'].includes(getComputedStyle(b).overflowX)) b = b.parentElement;
                        b.scrollLeft = b.scrollWidth; }""")
                    assert page.evaluate("[scrollX, document.documentElement.scrollWidth <= innerWidth]") == [0, True]
                    last = page.locator(".article-body table tr").first.locator("th, td").last
                    right = last.bounding_box()["x"] + last.bounding_box()["width"]
                    assert right <= viewport["width"] + 1, f"{what}: the last column cannot be scrolled to ({right})"


# ------------------------------------------------------------------ 4. the lead article on a phone

LEAD_JS = """() => {
  const lead = document.querySelector('main .lead-article');
  const title = lead && lead.querySelector('h1, h2, h3');
  if (!title) return null;
  const r = title.getBoundingClientRect();
  return {text: title.textContent.trim(), top: r.top, bottom: r.bottom, scrollY, cover: !!lead.querySelector('img')};
}"""


@pytest.mark.parametrize("where", list(PREFIXES))
def test_lead_title_in_the_first_screen_of_a_phone(browser, sites, where):
    site = sites[where]
    with tab(browser, PHONE) as page:
        for mode in ("normal", "大字模式"):
            go(page, site.url)
            if mode == "大字模式":
                turn_large_on(page)
                go(page, site.url)
            got = page.evaluate(LEAD_JS)
            assert got, f"{where}: no .lead-article with a title on the home page"
            assert " ".join(got["text"].split()) == LEAD_TITLE, "the lead is not the newest article"
            assert got["cover"], "the lead article's cover is not shown (it has one)"
            assert got["scrollY"] == 0
            assert 0 <= got["top"] and got["bottom"] <= PHONE["height"], (
                f"{where} {mode} at 390×844: the lead article's title spans {got['top']:.0f}–{got['bottom']:.0f}px, "
                f"not within the first screen (844px)")


# ------------------------------------------------------------------ 5. no article twice on the home page

HOME_LINKS_JS = """(articles) => {
  const items = new Map();                // an entry (li / article) → the articles it links to
  for (const a of document.querySelectorAll('main a[href]')) {
    if (a.closest('aside, .side-column')) continue;
    const path = decodeURI(new URL(a.href).pathname);
    if (!articles.includes(path)) continue;
    const item = a.closest('li, article') || a;
    if (!items.has(item)) items.set(item, new Set());
    items.get(item).add(path);
  }
  const lead = document.querySelector('main .lead-article');
  const leadLinks = lead ? [...lead.querySelectorAll('a[href]')].map(a => decodeURI(new URL(a.href).pathname)).filter(p => articles.includes(p)) : [];
  const inBlocks = [...document.querySelectorAll('main .column-block a[href]')].map(a => decodeURI(new URL(a.href).pathname));
  return {entries: [...items.values()].map(s => [...s]), lead: leadLinks, inBlocks, blocks: document.querySelectorAll('main .column-block').length};
}"""


@pytest.mark.parametrize("where", list(PREFIXES))
def test_no_article_twice_on_the_home_page(browser, sites, where):
    site = sites[where]
    articles = [site.prefix + rel for rel in site.articles.values()]
    with tab(browser, DESKTOP) as page:
        go(page, site.url)
        got = page.evaluate(HOME_LINKS_JS, articles)
    assert got["blocks"] == 2, "one section per column"
    listed = [path for entry in got["entries"] for path in entry]
    twice = sorted({p for p in listed if listed.count(p) > 1})
    assert twice == [], f"{where}: articles listed more than once on the home page: {twice}"
    assert len(listed) >= 1 + 2 * 3, f"{where}: the home page lists too few articles: {listed}"
    lead = site.prefix + site.articles[LEAD_TITLE]
    assert got["lead"] and set(got["lead"]) == {lead}, f"the lead is not the newest article: {got['lead']}"
    assert lead not in got["inBlocks"], f"{where}: the lead article is repeated in a column block"


# ------------------------------------------------------------------ 6. 大字模式

TEXT_SIZES_JS = """() => {
  const all = [...document.querySelectorAll('h1, h2, h3, .article-body p, .article-body li, .article-body th, .article-body td, body')];
  return all.map((e, i) => {
    const shown = e === document.body || (e.checkVisibility() && e.getBoundingClientRect().width > 1 && e.getBoundingClientRect().height > 1);
    const c = getComputedStyle(e);
    return shown && [i, e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + e.textContent.trim().slice(0, 8),
                     parseFloat(c.fontSize), c.lineHeight === 'normal' ? null : parseFloat(c.lineHeight)];
  }).filter(Boolean);
}"""

SKIP_LINK_JS = """() => {
  const e = document.querySelector('.skip-link');
  if (!e) return null;
  const r = e.getBoundingClientRect(), c = getComputedStyle(e);
  let opacity = 1;
  for (let n = e; n; n = n.parentElement) opacity *= parseFloat(getComputedStyle(n).opacity);
  return {focused: document.activeElement === e, opacity, visibility: c.visibility, clip: c.clipPath,
          box: [r.left, r.top, r.right, r.bottom].map(Math.round), size: r.width > 1 && r.height > 1,
          intersects: r.right > 0 && r.bottom > 0 && r.left < innerWidth && r.top < innerHeight,
          inside: r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight};
}"""


def check_skip_link(page, what: str):
    """On a page just loaded: the skip link is not seen; the first Tab focuses it and shows it."""
    got = page.evaluate(SKIP_LINK_JS)
    assert got, f"{what}: no .skip-link"
    assert not got["focused"]
    seen = got["opacity"] > 0.05 and got["visibility"] == "visible" and got["intersects"] and got["size"] \
        and got["clip"] in ("none", "")
    assert not seen, f"{what}: the skip link is visible before it is focused: {got}"
    page.keyboard.press("Tab")
    got = page.evaluate(SKIP_LINK_JS)
    assert got["focused"], f"{what}: the first Tab does not focus the skip link"
    from playwright.sync_api import TimeoutError as Timeout
    with contextlib.suppress(Timeout):      # allow a transition to finish; the assertion below says what is wrong
        page.wait_for_function(f"(() => {{ const g = ({SKIP_LINK_JS})(); return g.inside && g.size && g.opacity > 0.99; }})()",
                               timeout=2000)
    got = page.evaluate(SKIP_LINK_JS)
    assert got["inside"] and got["size"] and got["opacity"] > 0.99 and got["visibility"] == "visible", (
        f"{what}: the focused skip link is not visible inside the window: {got}")


def tab_to(page, element_id: str, limit: int = 60):
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


@pytest.mark.parametrize("size", list(VIEWPORTS))
@pytest.mark.parametrize("where", list(PREFIXES))
def test_large_text_mode(browser, sites, where, size):
    site, viewport = sites[where], VIEWPORTS[size]
    art, home, column = site.url + site.articles[TABLE_TITLE], site.url, site.url + "columns/kyky/"
    with tab(browser, viewport) as page:
        go(page, art)
        assert not large_on(page)
        check_skip_link(page, f"{where} {size} article, normal")
        normal = {i: (name, fs, lh) for i, name, fs, lh in page.evaluate(TEXT_SIZES_JS)}
        names = [n for n, _, _ in normal.values()]
        assert sum(n.startswith("h1") for n in names) == 1 and any(n.startswith("h2") for n in names) \
            and any(n.startswith("h3") for n in names) and any(n.startswith("p") for n in names), names

        # by keyboard: Tab to the button, Enter
        tab_to(page, "text-size")
        page.keyboard.press("Enter")
        assert large_on(page), f"{where} {size}: Enter on 大字模式 does not turn it on"
        assert page.locator("#text-size").get_attribute("aria-pressed") == "true"
        large = {i: (name, fs, lh) for i, name, fs, lh in page.evaluate(TEXT_SIZES_JS)}
        assert large.keys() == normal.keys(), f"{where} {size}: 大字模式 shows other headings or text than normal"
        small, tight = [], []
        for i, (name, fs, _) in normal.items():
            fs_large, lh_large = large[i][1], large[i][2]
            if fs_large < fs * 1.15 - 0.01:
                small.append(f"{name}: {fs}px → {fs_large}px")
            if lh_large is None or lh_large < 1.3 * fs_large - 0.01:
                tight.append(f"{name}: line-height {lh_large} for {fs_large}px")
        assert small == [], f"{where} {size}: in 大字模式 these do not grow by 15%: " + "; ".join(small)
        assert tight == [], f"{where} {size}: in 大字模式 line-height under 1.3×: " + "; ".join(tight)
        body_large = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")

        # the choice persists; the skip link stays hidden until focused in 大字模式 too
        for url in (home, column, art):
            go(page, url)
            assert large_on(page), f"{where} {size}: 大字模式 was not kept on {url}"
            assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == body_large
            check_skip_link(page, f"{where} {size} {url[len(site.url):] or 'home'}, 大字模式")

        # by mouse (a tap): off, kept off, on again
        go(page, home)
        page.locator("#text-size").click()
        assert not large_on(page)
        assert page.locator("#text-size").get_attribute("aria-pressed") == "false"
        go(page, column)
        assert not large_on(page), "turning 大字模式 off was not kept"
        page.locator("#text-size").click()
        assert large_on(page)
        assert page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") == body_large
        assert page.errors == []


# ------------------------------------------------------------------ 7. contrast

CONTRAST_JS = """() => {
  const parse = s => {
    const m = /^rgba?\\(([^)]*)\\)$/.exec(s.trim());
    if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => [0, 1, 2].map(k => top[k] * top[3] + under[k] * (1 - top[3])).concat([1]);
  const lum = c => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
                     return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const probe = document.createElement('div');
  probe.style.backgroundColor = 'Canvas';
  document.body.appendChild(probe);
  const canvas = parse(getComputedStyle(probe).backgroundColor);
  probe.remove();
  const rootBg = [document.documentElement, document.body].map(e => parse(getComputedStyle(e).backgroundColor)).find(c => c && c[3] > 0);
  const page = rootBg ? over(rootBg, canvas) : canvas;            // what the canvas shows
  const hidden = e => {
    for (let n = e; n && n !== document.documentElement; n = n.parentElement) {
      const c = getComputedStyle(n);
      if (c.clipPath === 'inset(50%)' || /^rect\\(0(px)?,? 0(px)?,? 0(px)?,? 0(px)?\\)$/.test(c.clip)) return true;
    }
    const r = e.getBoundingClientRect();
    return r.width <= 1 || r.height <= 1;
  };
  const out = [];
  const skip = new Set(['SCRIPT', 'STYLE', 'NOSCRIPT', 'TEMPLATE', 'TITLE', 'title', 'desc']);
  for (const e of document.body.querySelectorAll('*')) {
    if (skip.has(e.tagName)) continue;
    if (![...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue;
    if (!e.checkVisibility({visibilityProperty: true, opacityProperty: true}) || hidden(e)) continue;
    let opacity = 1;
    for (let n = e; n; n = n.parentElement) opacity *= parseFloat(getComputedStyle(n).opacity);
    const cs = getComputedStyle(e);
    let fg = parse(e instanceof SVGElement && cs.fill.startsWith('rgb') ? cs.fill : cs.color);
    const layers = [];
    for (let n = e; n; n = n.parentElement) {
      const c = parse(getComputedStyle(n).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = layers.length && layers[layers.length - 1][3] >= 1 ? layers.pop() : page;
    while (layers.length) bg = over(layers.pop(), bg);
    const cls = (e.getAttribute('class') || '').trim();
    const name = e.tagName.toLowerCase() + (cls ? '.' + cls.split(/\\s+/).join('.') : '')
                 + ' "' + e.textContent.trim().slice(0, 12) + '"';
    if (!fg) { out.push([name, cs.color, 'unparsed colour', 0]); continue; }
    fg = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    out.push([name, `rgb(${fg.slice(0, 3).map(Math.round)})`, `rgb(${bg.slice(0, 3).map(Math.round)})`, (hi + 0.05) / (lo + 0.05)]);
  }
  return out;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("where", list(PREFIXES))
def test_text_contrast_in_light_and_dark_mode(browser, sites, where, scheme):
    site = sites[where]
    failures, checked, backgrounds = [], 0, set()
    for size, viewport in VIEWPORTS.items():
        with tab(browser, viewport, color_scheme=scheme) as page:
            page.emulate_media(color_scheme=scheme)
            for name in ("home", "article with table", "stats"):
                go(page, site.url + pages_of(site)[name])
                for what, fg, bg, ratio in page.evaluate(CONTRAST_JS):
                    checked += 1
                    backgrounds.add(bg)
                    if ratio < 4.5:
                        failures.append(f"{name} {size}: {what}: {fg} on {bg} = {ratio:.2f}:1")
    assert checked > 100
    if scheme == "dark":      # dark mode really is dark: the page's own background is
        assert any(sum(map(int, re.findall(r"\d+", bg))) < 3 * 80 for bg in backgrounds), (
            f"{where}: prefers-color-scheme: dark is not followed; the backgrounds: {sorted(backgrounds)}")
    assert failures == [], f"{where}, {scheme} mode: text under 4.5:1 ({len(failures)}):\n" + "\n".join(sorted(set(failures)))


# ------------------------------------------------------------------ 8. the footer

@pytest.mark.parametrize("where", list(PREFIXES))
def test_footer_beian_publisher_and_feeds(browser, sites, where):
    site = sites[where]
    with tab(browser, PHONE) as page:
        for name in ("home", "article with table"):
            go(page, site.url + pages_of(site)[name])
            footer = page.locator("footer.site-footer")
            assert footer.count() == 1
            text = " ".join(footer.inner_text().split())
            icp = footer.locator('a[href="https://beian.miit.gov.cn/"]')
            assert icp.count() == 1 and icp.is_visible(), f"{where} {name}: no ICP link to the MIIT 备案 site"
            assert ICP in icp.inner_text()
            police = footer.locator(f'a[href="{POLICE_URL}"]')
            assert police.count() == 1 and police.is_visible(), (
                f"{where} {name}: no 公安备案 link to {POLICE_URL}; links: "
                + str(footer.locator("a").evaluate_all("as => as.map(a => [a.textContent.trim(), a.getAttribute('href')])")))
            assert " ".join(police.inner_text().split()) == POLICE
            assert re.search(rf"网站标识码\s*[:：]?\s*{SITE_CODE}", text), f"{where}: 网站标识码 not shown: {text}"
            assert PUBLISHER in text, f"{where}: the publisher is not in the footer: {text}"
            # the site's feeds, as the head announces them, linked from the footer, and there
            feeds = page.evaluate("""() => ['application/rss+xml', 'application/atom+xml'].map(t => {
                const l = document.querySelector(`head link[rel=alternate][type="${t}"]`); return l && l.href; })""")
            assert all(feeds), f"{where}: the head does not announce an RSS and an Atom feed: {feeds}"
            hrefs = footer.locator("a").evaluate_all("as => as.map(a => a.href)")
            for feed in feeds:
                assert feed in hrefs, f"{where} {name}: the feed {feed} is not linked from the footer: {hrefs}"
                assert page.request.get(feed).status == 200, feed


# ------------------------------------------------------------------ 9. a column's colour

def small_site(root: Path, color: str) -> Path:
    toml = site_toml().replace('description = "一目了然"\n', f'description = "一目了然"\ncolor = "{color}"\n')
    return write_site(root, {"site.toml": toml, "content/a.md": article("一篇", "2026-01-05", column="一目了然科普汇",
                                                                         id="c-1")})


def test_a_column_colour_under_4_5_to_1_is_a_config_error(tmp_path):
    for bad in ("#ffff00", "#777777"):           # 1.07:1, and 4.48:1 (just under)
        root = small_site(tmp_path / bad.strip("#"), bad)
        line = next(n for n, text in enumerate((root / "site.toml").read_text("utf-8").splitlines(), 1)
                    if text == f'color = "{bad}"')
        problems = [p for p in problems_of(root) if p.is_error]
        assert [(p.path, p.line) for p in problems] == [("site.toml", line)], [p.format() for p in problems]
        assert bad in problems[0].message
    build_site(small_site(tmp_path / "ok", "#767676"))       # 4.54:1: accepted


@pytest.mark.parametrize("where", list(PREFIXES))
def test_a_column_colour_shows_on_its_badge(browser, sites, where):
    site = sites[where]
    with tab(browser, DESKTOP) as page:
        badges = {}
        for name, path in [("home", ""), ("lead article", site.articles[LEAD_TITLE]),
                           ("kyky article", site.articles[TABLE_TITLE])]:
            go(page, site.url + path)
            found = page.locator("main .column-badge").evaluate_all(
                "bs => bs.map(b => [b.textContent.trim(), getComputedStyle(b).backgroundColor])")
            assert found, f"{where} {name}: no .column-badge"
            for text, colour in found:
                badges.setdefault(text, set()).add(colour)
        assert badges.get("一目了然科普汇") == {COLOR_RGB}, f"{where}: {badges}"
        assert "科言科语" in badges and COLOR_RGB not in badges["科言科语"], f"{where}: {badges}"


# ------------------------------------------------------------------ 10. print

PRINT_JS = """() => {
  const shown = e => e.checkVisibility({visibilityProperty: true}) && e.getBoundingClientRect().height > 0;
  const q = s => [...document.querySelectorAll(s)];
  return {
    shownButHidden: [...q('.site-header'), ...q('.site-footer'), ...q('nav'), ...q('.site-search'), ...q('#text-size'),
                     ...q('.skip-link')].filter(shown).map(e => e.tagName.toLowerCase() + '.' + e.className),
    title: q('main h1').filter(shown).map(e => e.textContent.trim()),
    body: q('.article-body').filter(shown).length, table: q('.article-body table').filter(shown).length,
    titleColour: getComputedStyle(document.querySelector('main h1')).color,
  };
}"""


def test_print_shows_the_article_alone(browser, sites):
    site = sites["root"]
    with tab(browser, DESKTOP) as page:
        go(page, site.url + site.articles[TABLE_TITLE])
        assert page.evaluate(PRINT_JS)["shownButHidden"], "on screen the header and the nav are shown"
        for scheme in ("light", "dark"):
            page.emulate_media(media="print", color_scheme=scheme)
            got = page.evaluate(PRINT_JS)
            assert got["shownButHidden"] == [], f"printed ({scheme}): these are printed: {got['shownButHidden']}"
            assert [" ".join(t.split()) for t in got["title"]] == [TABLE_TITLE], f"printed ({scheme}): title {got['title']}"
            assert got["body"] == 1 and got["table"] == 1, f"printed ({scheme}): the article's body is not printed"
            r, g, b = map(int, re.findall(r"\d+", got["titleColour"])[:3])
            assert r + g + b < 3 * 100, f"printed with the system in {scheme} mode: the title is {got['titleColour']}"
