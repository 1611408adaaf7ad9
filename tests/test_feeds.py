"""RSS 2.0 and Atom feeds of the site and of each column, read back with feedparser and lxml."""
from __future__ import annotations

import time
from datetime import datetime
from email.utils import format_datetime, parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import feedparser
import lxml.etree as etree
import lxml.html
import pytest

from conftest import article, build_site, png_bytes, site_toml, write_site

BASE = "https://kepu.example.cn/"
SUB_BASE = "https://www.example.gov.cn/kexie/kepu/"
ZONE = ZoneInfo("Asia/Shanghai")
NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/"}
A = "{http://www.w3.org/2005/Atom}"

# (file, title, date, column) — dates out of file order on purpose
ARTICLES = [
    ("content/k1.md", "量子计算入门", "2024-08-20 08:00", "科言科语"),
    ("content/y1.md", "防范电信诈骗", "2024-08-25 08:00", "一目了然科普汇"),
    ("content/k2.md", "固态电池还有多远", "2024-08-23 08:00", "科言科语"),
    ("content/y2.md", "读懂食品标签", "2024-08-21 08:00", "一目了然科普汇"),
    ("content/k3.md", "北斗导航", "2024-08-24 08:00", "科言科语"),
]


def feed_site(root: Path, limit: int = 20, base_url: str = BASE) -> Path:
    return write_site(root, {f: article(t, d, column=c, body=f"{t}的正文。") for f, t, d, c in ARTICLES},
                      limit=limit, base_url=base_url)


def newest_first(items) -> list[str]:
    return [t for _, t, _, _ in sorted(items, key=lambda a: a[2], reverse=True)]


def column_dirs(out: Path) -> list[Path]:
    return sorted(p for p in (out / "columns").iterdir() if p.is_dir())


def all_feeds(out: Path) -> list[Path]:
    feeds = [out / "feed.xml", out / "atom.xml"]
    for col in column_dirs(out):
        feeds += [col / "feed.xml", col / "atom.xml"]
    return feeds


def parse(path: Path):
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, (path, parsed.get("bozo_exception"))
    return parsed


def column_of(out: Path, name: str) -> Path:
    """The folder of the column whose page title is `name` (found from the built column pages)."""
    for col in column_dirs(out):
        doc = lxml.html.fromstring((col / "index.html").read_bytes())
        if doc.xpath("//h1")[0].text_content().strip() == name:
            return col
    raise AssertionError(f"no column page for {name}")


def rss_items(path: Path):
    return etree.parse(str(path)).xpath("/rss/channel/item")


def atom_entries(path: Path):
    return etree.parse(str(path)).getroot().findall(f"{A}entry")


# ------------------------------------------------------------------ well-formed

def test_every_feed_parses_without_errors(tmp_path):
    _, out = build_site(feed_site(tmp_path / "site"))
    feeds = all_feeds(out)
    assert len(feeds) == 2 + 2 * 2
    for path in feeds:
        parsed = parse(path)
        assert parsed.version == ("atom10" if path.name == "atom.xml" else "rss20")
        assert parsed.entries


def test_every_feed_of_the_example_site_parses(example_site, tmp_path):
    result, out = build_site(example_site, tmp_path / "out")
    feeds = all_feeds(out)
    assert len(feeds) == result.feeds
    for path in feeds:
        assert parse(path).entries


# ------------------------------------------------------------------ order, limit, columns

def test_feeds_are_newest_first_and_capped_at_the_limit(tmp_path):
    _, out = build_site(feed_site(tmp_path / "site", limit=3))
    expected = newest_first(ARTICLES)[:3]
    for name in ("feed.xml", "atom.xml"):
        parsed = parse(out / name)
        assert [e.title for e in parsed.entries] == expected


def test_feeds_without_a_cap_hit_have_every_article_newest_first(tmp_path):
    _, out = build_site(feed_site(tmp_path / "site", limit=20))
    for name in ("feed.xml", "atom.xml"):
        assert [e.title for e in parse(out / name).entries] == newest_first(ARTICLES)


@pytest.mark.parametrize("limit", [2, 20])
def test_column_feeds_hold_only_that_columns_articles(tmp_path, limit):
    _, out = build_site(feed_site(tmp_path / "site", limit=limit))
    for column in ("科言科语", "一目了然科普汇"):
        folder = column_of(out, column)
        expected = newest_first([a for a in ARTICLES if a[3] == column])[:limit]
        for name in ("feed.xml", "atom.xml"):
            assert [e.title for e in parse(folder / name).entries] == expected, (column, name)


# ------------------------------------------------------------------ summary, content, absolute links

BODY = """
第一段正文，讲一讲黑洞是怎样形成的，这里的文字足够长，让摘要和全文不一样。恒星燃尽核燃料以后，
引力让它不断坍缩，最后连光也逃不出去。这就是我们说的黑洞[^1]。

![黑洞示意图](images/heidong.png "黑洞的示意图")

第二段正文：[看看第一段](#diyiduan)，也可以去[中国科协](https://www.cast.org.cn/)的网站了解更多。

第三段正文是结尾。

[^1]: 参见天文学教材。
"""


def content_site(root: Path, base_url: str) -> Path:
    return write_site(root, {
        "content/kyky/images/heidong.png": png_bytes(1, 1),
        "content/kyky/heidong.md": article("黑洞是怎样形成的", "2024-08-22 08:00", slug="heidong",
                                           summary="恒星坍缩成黑洞。", body=BODY),
    }, base_url=base_url)


def links_in(html: str) -> list[str]:
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    return [el.get(attr) for attr in ("href", "src") for el in root.xpath(f".//*[@{attr}]")]


def text_of(html: str) -> str:
    return lxml.html.fragment_fromstring(html, create_parent="div").text_content()


PARAGRAPHS = ("第一段正文", "这就是我们说的黑洞", "第二段正文", "第三段正文是结尾", "参见天文学教材")


@pytest.mark.parametrize("base_url", [BASE, SUB_BASE])
def test_items_carry_summary_and_full_content_with_absolute_links(tmp_path, base_url):
    _, out = build_site(content_site(tmp_path / "site", base_url))
    page_url = base_url + "2024/08/22/heidong/"

    item = rss_items(out / "feed.xml")[0]
    assert item.findtext("description") == "恒星坍缩成黑洞。"
    rss_content = item.findtext("content:encoded", namespaces=NS)
    entry = atom_entries(out / "atom.xml")[0]
    assert entry.findtext(f"{A}summary") == "恒星坍缩成黑洞。"
    atom_content = entry.findtext(f"{A}content")
    assert entry.find(f"{A}content").get("type") == "html"

    for html in (rss_content, atom_content):
        text = text_of(html)
        for piece in PARAGRAPHS:
            assert piece in text
        links = links_in(html)
        assert len(links) >= 4          # image, footnote ref and back-ref, anchor, external
        external = [u for u in links if urlsplit(u).netloc == "www.cast.org.cn"]
        assert external == ["https://www.cast.org.cn/"]
        for url in links:
            parts = urlsplit(url)
            assert parts.scheme in ("http", "https") and parts.netloc, url
            if url not in external:
                assert url.startswith(base_url), url
        image = [u for u in links if u.endswith(".png")]
        assert len(image) == 1
        image_file = out / urlsplit(image[0]).path[len(urlsplit(base_url).path):]
        assert image_file.read_bytes() == png_bytes(1, 1)
        assert page_url + "#diyiduan" in links

    parsed = parse(out / "feed.xml")
    assert parsed.entries[0].link == page_url
    assert parse(out / "atom.xml").entries[0].link == page_url


# ------------------------------------------------------------------ identity

def ids(out: Path, folder: str = "") -> tuple[list[str], list[str], list[str]]:
    """(RSS guids, Atom ids, RSS links) of a feed folder."""
    items = rss_items(out / folder / "feed.xml")
    guids = []
    for item in items:
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false"
        guids.append(guid.text)
    atom = [e.findtext(f"{A}id") for e in atom_entries(out / folder / "atom.xml")]
    return guids, atom, [i.findtext("link") for i in items]


@pytest.mark.parametrize("explicit_id", [None, "kyky-heidong-001"])
def test_guid_and_atom_id_survive_a_title_change(tmp_path, explicit_id):
    meta = {"id": explicit_id} if explicit_id else {}
    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞是怎样形成的", "2024-08-22 08:00", **meta),
        "content/b.md": article("另一篇文章", "2024-08-21 08:00"),
    })
    _, out = build_site(site, tmp_path / "one")
    guids1, atom1, links1 = ids(out)
    (site / "content/a.md").write_text(article("黑洞到底是怎样形成的", "2024-08-22 08:00", **meta), "utf-8")
    _, out2 = build_site(site, tmp_path / "two")
    guids2, atom2, links2 = ids(out2)
    assert links1[0] != links2[0]                    # the URL did change with the title
    assert links1[1] == links2[1]
    assert guids1 == guids2 and atom1 == atom2
    assert len(set(guids1)) == 2 and len(set(atom1)) == 2
    assert parse(out2 / "feed.xml").entries[0].id == guids1[0]


def test_different_articles_have_different_ids(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("同一天第一篇", "2024-08-22 08:00"),
        "content/b.md": article("同一天第二篇", "2024-08-22 09:00"),
        "content/c.md": article("另一栏目同一天", "2024-08-22 10:00", column="一目了然科普汇"),
        "content/d.md": article("第二天", "2024-08-23 08:00"),
        "content/e.md": article("给了编号", "2024-08-24 08:00", id="x-1"),
        "content/f.md": article("给了另一个编号", "2024-08-25 08:00", id="x-2"),
    })
    _, out = build_site(site)
    guids, atom, _ = ids(out)
    assert len(guids) == len(atom) == 6
    assert len(set(guids)) == 6 and len(set(atom)) == 6
    assert set(guids) == set(atom)


# ------------------------------------------------------------------ dates

DATES = [  # front-matter date, the moment in Shanghai
    ("2024-08-31 23:30", datetime(2024, 8, 31, 23, 30, tzinfo=ZONE)),
    ("2024-08-31T23:30:00+00:00", datetime(2024, 9, 1, 7, 30, tzinfo=ZONE)),
    ("2024年8月1日", datetime(2024, 8, 1, 0, 0, tzinfo=ZONE)),
]


def test_rss_dates_are_rfc822_and_atom_dates_rfc3339_in_the_site_offset(tmp_path):
    files = {f"content/{n}.md": article(f"日期测试{n}", raw) for n, (raw, _) in enumerate(DATES)}
    _, out = build_site(write_site(tmp_path / "site", files))
    expected = sorted(DATES, key=lambda d: d[1], reverse=True)

    pub = [i.findtext("pubDate") for i in rss_items(out / "feed.xml")]
    assert pub == [format_datetime(moment) for _, moment in expected]
    assert format_datetime(DATES[0][1]) == "Sat, 31 Aug 2024 23:30:00 +0800"
    assert all(p.endswith(" +0800") for p in pub)

    entries = atom_entries(out / "atom.xml")
    published = [e.findtext(f"{A}published") for e in entries]
    updated = [e.findtext(f"{A}updated") for e in entries]
    assert published == [moment.isoformat() for _, moment in expected]
    assert published == updated
    assert "2024-08-31T23:30:00+08:00" in published
    assert all(p.endswith("+08:00") for p in published)


def test_feed_dates_are_the_newest_items_not_the_build_time(tmp_path):
    site = feed_site(tmp_path / "site")
    _, one = build_site(site, tmp_path / "one")
    time.sleep(1.1)                                   # a build time would now differ
    _, two = build_site(site, tmp_path / "two")
    newest = max(datetime.strptime(d, "%Y-%m-%d %H:%M").replace(tzinfo=ZONE) for _, _, d, _ in ARTICLES)

    channel = etree.parse(str(one / "feed.xml")).find("channel")
    assert parsedate_to_datetime(channel.findtext("lastBuildDate")) == newest
    assert channel.findtext("lastBuildDate") == channel.find("item").findtext("pubDate")
    assert channel.findtext("pubDate") in (None, channel.findtext("lastBuildDate"))
    root = etree.parse(str(one / "atom.xml")).getroot()
    assert datetime.fromisoformat(root.findtext(f"{A}updated")) == newest
    assert root.findtext(f"{A}updated") == max(e.findtext(f"{A}updated") for e in atom_entries(one / "atom.xml"))

    for a, b in zip(all_feeds(one), all_feeds(two)):
        assert a.relative_to(one) == b.relative_to(two)
        assert a.read_bytes() == b.read_bytes(), a.relative_to(one)


def test_column_feed_date_is_its_own_newest_item(tmp_path):
    _, out = build_site(feed_site(tmp_path / "site"))
    for column in ("科言科语", "一目了然科普汇"):
        newest = max(datetime.strptime(d, "%Y-%m-%d %H:%M").replace(tzinfo=ZONE)
                     for _, _, d, c in ARTICLES if c == column)
        folder = column_of(out, column)
        channel = etree.parse(str(folder / "feed.xml")).find("channel")
        assert parsedate_to_datetime(channel.findtext("lastBuildDate")) == newest
        root = etree.parse(str(folder / "atom.xml")).getroot()
        assert datetime.fromisoformat(root.findtext(f"{A}updated")) == newest


# ------------------------------------------------------------------ control characters

def test_control_characters_do_not_break_the_feeds(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("含\x01控制\x0b字符的标题", "2024-08-22 08:00",
                                summary="摘要\x0c里也有\x1f。", body="正文\x01里\x0b也有\x08控制字符。"),
        "content/b.md": article("正常的标题", "2024-08-21 08:00"),
    })
    _, out = build_site(site)
    for path in all_feeds(out):
        data = path.read_bytes()
        for ch in (b"\x01", b"\x0b", b"\x0c", b"\x1f", b"\x08", b"&#1;", b"&#11;", b"&#x1;", b"&#xb;"):
            assert ch not in data, (path.name, ch)
        etree.fromstring(data)                        # well-formed XML
    for name in ("feed.xml", "atom.xml"):
        parsed = parse(out / name)
        entry = parsed.entries[0]
        assert entry.title == "含控制字符的标题"
        assert entry.summary == "摘要里也有。"
        assert "正文里也有控制字符。" in text_of(entry.content[0].value)


# ------------------------------------------------------------------ self links

@pytest.mark.parametrize("base_url", [BASE, SUB_BASE])
def test_self_links_point_at_the_feeds_own_url(tmp_path, base_url):
    _, out = build_site(feed_site(tmp_path / "site", base_url=base_url))
    for path in all_feeds(out):
        url = base_url + path.relative_to(out).as_posix()
        root = etree.parse(str(path)).getroot()
        if path.name == "feed.xml":
            selfs = root.xpath("/rss/channel/atom:link[@rel='self']/@href", namespaces=NS)
        else:
            selfs = root.xpath("/atom:feed/atom:link[@rel='self']/@href", namespaces=NS)
        assert selfs == [url], path
        parsed = parse(path)
        assert parsed.feed.link.startswith(base_url)
        assert all(e.link.startswith(base_url) for e in parsed.entries)


def test_every_item_of_the_example_feeds_is_complete_and_resolves(example_site, tmp_path):
    """Quality gate: unique stable ids, links to generated pages, dates with an offset, content."""
    import re
    from urllib.parse import urlsplit

    _, out = build_site(example_site, tmp_path / "one")
    _, again = build_site(example_site, tmp_path / "two")
    feeds = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.xml") if p.name in ("feed.xml", "atom.xml"))
    assert len(feeds) == 6
    for rel in feeds:
        assert (out / rel).read_bytes() == (again / rel).read_bytes()
        parsed = feedparser.parse((out / rel).read_bytes())
        assert parsed.bozo == 0 and parsed.entries
        ids = [e.id for e in parsed.entries]
        assert len(set(ids)) == len(ids)
        raw = (out / rel).read_text("utf-8")
        dates = re.findall(r"<(?:pubDate|published|updated)>([^<]+)<", raw)
        assert dates and all(re.search(r"(\+0800|\+08:00)$", d) for d in dates), rel
        for entry in parsed.entries:
            parts = urlsplit(entry.link)
            assert parts.scheme == "https" and parts.netloc == "kepu.example.cn"
            assert (out / parts.path.lstrip("/") / "index.html").is_file(), entry.link
            content = entry.content[0].value if "content" in entry else ""
            assert len(content) > 200 and entry.summary


def test_an_rss_summary_reaches_readers_as_text_never_as_markup(tmp_path):
    """RSS readers take <description> as HTML: a summary with markup in it must arrive as the
    text the editor wrote ("3<5" kept, a <script> shown, not run)."""
    summary = "<script>alert(1)</script><img src=x onerror=alert(2)> 3<5 & 一些"
    site = write_site(tmp_path / "site", {"content/a.md": article("摘要", "2024-08-22", summary=f"'{summary}'")})
    _, out = build_site(site)
    entry, = feedparser.parse((out / "feed.xml").read_bytes(), sanitize_html=False).entries
    assert entry.summary_detail.type == "text/html"
    shown = lxml.html.fragment_fromstring(entry.summary, create_parent="div")
    assert shown.text_content() == summary and shown.xpath("//script|//img") == []
    atom, = feedparser.parse((out / "atom.xml").read_bytes(), sanitize_html=False).entries
    assert atom.summary == summary


def test_the_rss_channel_description_is_text_too(tmp_path):
    config = site_toml(description="3<5 <b>粗</b> & 更多")
    site = write_site(tmp_path / "site", {"content/a.md": article("甲", "2024-08-22")}, config=config)
    _, out = build_site(site)
    channel = feedparser.parse((out / "feed.xml").read_bytes(), sanitize_html=False).feed
    shown = lxml.html.fragment_fromstring(channel.subtitle, create_parent="div")
    assert shown.text_content() == "3<5 <b>粗</b> & 更多" and shown.xpath("//b") == []
