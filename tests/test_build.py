"""Building whole (small) sites: URLs, links, pages, lists, archive, sitemap, images, themes,
the output directory, the command line and the configuration.

Every test builds a tiny site inline into tmp_path (the example-site tests excepted) and asserts
on the parsed output.
"""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from zoneinfo import ZoneInfo

import feedparser
import lxml.etree as etree
import lxml.html
import pytest

from conftest import (NOW, REPO, article, build_site, html_files, page, parse_html, png_bytes, problems_of, read_tree,
                      site_toml, write_site)

BASE = "https://kepu.example.cn/"
SUB_BASE = "https://www.example.gov.cn/kexie/kepu/"
ZONE = ZoneInfo("Asia/Shanghai")
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


# ------------------------------------------------------------------ helpers

def rel_url(out: Path, path: Path) -> str:
    """The site-relative URL a written file is served under."""
    rel = path.relative_to(out).as_posix()
    if rel == "index.html":
        return ""
    return rel[: -len("index.html")] if rel.endswith("/index.html") else rel


def target_file(out: Path, base_path: str, path: str) -> Path:
    rel = unquote(path)[len(base_path):]
    if rel == "" or rel.endswith("/"):
        rel += "index.html"
    return out / rel


LINK_XPATHS = (("//a[@href]", "href"), ("//link[@href]", "href"), ("//img[@src]", "src"), ("//script[@src]", "src"))


def internal_links(out: Path, base_url: str):
    """(page file, raw link, resolved URL parts) of every link of every page that points into the site."""
    host = urlsplit(base_url).netloc
    for f in html_files(out):
        doc = parse_html(f)
        page_url = base_url + rel_url(out, f)
        for xpath, attr in LINK_XPATHS:
            for el in doc.xpath(xpath):
                raw = el.get(attr).strip()
                if not raw or raw.startswith(("mailto:", "tel:", "javascript:", "data:")):
                    continue
                parts = urlsplit(urljoin(page_url, raw))
                if parts.scheme not in ("http", "https") or parts.netloc != host:
                    continue
                yield f, raw, parts


def titles_in(doc, xpath: str) -> list[str]:
    return [a.text_content().strip() for a in doc.xpath(xpath)]


def list_titles(doc) -> list[str]:
    """Titles of the article list (ul.article-list) of a page, in order."""
    return titles_in(doc, './/ul[contains(@class, "article-list")]/li//*[contains(@class, "entry-title")]/a')


def href_target(out: Path, href: str, base_path: str = "/") -> Path:
    assert href.startswith(base_path), href
    return target_file(out, base_path, urlsplit(href).path)


def zh(date: datetime) -> str:
    return f"{date.year}年{date.month}月{date.day}日"


# ------------------------------------------------------------------ example site: links

def check_links(out: Path, base_url: str) -> int:
    base_path = urlsplit(base_url).path
    broken, outside, count = [], [], 0
    for f, raw, parts in internal_links(out, base_url):
        count += 1
        if not parts.path.startswith(base_path):
            outside.append(f"{f.relative_to(out)}: {raw}")
            continue
        if not target_file(out, base_path, parts.path).is_file():
            broken.append(f"{f.relative_to(out)}: {raw}")
    assert outside == [], "links leaving the site's base path:\n" + "\n".join(outside[:30])
    assert broken == [], "broken internal links:\n" + "\n".join(broken[:30])
    return count


def test_example_site_builds_and_every_internal_link_resolves(example_site, tmp_path):
    result, out = build_site(example_site, tmp_path / "out")
    files = html_files(out)
    assert result.articles > 0 and len(files) > 10
    assert check_links(out, BASE) > len(files)          # every page has links, all of them checked


def test_example_site_under_a_sub_path_links_resolve_and_keep_the_sub_path(example_site, tmp_path):
    toml = example_site / "site.toml"
    text = toml.read_text("utf-8")
    assert f'base_url = "{BASE}"' in text
    toml.write_text(text.replace(f'base_url = "{BASE}"', f'base_url = "{SUB_BASE}"'), "utf-8")
    _, out = build_site(example_site, tmp_path / "out", drafts=True, future=True)
    base_path = urlsplit(SUB_BASE).path
    assert check_links(out, SUB_BASE) > 0
    # root-relative links in pages carry the sub-path; absolute ones start with the base_url
    for f in html_files(out):
        doc = parse_html(f)
        for xpath, attr in LINK_XPATHS:
            for el in doc.xpath(xpath):
                value = el.get(attr)
                if value.startswith("/"):
                    assert value.startswith(base_path), f"{f.relative_to(out)}: {value}"
                elif value.startswith("https://www.example.gov.cn"):
                    assert value.startswith(SUB_BASE), f"{f.relative_to(out)}: {value}"


# ------------------------------------------------------------------ URLs

def test_every_output_path_is_ascii_for_chinese_titles_tags_columns_and_files(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/科言科语/黑洞.md": article("黑洞是怎样形成的？", "2024-08-22 08:00", tags=["天文", "宇宙探索"],
                                        body="![卫星图](../图片/卫星图.png)\n\n黑洞的故事。"),
        "content/一目了然/重庆.md": article("重庆的银行为什么多", "2024-08-23 08:00", column="一目了然科普汇",
                                       tags=["生活", "经济常识"]),
        "content/图片/卫星图.png": png_bytes(3, 2),
    })
    result, out = build_site(site)
    assert result.articles == 2
    paths = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    assert any(p.endswith(".png") for p in paths)                  # the Chinese-named image is copied
    assert len([p for p in paths if p.startswith("tags/") and p.endswith("index.html")]) == 4 + 1
    assert [p for p in paths if not p.isascii()] == []
    links = [raw for _, raw, _ in internal_links(out, BASE)]
    assert links and [raw for raw in links if not raw.isascii()] == []


def test_article_url_is_its_day_and_the_pinyin_of_the_title_or_the_given_slug(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞", "2024-08-22 08:00"),
        "content/b.md": article("一个很长的标题", "2024-08-23 09:00", slug="my-slug"),
    })
    _, out = build_site(site)
    assert page(out, "2024/08/22/heidong/").xpath("//h1")[0].text_content().strip() == "黑洞"
    assert page(out, "2024/08/23/my-slug/").xpath("//h1")[0].text_content().strip() == "一个很长的标题"


# ------------------------------------------------------------------ reproducible

def test_two_builds_of_the_same_input_are_byte_identical(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞是怎样形成的", "2024-08-22 08:00", tags=["天文"]),
        "content/b.md": article("天空为什么是蓝色的", "2024-08-23 08:00", column="一目了然科普汇", tags=["物理", "天文"]),
        "content/images/x.png": png_bytes(2, 2),
        "content/c.md": article("图片", "2024-08-24 08:00", body="![x](images/x.png \"图\")"),
    })
    _, one = build_site(site, tmp_path / "one")
    _, two = build_site(site, tmp_path / "two")

    first, second = read_tree(one), read_tree(two)
    assert len(first) > 10
    assert sorted(first) == sorted(second)
    different = [name for name in first if first[name] != second[name]]
    assert different == []


def test_builds_in_processes_with_different_hash_seeds_are_byte_identical(example_site, tmp_path):
    import os

    trees = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}"
        proc = subprocess.run([sys.executable, "build.py", "--site", str(example_site), "--output", str(out),
                               "--now", NOW, "--drafts", "--future"], cwd=REPO, capture_output=True, text=True,
                              encoding="utf-8", timeout=300, env={**os.environ, "PYTHONHASHSEED": seed})
        assert proc.returncode == 0, proc.stderr
        trees.append(read_tree(out))
    assert sorted(trees[0]) == sorted(trees[1])
    assert [name for name in trees[0] if trees[0][name] != trees[1][name]] == []


# ------------------------------------------------------------------ drafts and scheduled articles

def draft_site(root: Path) -> Path:
    return write_site(root, {
        "content/pub.md": article("已经发布的文章", "2024-08-22 08:00", slug="published", tags=["天文"]),
        "content/draft.md": article("还是草稿的文章", "2024-08-23 08:00", slug="the-draft", tags=["天文"], draft=True),
        "content/later.md": article("定时发布的文章", "2027-01-05 08:00", slug="the-future", tags=["天文"]),
    })


def everything_text(out: Path) -> str:
    texts = [parse_html(f).text_content() for f in html_files(out)]
    for feed in out.rglob("*.xml"):
        texts.append(etree.tostring(etree.parse(str(feed)), encoding="unicode"))
    return "\n".join(texts)


def test_drafts_and_future_articles_are_not_published(tmp_path):
    site = draft_site(tmp_path / "site")
    result, out = build_site(site, now=NOW)
    assert result.articles == 1
    assert result.drafts == ("content/draft.md",)
    assert result.scheduled == ("content/later.md",)
    assert page(out, "2024/08/22/published/").xpath("//h1")[0].text_content().strip() == "已经发布的文章"
    assert not (out / "2024/08/23/the-draft").exists()
    assert not (out / "2027/01/05/the-future").exists()
    all_text = everything_text(out)
    assert "已经发布的文章" in all_text
    assert "还是草稿的文章" not in all_text and "定时发布的文章" not in all_text
    assert "the-draft" not in all_text and "the-future" not in all_text
    sitemap = etree.parse(str(out / "sitemap.xml"))
    locs = sitemap.xpath("//sm:loc/text()", namespaces=SITEMAP_NS)
    assert f"{BASE}2024/08/22/published/" in locs
    assert not [loc for loc in locs if "the-draft" in loc or "the-future" in loc or "2027" in loc]


def test_drafts_and_future_options_publish_them(tmp_path):
    site = draft_site(tmp_path / "site")
    result, out = build_site(site, tmp_path / "d", drafts=True)
    assert result.articles == 2 and result.drafts == () and result.scheduled == ("content/later.md",)
    assert page(out, "2024/08/23/the-draft/").xpath("//h1")[0].text_content().strip() == "还是草稿的文章"
    assert not (out / "2027/01/05/the-future").exists()

    result, out = build_site(site, tmp_path / "f", future=True)
    assert result.articles == 2 and result.scheduled == () and result.drafts == ("content/draft.md",)
    assert page(out, "2027/01/05/the-future/").xpath("//h1")[0].text_content().strip() == "定时发布的文章"
    assert not (out / "2024/08/23/the-draft").exists()

    result, out = build_site(site, tmp_path / "both", drafts=True, future=True)
    assert result.articles == 3
    assert set(list_titles(page(out, "tags/tianwen/"))) == {"已经发布的文章", "还是草稿的文章", "定时发布的文章"}


# ------------------------------------------------------------------ home page

def test_home_page_leads_with_the_newest_then_one_block_per_column_without_repeats(tmp_path):
    specs = [  # (file, title, date, column)
        ("content/k1.md", "量子计算入门", "2024-08-20 08:00", "科言科语"),
        ("content/y1.md", "防范电信诈骗", "2024-08-25 08:00", "一目了然科普汇"),
        ("content/k2.md", "固态电池还有多远", "2024-08-23 08:00", "科言科语"),
        ("content/y2.md", "读懂食品标签", "2024-08-21 08:00", "一目了然科普汇"),
        ("content/k3.md", "北斗导航", "2024-08-24 08:00", "科言科语"),
    ]
    site = write_site(tmp_path / "site", {f: article(t, d, column=c) for f, t, d, c in specs})
    _, out = build_site(site)
    home = page(out, "")
    newest = [t for _, t, _, _ in sorted(specs, key=lambda s: s[2], reverse=True)]
    lead = home.xpath('//article[contains(@class, "lead-article")]')[0]
    assert lead.xpath('string(.//h2)').strip() == newest[0]
    main_titles = [a.text_content().strip() for a in home.xpath('//main//*[contains(@class, "main-column")]//h2/a | '
                                                                '//main//*[contains(@class, "main-column")]//h3/a')]
    shown = [t for t in main_titles if t in newest]
    assert sorted(shown) == sorted(newest) and len(shown) == len(set(shown))       # each once

    blocks = home.xpath('//section[contains(@class, "column-block")]')
    assert len(blocks) == 2
    for block, (name, url) in zip(blocks, [("科言科语", "/columns/kyky/"), ("一目了然科普汇", None)]):
        heading = block.xpath("./h2/a")[0]
        assert heading.text_content().strip() == name
        if url:
            assert heading.get("href") == url
        assert href_target(out, heading.get("href")).is_file()
        assert list_titles(block) == [t for t in newest[1:] if any(s[1] == t and s[3] == name for s in specs)]


# ------------------------------------------------------------------ article page

def article_site(root: Path, **config) -> Path:
    body = "科" * 900
    return write_site(root, {
        "content/k1.md": article("最早的文章", "2024-08-20 08:00", slug="k1"),
        "content/k2.md": article("中间的文章", "2024-08-22 08:30", slug="k2", author="科普编辑部",
                                 tags=["物理", "天文"], body=body),
        "content/y1.md": article("另一栏目的文章", "2024-08-23 08:00", column="一目了然科普汇", slug="y1"),
        "content/k3.md": article("最新的文章", "2024-08-24 08:00", slug="k3"),
    }, config=site_toml(**config) if config else None)


def test_article_page_header_title_date_column_author_reading_time_and_tags(tmp_path):
    _, out = build_site(article_site(tmp_path / "site"))
    doc = page(out, "2024/08/22/k2/")
    assert [h.text_content().strip() for h in doc.xpath("//h1")] == ["中间的文章"]
    date = datetime(2024, 8, 22, 8, 30, tzinfo=ZONE)
    header = doc.xpath('//header[contains(@class, "article-header")]')[0]
    times = header.xpath(".//time[@datetime]")
    assert times, "no <time datetime> in the article header"
    assert datetime.fromisoformat(times[0].get("datetime")) == date
    assert times[0].text_content().strip() == zh(date) == "2024年8月22日"

    column_links = [a for a in header.xpath(".//a") if a.text_content().strip() == "科言科语"]
    assert column_links and column_links[0].get("href") == "/columns/kyky/"
    assert "科普编辑部" in header.text_content()

    reading = " ".join(x.text_content() for x in header.xpath('.//*[contains(@class, "reading")]'))
    numbers = [int(n) for n in re.findall(r"\d+", reading)]
    assert numbers == [900, math.ceil(900 / 400)]

    tag_links = doc.xpath('//a[@rel="tag"]')
    assert sorted(a.text_content().strip() for a in tag_links) == sorted(["物理", "天文"])
    for a in tag_links:
        target = href_target(out, a.get("href"))
        assert target.is_file()
        assert "中间的文章" in list_titles(parse_html(target))


def test_prev_and_next_stay_within_the_column(tmp_path):
    _, out = build_site(article_site(tmp_path / "site"))

    def nav(url):
        doc = page(out, url)
        prev = [(a.text_content().strip(), a.get("href")) for a in doc.xpath('//a[@rel="prev"]')]
        nxt = [(a.text_content().strip(), a.get("href")) for a in doc.xpath('//a[@rel="next"]')]
        return prev, nxt

    assert nav("2024/08/22/k2/") == ([("最早的文章", "/2024/08/20/k1/")], [("最新的文章", "/2024/08/24/k3/")])
    assert nav("2024/08/20/k1/") == ([], [("中间的文章", "/2024/08/22/k2/")])
    # the newest of the column: its older neighbour is k2, not y1 of the other column (dated between)
    assert nav("2024/08/24/k3/") == ([("中间的文章", "/2024/08/22/k2/")], [])
    assert nav("2024/08/23/y1/") == ([], [])


def test_article_head_canonical_og_title_json_ld_and_lang(tmp_path):
    _, out = build_site(article_site(tmp_path / "site", language="zh-Hans"))
    doc = page(out, "2024/08/22/k2/")
    assert doc.get("lang") == "zh-Hans"
    assert page(out, "").get("lang") == "zh-Hans"
    assert doc.xpath('//link[@rel="canonical"]/@href') == [BASE + "2024/08/22/k2/"]
    assert doc.xpath('//meta[@property="og:title"]/@content') == ["中间的文章"]
    scripts = doc.xpath('//script[@type="application/ld+json"]')
    assert len(scripts) == 1
    data = json.loads(scripts[0].text)
    assert data["@type"] == "Article"
    assert data["headline"] == "中间的文章"


def test_footer_shows_icp_and_publisher_when_configured(tmp_path):
    _, out = build_site(article_site(tmp_path / "site"))
    for url in ("", "2024/08/22/k2/", "columns/kyky/", "archive/"):
        footer = page(out, url).xpath("//footer[contains(@class, 'site-footer')]")[0]
        icp = footer.xpath('.//a[@href="https://beian.miit.gov.cn/"]')
        assert [a.text_content().strip() for a in icp] == ["鲁ICP备00000000号-1"]
        assert "测试市科学技术协会" in footer.text_content()


def test_no_icp_link_when_not_configured(tmp_path):
    _, out = build_site(article_site(tmp_path / "site", drop=("icp", "publisher")))
    for f in html_files(out):
        doc = parse_html(f)
        assert doc.xpath('//a[contains(@href, "beian.miit.gov.cn")]') == [], f
        assert "ICP" not in doc.xpath("//footer[contains(@class, 'site-footer')]")[0].text_content()
        assert "科学技术协会" not in doc.text_content()


# ------------------------------------------------------------------ column pages and pagination

def test_column_pages_are_paginated(tmp_path):
    titles = [f"第{n}篇文章" for n in range(1, 6)]          # 第1篇 oldest … 第5篇 newest
    files = {f"content/k{n}.md": article(t, f"2024-08-{10 + n} 08:00") for n, t in enumerate(titles, 1)}
    files["content/other.md"] = article("别的栏目", "2024-08-30 08:00", column="一目了然科普汇")
    site = write_site(tmp_path / "site", files, config=site_toml(paginate=2))
    _, out = build_site(site)

    urls_ = ["columns/kyky/", "columns/kyky/page/2/", "columns/kyky/page/3/"]
    assert not (out / "columns/kyky/page/4").exists()
    assert not (out / "columns/kyky/page/1").exists()
    seen = []
    for number, url in enumerate(urls_):
        doc = page(out, url)
        on_page = list_titles(doc)
        assert 1 <= len(on_page) <= 2
        seen += on_page
        nxt = doc.xpath('//nav[contains(@class, "pager")]//a[@rel="next"]/@href')
        prev = doc.xpath('//nav[contains(@class, "pager")]//a[@rel="prev"]/@href')
        assert nxt == ([f"/{urls_[number + 1]}"] if number + 1 < len(urls_) else [])
        assert prev == ([f"/{urls_[number - 1]}"] if number > 0 else [])
        for href in nxt + prev:
            assert href_target(out, href).is_file()
    assert seen == list(reversed(titles))       # each exactly once, newest first


# ------------------------------------------------------------------ tags and archive

def test_tag_pages_list_exactly_the_articles_with_the_tag(tmp_path):
    tagged = {
        "一号": ("2024-08-20 08:00", ["物理", "天文"]),
        "二号": ("2024-08-21 08:00", ["天文"]),
        "三号": ("2024-08-22 08:00", ["物理"]),
        "四号": ("2024-08-23 08:00", []),
    }
    files = {f"content/{n}.md": article(t, d, column="科言科语" if n % 2 else "一目了然科普汇", **({"tags": tags} if tags else {}))
             for n, (t, (d, tags)) in enumerate(tagged.items())}
    site = write_site(tmp_path / "site", files)
    _, out = build_site(site)
    index = page(out, "tags/")
    links = {a.text_content().strip(): a.get("href")
             for a in index.xpath('//main//a') if a.text_content().strip() in ("物理", "天文")}
    assert set(links) == {"物理", "天文"}
    for tag in ("物理", "天文"):
        expected = sorted((t for t, (_, tags) in tagged.items() if tag in tags),
                          key=lambda t: tagged[t][0], reverse=True)
        assert list_titles(parse_html(href_target(out, links[tag]))) == expected


def test_archive_groups_by_year_and_month_in_the_site_timezone(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/local.md": article("八月最后一晚", "2024-08-31 23:30", slug="local"),
        "content/utc.md": article("世界时的八月最后一晚", "2024-08-31T23:30:00+00:00", slug="utc"),
        "content/early.md": article("七月的文章", "2024-07-01 00:10", slug="early"),
        "content/next.md": article("明年的文章", "2025-01-01 00:00", column="一目了然科普汇", slug="next"),
    })
    _, out = build_site(site)
    # the UTC evening is the next morning in Shanghai: its day and month are September's
    assert (out / "2024/09/01/utc/index.html").is_file()
    assert (out / "2024/08/31/local/index.html").is_file()
    assert list_titles(page(out, "archive/2024/08/")) == ["八月最后一晚"]
    assert list_titles(page(out, "archive/2024/09/")) == ["世界时的八月最后一晚"]
    assert list_titles(page(out, "archive/2024/07/")) == ["七月的文章"]
    assert list_titles(page(out, "archive/2025/01/")) == ["明年的文章"]

    archive = page(out, "archive/")
    # the archive's front page lists years and months with counts, each year page its articles
    listed = {a.text_content().strip(): a.getnext().text_content().strip()
              for a in archive.xpath("//ul[@class='archive-months']//a")}
    assert listed == {"2024年9月": "1 篇", "2024年8月": "1 篇", "2024年7月": "1 篇", "2025年1月": "1 篇"}
    months = {}
    for y in ("2024", "2025"):
        for h3 in page(out, f"archive/{y}/").xpath("//h3[a]"):
            table = h3.xpath("following-sibling::table[1]")[0]
            months[h3.xpath("./a")[0].text_content().strip()] = [a.text_content().strip() for a in table.xpath(".//a")]
    assert months == {"2024年9月": ["世界时的八月最后一晚"], "2024年8月": ["八月最后一晚"],
                      "2024年7月": ["七月的文章"], "2025年1月": ["明年的文章"]}
    years = [h2.xpath("./a")[0].text_content().strip() for h2 in archive.xpath("//section//h2[a]")]
    assert years == ["2025年", "2024年"]
    year_page = page(out, "archive/2024/")
    assert [h.xpath("./a")[0].text_content().strip() for h in year_page.xpath("//h3[a]")] == ["2024年9月", "2024年8月", "2024年7月"]


def test_archive_follows_a_configured_timezone(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/utc.md": article("世界时的八月最后一晚", "2024-08-31T23:30:00+00:00", slug="utc"),
        "content/local.md": article("纽约的九月凌晨", "2024-09-01 02:00", slug="local"),
    }, config=site_toml(timezone="America/New_York"))
    _, out = build_site(site)
    # 23:30 UTC is 19:30 on 31 August in New York; a date without offset is New York time
    assert (out / "2024/08/31/utc/index.html").is_file()
    assert (out / "2024/09/01/local/index.html").is_file()
    assert list_titles(page(out, "archive/2024/08/")) == ["世界时的八月最后一晚"]
    assert list_titles(page(out, "archive/2024/09/")) == ["纽约的九月凌晨"]


# ------------------------------------------------------------------ feeds advertised

def alternates(doc) -> set[tuple[str, str]]:
    return {(link.get("type"), link.get("href")) for link in doc.xpath('//head/link[@rel="alternate"]')}


def test_feed_links_on_every_page_and_column_feeds_where_they_belong(tmp_path):
    _, out = build_site(article_site(tmp_path / "site"))
    site_feeds = {("application/rss+xml", "/feed.xml"), ("application/atom+xml", "/atom.xml")}
    kyky = {("application/rss+xml", "/columns/kyky/feed.xml"), ("application/atom+xml", "/columns/kyky/atom.xml")}
    for f in html_files(out):
        links = alternates(parse_html(f))
        assert site_feeds <= links, f
        for _, href in links:
            assert href_target(out, href).is_file(), (f, href)
    assert kyky <= alternates(page(out, "columns/kyky/"))
    assert kyky <= alternates(page(out, "2024/08/22/k2/"))
    other = page(out, "2024/08/23/y1/")
    assert not kyky & alternates(other)
    assert any("/columns/" in href and href.endswith("/feed.xml") for _, href in alternates(other))
    assert not kyky & alternates(page(out, ""))


# ------------------------------------------------------------------ sitemap and robots

@pytest.mark.parametrize("base_url", [BASE, SUB_BASE])
def test_sitemap_lists_every_page_but_404_and_robots_points_at_it(tmp_path, base_url):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞", "2024-08-22 08:00", tags=["天文"]),
        "content/b.md": article("蓝天", "2024-09-22 08:00", column="一目了然科普汇", tags=["物理"]),
    }, base_url=base_url)
    _, out = build_site(site)
    tree = etree.parse(str(out / "sitemap.xml"))
    locs = tree.xpath("/sm:urlset/sm:url/sm:loc/text()", namespaces=SITEMAP_NS)
    expected = {base_url + rel_url(out, f) for f in html_files(out) if f != out / "404.html"}
    assert (out / "404.html").is_file()
    assert sorted(locs) == sorted(expected)
    assert len(locs) == len(set(locs))
    robots = (out / "robots.txt").read_text("utf-8").splitlines()
    assert f"Sitemap: {base_url}sitemap.xml" in robots


# ------------------------------------------------------------------ images and figures

@pytest.mark.parametrize("base_url", [BASE, SUB_BASE])
def test_images_are_copied_and_a_titled_image_becomes_a_figure(tmp_path, base_url):
    image = png_bytes(4, 3)
    site = write_site(tmp_path / "site", {
        "content/kyky/images/x.png": image,
        "content/kyky/a.md": article("有图的文章", "2024-08-22 08:00", slug="tu",
                                     body='开头一段。\n\n![示意图](images/x.png "图注")\n\n结尾一段。'),
    }, base_url=base_url)
    _, out = build_site(site)
    doc = page(out, "2024/08/22/tu/")
    figures = doc.xpath('//div[contains(@class, "article-body")]//figure')
    assert len(figures) == 1
    img = figures[0].xpath("./img")[0]
    assert figures[0].xpath("./figcaption")[0].text_content() == "图注"
    assert img.get("alt") == "示意图"
    assert img.get("loading") == "lazy"
    assert img.get("title") is None
    assert (img.get("width"), img.get("height")) == ("4", "3")
    base_path = urlsplit(base_url).path
    src = img.get("src")
    assert src.startswith(base_path)
    target = target_file(out, base_path, urlsplit(urljoin(base_url + "2024/08/22/tu/", src)).path)
    assert target.is_file() and target.read_bytes() == image


def test_an_image_named_with_markdown_escapes_is_found(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/kyky/images/x_y.png": png_bytes(4, 3),
        "content/kyky/a.md": article("转义的图片名", "2024-08-22", slug="tu", body="![示意图](images/x\\_y.png)"),
    })
    result, out = build_site(site)
    img = page(out, "2024/08/22/tu/").xpath('//div[contains(@class, "article-body")]//img')[0]
    assert (img.get("src"), img.get("width")) == ("/kyky/images/x-y.png", "4")
    assert result.problems == ()


# ------------------------------------------------------------------ links between articles

def linking_site(root: Path, base_url: str = BASE) -> Path:
    return write_site(root, {
        "content/kyky/heidong.md": article("黑洞是怎么形成的", "2024-08-20", slug="heidong",
                                           body="开头。\n\n## 形成过程\n\n过程。"),
        "content/kyky/caogao.md": article("还没写完", "2024-08-19", slug="caogao", draft=True),
        "content/kyky/hei_dong&bai_dong.md": article("黑洞与白洞", "2024-08-18", slug="hei-bai"),
        "content/ymlr/yinlibo.md": article("引力波", "2024-08-21", column="一目了然科普汇", slug="yinlibo", body="""\
            见[黑洞](../kyky/heidong.md)和[它的形成](../kyky/heidong.md#xingcheng-guocheng)，
            还有[草稿](../kyky/caogao.md)、[没有的文章](nope.md)和[参考式链接][r]。

            代码里的 `[x](../kyky/heidong.md)` 原样保留，`nope.md` 也是。

            转义的[文件名](../kyky/hei\\_dong&amp;bai\\_dong.md#a\\-b)，又一个[没有的](nope.md)，
            [站外的](../../README.md)。

            [r]: ../kyky/heidong.md "黑洞"
            """),
    }, base_url=base_url)


def body_links(out: Path, url: str) -> list[tuple[str | None, str]]:
    doc = page(out, url)
    return [(a.get("href"), a.text_content()) for a in doc.xpath('//div[contains(@class, "article-body")]//a')]


@pytest.mark.parametrize("base_url", [BASE, SUB_BASE])
def test_a_link_to_another_articles_markdown_file_goes_to_its_page(tmp_path, base_url):
    site = linking_site(tmp_path / "site", base_url)
    result, out = build_site(site)
    base_path = urlsplit(base_url).path
    links = dict((text, href) for href, text in body_links(out, "2024/08/21/yinlibo/"))
    assert links["黑洞"] == links["参考式链接"] == f"{base_path}2024/08/20/heidong/"
    assert links["它的形成"] == f"{base_path}2024/08/20/heidong/#xingcheng-guocheng"
    assert page(out, "2024/08/20/heidong/").xpath('//h2[@id="xingcheng-guocheng"]')      # the fragment's heading
    assert target_file(out, base_path, links["黑洞"]).is_file()
    code = page(out, "2024/08/21/yinlibo/").xpath('//div[contains(@class, "article-body")]//code')
    assert [c.text_content() for c in code] == ["[x](../kyky/heidong.md)", "nope.md"]
    # in the feeds the same links are absolute
    entry = next(e for e in feedparser.parse((out / "feed.xml").read_bytes()).entries if e.title == "引力波")
    hrefs = lxml.html.fragment_fromstring(entry.content[0].value, create_parent="div").xpath("//a/@href")
    assert f"{base_url}2024/08/20/heidong/#xingcheng-guocheng" in hrefs
    assert not any(".md" in h or "kexie-link" in h for h in hrefs)


def test_a_link_to_a_missing_or_unpublished_article_is_a_warning_and_stays_as_text(tmp_path):
    site = linking_site(tmp_path / "site")
    result, out = build_site(site)
    warnings = {(p.path, p.line, p.message) for p in result.problems}
    path = "content/ymlr/yinlibo.md"
    assert (path, 9, "链接指向的文章还没有发布 (link to an unpublished article): ../kyky/caogao.md") in warnings
    assert (path, 9, "链接指向的文章不存在 (link to a missing article): nope.md") in warnings
    links = dict((text, href) for href, text in body_links(out, "2024/08/21/yinlibo/"))
    assert links["草稿"] is None and links["没有的文章"] is None and links["没有的"] is None
    # the second link to nope.md is reported at its own line; a .md file outside content/ is no article
    assert (path, 13, "链接指向的文章不存在 (link to a missing article): nope.md") in warnings
    assert (path, 14, "链接指向的文章不存在 (link to a missing article): ../../README.md") in warnings
    assert links["站外的"] is None
    # Markdown's backslash escapes and entities are read as the browser would
    assert links["文件名"] == "/2024/08/18/hei-bai/#a-b"
    assert not any("\x02" in p.message for p in result.problems)
    # with the draft published (a preview), its link goes to it
    _, preview = build_site(site, tmp_path / "preview", drafts=True)
    links = dict((text, href) for href, text in body_links(preview, "2024/08/21/yinlibo/"))
    assert links["草稿"] == "/2024/08/19/caogao/"
    assert links["没有的文章"] is None


# ------------------------------------------------------------------ theme override

def test_a_site_template_overrides_the_packaged_one(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("被覆盖的文章页", "2024-08-22 08:00", slug="a"),
        "themes/default/templates/article.html":
            '{% extends "base.html" %}\n{% block main %}<p id="override">{{ article.title }}</p>{% endblock %}\n',
    })
    _, out = build_site(site)
    doc = page(out, "2024/08/22/a/")
    assert [p.text_content() for p in doc.xpath('//p[@id="override"]')] == ["被覆盖的文章页"]
    assert doc.xpath('//article[contains(@class, "article")]') == []
    assert doc.xpath('//header[contains(@class, "site-header")]')          # base.html from the package
    home = page(out, "")
    assert home.xpath('//p[@id="override"]') == []
    assert home.xpath('string(//article[contains(@class, "lead-article")]//h2)').strip() == "被覆盖的文章页"
    assert (out / "static/style.css").is_file()


# ------------------------------------------------------------------ the output directory

def test_foreign_files_survive_and_stale_pages_are_removed(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/keep.md": article("留下的文章", "2024-08-22 08:00", slug="keep", tags=["留下"]),
        "content/gone.md": article("删掉的文章", "2024-08-23 08:00", slug="gone", tags=["删掉"]),
    })
    _, out = build_site(site)
    assert (out / "2024/08/23/gone/index.html").is_file()
    foreign = {"CNAME": b"kepu.example.cn\n", "baidu_verify_x.html": b"abc123",
               ".git/config": b"[core]\n\tbare = false\n"}
    for rel, data in foreign.items():
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(data)

    build_site(site)                             # a plain rebuild keeps them
    for rel, data in foreign.items():
        assert (out / rel).read_bytes() == data

    (site / "content/gone.md").unlink()
    build_site(site)
    for rel, data in foreign.items():
        assert (out / rel).read_bytes() == data, rel
    assert not (out / "2024/08/23/gone/index.html").exists()
    tag_pages = {p.parent.name for p in (out / "tags").glob("*/index.html")}
    assert len(tag_pages) == 1
    assert (out / "2024/08/22/keep/index.html").is_file()
    assert "删掉的文章" not in everything_text(out)


# ------------------------------------------------------------------ command line

def run_cli(args, how: str):
    cmd = [sys.executable, "build.py", *args] if how == "build.py" else [sys.executable, "-m", "kexie_site", "build", *args]
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, encoding="utf-8", timeout=300)


CLI = pytest.mark.parametrize("how", ["build.py", "-m"])


@CLI
def test_cli_builds_with_exit_0_and_a_summary(tmp_path, how):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞", "2024-08-22 08:00"),
        "content/b.md": article("蓝天", "2024-08-23 08:00", column="一目了然科普汇"),
        "content/c.md": article("草稿", "2024-08-24 08:00", draft=True),
        "content/d.md": article("定时", "2026-12-02 08:00"),
    })
    out = tmp_path / "out"
    proc = run_cli(["--site", str(site), "--output", str(out), "--now", NOW], how)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert re.search(r"articles\s+2\b", proc.stdout), proc.stdout
    assert re.search(r"scheduled\s+1\b", proc.stdout), proc.stdout
    assert re.search(r"drafts\s+1\b", proc.stdout), proc.stdout
    assert (out / "index.html").is_file() and (out / "feed.xml").is_file()


@CLI
def test_cli_content_problem_exits_1_with_path_and_line(tmp_path, how):
    bad = article("日期错了", "2024-13-45")
    site = write_site(tmp_path / "site", {"content/kyky/good.md": article("好文章", "2024-08-22"),
                                          "content/kyky/bad.md": bad})
    line = bad.split("\n").index("date: 2024-13-45") + 1
    out = tmp_path / "out"
    proc = run_cli(["--site", str(site), "--output", str(out), "--now", NOW], how)
    assert proc.returncode == 1
    assert re.search(rf"(?m)^content/kyky/bad\.md:{line}:", proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    assert not out.exists()                               # a build with problems writes nothing


@CLI
def test_cli_unknown_option_exits_2(tmp_path, how):
    site = write_site(tmp_path / "site", {"content/a.md": article("黑洞", "2024-08-22")})
    proc = run_cli(["--site", str(site), "--output", str(tmp_path / "out"), "--no-such-option"], how)
    assert proc.returncode == 2
    assert "--no-such-option" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------ configuration

def test_unknown_config_key_names_the_line_and_suggests_the_key(tmp_path):
    text = site_toml().replace('title = "测试科普站"', 'titel = "测试科普站"')
    site = write_site(tmp_path / "site", {"site.toml": text, "content/a.md": article("黑洞", "2024-08-22")})
    line = text.split("\n").index('titel = "测试科普站"') + 1
    problems = problems_of(site)
    found = [p for p in problems if p.path == "site.toml" and p.line == line]
    assert found, problems
    assert "titel" in found[0].message
    assert re.search(r"\btitle\b", found[0].hint)

    proc = run_cli(["--site", str(site), "--output", str(tmp_path / "out")], "build.py")
    assert proc.returncode == 1
    assert re.search(rf"(?m)^site\.toml:{line}:.*titel", proc.stderr), proc.stderr
    assert re.search(r"did you mean title\b|想写 title\b", proc.stderr), proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_key_in_a_column_table_names_its_line(tmp_path):
    text = site_toml().replace('slug = "kyky"', 'slug = "kyky"\ndescriptoin = "x"')
    site = write_site(tmp_path / "site", {"site.toml": text, "content/a.md": article("黑洞", "2024-08-22")})
    line = text.split("\n").index('descriptoin = "x"') + 1
    found = [p for p in problems_of(site) if p.path == "site.toml" and p.line == line]
    assert found and "description" in found[0].hint


@CLI
def test_missing_site_toml_exits_1_with_a_clear_message(tmp_path, how):
    site = tmp_path / "empty"
    (site / "content").mkdir(parents=True)
    proc = run_cli(["--site", str(site), "--output", str(tmp_path / "out")], how)
    assert proc.returncode == 1
    assert "site.toml" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "out").exists()
