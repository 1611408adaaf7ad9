"""Every local reference resolves or is an error: a published article's images, cover and linked
files are found however they are written (relative, root-relative, raw HTML, srcset, cover), are
published at their mirrored URL (with the sub-path of base_url; absolute in feeds), and a
reference to a file that is not there stops the build at its line. Drafts never block.

Every test builds a small site inline into tmp_path; `linkcheck` checks the output as a link
checker would.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import lxml.html
import pytest

from conftest import NOW, article, build_site, gif_bytes, jpeg_bytes, page, png_bytes, problems_of, write_site
from kexie_site.cli import main
from linkcheck import broken_links, local_references, target_of

BASE = "https://kepu.example.cn/"
SUB_BASE = "https://www.example.gov.cn/kexie/kepu/"
BASES = pytest.mark.parametrize("base_url", [BASE, SUB_BASE])
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
URL = "2024/08/22/tu/"                     # the article page of article(..., "2024-08-22", slug="tu")


# ------------------------------------------------------------------ helpers

def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of text containing needle."""
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def body(out: Path, url: str = URL):
    return page(out, url).xpath('//div[contains(@class, "article-body")]')[0]


def published(out: Path, base_url: str, ref: str, url: str = URL) -> Path:
    """The output file a reference on the page at url points to; it must exist."""
    target = target_of(out, base_url, ref, base_url + url)
    assert target is not None and target.is_file(), f"{url}: {ref} is not a published file"
    return target


def srcset_urls(value: str) -> list[tuple[str, str]]:
    return [tuple((c.split() + [""])[:2]) for c in value.split(",") if c.strip()]


def feed_body(out: Path, title: str, feed: str = "feed.xml"):
    """The parsed full content of the feed entry with this title, as written (not sanitized)."""
    parsed = feedparser.parse((out / feed).read_bytes(), sanitize_html=False, resolve_relative_uris=False)
    entry = next(e for e in parsed.entries if e.title == title)
    return lxml.html.fragment_fromstring(entry.content[0].value, create_parent="div")


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    """Write a hand-made output directory."""
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def errors(problems) -> list:
    return [p for p in problems if p.is_error]


def one_error(problems, path: str, line: int):
    found = errors(problems)
    assert [(p.path, p.line) for p in found] == [(path, line)], [p.format() for p in problems]
    return found[0]


# ------------------------------------------------------------------ the checker itself

def test_the_link_checker_finds_broken_references_and_ignores_what_is_not_local(tmp_path):
    out = tmp_path / "out"
    feed = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>t</title><link>https://kepu.example.cn/</link><description>d</description>
<item><title>a</title><link>https://kepu.example.cn/a/</link><description>s</description>
<content:encoded><![CDATA[<p><img src="https://kepu.example.cn/img/ok.png"
 srcset="https://kepu.example.cn/img/ok.png 1x, https://kepu.example.cn/img/feed-missing.png 2x" alt=""></p>]]>
</content:encoded></item></channel></rss>"""
    write_files(out, {
        "index.html": """<!DOCTYPE html><html><head><title>t</title>
<meta property="og:image" content="https://kepu.example.cn/img/og.png">
<meta property="og:image:width" content="4">
<link rel="stylesheet" href="/static/site.css"></head><body>
<a href="a/">a</a> <a href="#top">top</a> <a href="mailto:x@example.cn">m</a> <a href="tel:123">t</a>
<a href="https://other.example.com/img/gone.png">other host</a> <img src="data:image/png;base64,AAAA" alt="">
<img src="img/ok.png" srcset="img/ok.png 1x, img/missing-2x.png 2x" alt="">
<picture><source srcset="/img/missing-source.png"><img src="/img/ok.png" alt=""></picture>
<a href="files/%E8%AF%B4%E6%98%8E.pdf?x=1#p2">pdf</a> <img src="/img/gone.png" alt="">
<meta property="og:image" content="https://kepu.example.cn/img/og-missing.png">
</body></html>""",
        "a/index.html": '<p><a href="../img/ok.png">up</a> <a href="../nope/">no</a> <a href="..">home</a></p>',
        "img/ok.png": png_bytes(2, 2), "img/og.png": png_bytes(2, 2), "files/说明.pdf": PDF,
        "static/site.css": "", "feed.xml": feed, "sitemap.xml": '<urlset><url><loc>https://x/</loc></url></urlset>',
    })
    refs = local_references(out, BASE)
    assert ("index.html", "img/missing-2x.png") in refs and ("feed.xml", "https://kepu.example.cn/img/ok.png") in refs
    assert not [r for _, r in refs if r.startswith(("#", "mailto:", "tel:", "data:", "https://other."))]
    assert sorted(broken_links(out, BASE)) == sorted([
        ("a/index.html", "../nope/"),
        ("feed.xml", "https://kepu.example.cn/img/feed-missing.png"),
        ("index.html", "/img/gone.png"),
        ("index.html", "/img/missing-source.png"),
        ("index.html", "img/missing-2x.png"),
        ("index.html", "https://kepu.example.cn/img/og-missing.png"),
    ])
    # under a sub-path, a root-relative reference without the sub-path is broken even if the file exists
    sub = tmp_path / "sub"
    write_files(sub, {"img/ok.png": png_bytes(2, 2), "index.html":
                     '<p><img src="/kexie/kepu/img/ok.png" alt=""> <img src="/img/ok.png" alt="">'
                     ' <img src="https://www.example.gov.cn/img/ok.png" alt="">'
                     ' <img src="https://www.example.gov.cn/kexie/kepu/img/ok.png" alt=""></p>'})
    assert len(local_references(sub, SUB_BASE)) == 4
    assert sorted(broken_links(sub, SUB_BASE)) == [("index.html", "/img/ok.png"),
                                                   ("index.html", "https://www.example.gov.cn/img/ok.png")]


# ------------------------------------------------------------------ published: every form

@BASES
def test_relative_images_are_published_with_their_size(tmp_path, base_url):
    x, y = png_bytes(4, 3), png_bytes(5, 2)
    site = write_site(tmp_path / "site", {
        "content/kyky/images/x.png": x,
        "content/images/y.png": y,
        "content/kyky/a.md": article("有图", "2024-08-22", slug="tu",
                                     body="![同目录](images/x.png)\n\n![上一级](../images/y.png)"),
    }, base_url=base_url)
    _, out = build_site(site)
    imgs = {img.get("alt"): img for img in body(out).xpath(".//img")}
    base_path = urlsplit(base_url).path
    for alt, data, size in (("同目录", x, ("4", "3")), ("上一级", y, ("5", "2"))):
        src = imgs[alt].get("src")
        assert src.startswith(base_path) and src.isascii()
        assert published(out, base_url, src).read_bytes() == data
        assert (imgs[alt].get("width"), imgs[alt].get("height")) == size
    feed_srcs = feed_body(out, "有图").xpath(".//img/@src")
    assert len(feed_srcs) == 2 and all(s.startswith(base_url) for s in feed_srcs)
    assert broken_links(out, base_url) == []


@BASES
def test_root_relative_images_come_from_content_or_else_static(tmp_path, base_url):
    site = write_site(tmp_path / "site", {
        "content/images/x.png": png_bytes(4, 3),
        "static/images/logo.png": png_bytes(6, 6),
        "content/kyky/a.md": article("根路径", "2024-08-22", slug="tu",
                                     body="![内容里的](/images/x.png)\n\n![静态的](/images/logo.png)"),
    }, base_url=base_url)
    _, out = build_site(site)
    base_path = urlsplit(base_url).path
    imgs = {img.get("alt"): img for img in body(out).xpath(".//img")}
    assert imgs["内容里的"].get("src") == base_path + "images/x.png"
    assert imgs["静态的"].get("src") == base_path + "images/logo.png"
    assert (imgs["内容里的"].get("width"), imgs["静态的"].get("width")) == ("4", "6")
    assert (out / "images/logo.png").read_bytes() == (site / "static/images/logo.png").read_bytes()
    assert (out / "images/x.png").read_bytes() == (site / "content/images/x.png").read_bytes()
    # the feeds carry the absolute URL
    for feed in ("feed.xml", "atom.xml"):
        assert sorted(feed_body(out, "根路径", feed).xpath(".//img/@src")) == [
            base_url + "images/logo.png", base_url + "images/x.png"]
    assert broken_links(out, base_url) == []


def test_chinese_and_upper_case_file_names_become_ascii_slugs_and_every_format_has_its_size(tmp_path):
    files = {"北斗.png": png_bytes(3, 2), "卫星图.JPG": jpeg_bytes(17, 9), "动图.GIF": gif_bytes(5, 7)}
    site = write_site(tmp_path / "site", {
        **{f"content/kyky/images/{name}": data for name, data in files.items()},
        "content/kyky/a.md": article("北斗", "2024-08-22", slug="tu",
                                     body="\n\n".join(f"![{name}](images/{name})" for name in files)),
    })
    _, out = build_site(site)
    imgs = {img.get("alt"): img for img in body(out).xpath(".//img")}
    assert imgs["北斗.png"].get("src") == "/kyky/images/beidou.png"
    assert (out / "kyky/images/beidou.png").read_bytes() == files["北斗.png"]
    sizes = {"北斗.png": ("3", "2"), "卫星图.JPG": ("17", "9"), "动图.GIF": ("5", "7")}
    for name, data in files.items():
        src = imgs[name].get("src")
        assert src.isascii() and src.startswith("/kyky/images/")
        assert src.endswith(name.rsplit(".", 1)[1].lower())                # extension lower-cased
        assert published(out, BASE, src).read_bytes() == data
        assert (imgs[name].get("width"), imgs[name].get("height")) == sizes[name]
    assert [p for p in out.rglob("*") if not p.relative_to(out).as_posix().isascii()] == []


def test_one_file_referenced_three_ways_is_one_published_file(tmp_path):
    image = png_bytes(4, 3)
    site = write_site(tmp_path / "site", {
        "content/images/x.png": image,
        "content/a.md": article("根目录的文章", "2024-08-22", slug="tu", body="![a](images/x.png)"),
        "content/kyky/b.md": article("子目录的文章", "2024-08-23", slug="b",
                                     body="![b](../images/x.png)\n\n![c](/images/x.png)"),
    })
    _, out = build_site(site)
    srcs = body(out).xpath(".//img/@src") + body(out, "2024/08/23/b/").xpath(".//img/@src")
    assert len(srcs) == 3 and len(set(srcs)) == 1
    copies = [p.resolve() for p in out.rglob("*") if p.is_file() and p.read_bytes() == image]
    assert copies == [published(out, BASE, srcs[0])]


@BASES
@pytest.mark.parametrize("cover, where", [("images/c.png", "content/kyky/images/c.png"),
                                          ("/images/c.png", "content/images/c.png")])
def test_cover_is_published_as_an_absolute_og_image_with_its_size(tmp_path, base_url, cover, where):
    image = png_bytes(7, 5)
    site = write_site(tmp_path / "site", {
        where: image,
        "content/kyky/a.md": article("有封面", "2024-08-22", slug="tu", cover=cover),
    }, base_url=base_url)
    _, out = build_site(site)
    doc = page(out, URL)
    og = doc.xpath('//meta[@property="og:image"]/@content')
    assert len(og) == 1 and og[0].startswith(base_url)
    assert published(out, base_url, og[0]).read_bytes() == image
    assert doc.xpath('//meta[@property="og:image:width"]/@content') == ["7"]
    assert doc.xpath('//meta[@property="og:image:height"]/@content') == ["5"]
    assert broken_links(out, base_url) == []


@BASES
def test_raw_html_images_are_found_and_get_their_size(tmp_path, base_url):
    site = write_site(tmp_path / "site", {
        "content/kyky/images/x.png": png_bytes(4, 3),
        "content/images/y.gif": gif_bytes(2, 6),
        "content/kyky/a.md": article("原始HTML", "2024-08-22", slug="tu", body="""\
            <img src="images/x.png" alt="相对">

            文字中间的<img src="/images/y.gif" alt="根路径">图片。"""),
    }, base_url=base_url)
    _, out = build_site(site)
    base_path = urlsplit(base_url).path
    imgs = {img.get("alt"): img for img in body(out).xpath(".//img")}
    for alt, size in (("相对", ("4", "3")), ("根路径", ("2", "6"))):
        src = imgs[alt].get("src")
        assert src.startswith(base_path) and src.isascii()
        published(out, base_url, src)
        assert (imgs[alt].get("width"), imgs[alt].get("height")) == size
    assert all(s.startswith(base_url) for s in feed_body(out, "原始HTML").xpath(".//img/@src"))
    assert broken_links(out, base_url) == []


@BASES
def test_srcset_and_picture_sources_are_found(tmp_path, base_url):
    a, b = png_bytes(4, 3), png_bytes(8, 6)
    site = write_site(tmp_path / "site", {
        "content/kyky/images/a.png": a,
        "content/kyky/images/b.png": b,
        "content/kyky/a.md": article("高清图", "2024-08-22", slug="tu", body="""\
            <img srcset="images/a.png 1x, images/b.png 2x" src="images/a.png" alt="高清">

            <picture><source srcset="images/b.png"><img src="images/a.png" alt="图片元素"></picture>"""),
    }, base_url=base_url)
    _, out = build_site(site)
    base_path = urlsplit(base_url).path
    hd = body(out).xpath('.//img[@alt="高清"]')[0]
    candidates = srcset_urls(hd.get("srcset"))
    assert [d for _, d in candidates] == ["1x", "2x"]
    assert [published(out, base_url, u).read_bytes() for u, _ in candidates] == [a, b]
    assert all(u.startswith(base_path) for u, _ in candidates)
    assert published(out, base_url, hd.get("src")).read_bytes() == a
    assert (hd.get("width"), hd.get("height")) == ("4", "3")
    source = body(out).xpath(".//picture/source")[0]
    assert published(out, base_url, source.get("srcset").split()[0]).read_bytes() == b
    # (libxml2 does not know <source> is void: the <img> lands inside it)
    assert published(out, base_url, body(out).xpath('.//picture//img/@src')[0]).read_bytes() == a
    # in the feed every candidate is absolute
    feed = feed_body(out, "高清图")
    urls = [u for s in feed.xpath(".//@srcset") for u, _ in srcset_urls(s)]
    assert len(urls) == 3 and all(u.startswith(base_url) for u in urls)
    assert broken_links(out, base_url) == []


@BASES
def test_links_to_local_files_are_published(tmp_path, base_url):
    files = {"content/kyky/files/说明.pdf": PDF + b"1", "content/kyky/files/说明书.pdf": PDF + b"2",
             "content/files/report.pdf": PDF + b"3"}
    site = write_site(tmp_path / "site", {
        **files,
        "content/kyky/a.md": article("附件", "2024-08-22", slug="tu", body="""\
            请[下载说明书](files/说明书.pdf)，或看[报告](/files/report.pdf)。

            也可以<a href="files/说明.pdf">下载</a>。"""),
    }, base_url=base_url)
    _, out = build_site(site)
    base_path = urlsplit(base_url).path
    links = {a.text_content(): a.get("href") for a in body(out).xpath(".//a")}
    for text, source in (("下载说明书", "content/kyky/files/说明书.pdf"), ("报告", "content/files/report.pdf"),
                         ("下载", "content/kyky/files/说明.pdf")):
        href = links[text]
        assert href.startswith(base_path) and href.isascii() and href.endswith(".pdf")
        assert published(out, base_url, href).read_bytes() == files[source]
    hrefs = [h for h in feed_body(out, "附件").xpath(".//a/@href") if h.endswith(".pdf")]
    assert len(hrefs) == 3 and all(h.startswith(base_url) for h in hrefs)
    assert broken_links(out, base_url) == []


EVERY_FORM = """\
![相对](images/x.png)

![上一级](../images/shared.png "图注")

![根路径](/images/shared.png) ![静态](/images/logo.png)

![中文名](images/北斗.png) ![照片](images/照片.JPG) ![动图](images/动图.gif)

<img src="images/x.png" alt="原始HTML">

<img srcset="images/x.png 1x, images/x2.png 2x" src="images/x.png" alt="高清">

<picture><source srcset="images/x2.png"><img src="images/x.png" alt="图片元素"></picture>

[下载说明书](files/说明书.pdf)、[报告](/files/report.pdf)、<a href="files/说明.pdf">下载</a>
"""


@BASES
def test_a_site_using_every_form_has_no_broken_link_in_pages_or_feeds(tmp_path, base_url):
    # every file has distinct bytes, so what a reference resolves to tells which file it is
    cover = {"content/kyky/images/封面.png": png_bytes(12, 6)}
    used = {
        "content/kyky/images/x.png": png_bytes(4, 3),
        "content/kyky/images/x2.png": png_bytes(8, 6),            # only in srcset and <source>
        "content/kyky/images/北斗.png": png_bytes(3, 3),
        "content/kyky/images/照片.JPG": jpeg_bytes(9, 8),
        "content/kyky/images/动图.gif": gif_bytes(2, 2),
        "content/images/shared.png": png_bytes(5, 5),
        "static/images/logo.png": png_bytes(6, 6),
        "content/kyky/files/说明书.pdf": PDF + b"1",
        "content/kyky/files/说明.pdf": PDF + b"2",
        "content/files/report.pdf": PDF + b"3",
    }
    site = write_site(tmp_path / "site", {
        **cover, **used,
        "content/kyky/a.md": article("什么都有", "2024-08-22", slug="tu", cover="images/封面.png", body=EVERY_FORM),
        "content/ymlr/b.md": article("另一栏", "2024-08-23", column="一目了然科普汇", slug="b",
                                     cover="/images/shared.png", body="![共用](../images/shared.png)"),
    }, base_url=base_url)
    _, out = build_site(site)
    assert broken_links(out, base_url) == []
    refs = local_references(out, base_url)

    def files_referenced(found_in: str, page_url: str) -> set[bytes]:
        return {target_of(out, base_url, ref, page_url).read_bytes() for f, ref in refs if f == found_in}

    # the checker did look at every image and attachment of the article, in its page and in the feeds
    on_page = files_referenced(URL + "index.html", base_url + URL)
    assert [name for name, data in {**cover, **used}.items() if data not in on_page] == []
    for feed in ("feed.xml", "atom.xml", "columns/kyky/feed.xml", "columns/kyky/atom.xml"):
        assert [name for name, data in used.items() if data not in files_referenced(feed, base_url + feed)] == [], feed
        in_feed = [r for f, r in refs if f == feed and r.lower().endswith((".png", ".jpg", ".gif", ".pdf"))]
        assert in_feed and all(r.startswith(base_url) for r in in_feed), feed
    # every image of the article has its size
    imgs = body(out).xpath(".//img")
    assert len(imgs) == 10 and all(img.get("width") and img.get("height") for img in imgs)


# ------------------------------------------------------------------ errors

PAGE = "content/kyky/a.md"

MISSING = {
    "relative": "![图](images/missing.png)",
    "parent": "![图](../images/missing.png)",
    "root-relative": "![图](/images/missing.png)",
    "raw img": '<img src="../images/missing.jpg" alt="缺">',
    "srcset": '<img srcset="images/ok.png 1x, images/missing-2x.png 2x" src="images/ok.png" alt="缺">',
    "source": '<picture><source srcset="images/missing.png"><img src="images/ok.png" alt="缺"></picture>',
    "markdown pdf": "[下载说明书](files/说明书.pdf)",
    "root-relative pdf": "[报告](/files/report.pdf)",
    "raw html pdf": '<a href="files/说明.pdf">下载</a>',
}


@pytest.mark.parametrize("ref", MISSING.values(), ids=MISSING.keys())
def test_a_missing_reference_is_an_error_at_its_line(tmp_path, ref):
    text = article("缺文件", "2024-08-22", slug="tu", body=f"第一段。\n\n{ref}\n\n最后一段。")
    site = write_site(tmp_path / "site", {"content/kyky/images/ok.png": png_bytes(2, 2),
                                          "static/images/unrelated.png": png_bytes(2, 2), PAGE: text})
    problem = one_error(problems_of(site), PAGE, line_of(text, ref))
    assert "not found" in problem.message
    assert not (site / "public").exists()                 # never published as a broken link


@pytest.mark.parametrize("cover", ["images/none.png", "/images/none.png"])
def test_a_missing_cover_is_an_error_on_the_cover_line(tmp_path, cover):
    text = article("缺封面", "2024-08-22", slug="tu", cover=cover, body="正文。")
    site = write_site(tmp_path / "site", {PAGE: text})
    problem = one_error(problems_of(site), PAGE, line_of(text, "cover:"))
    assert "not found" in problem.message


ABSOLUTE = {
    "windows (Typora)": r"C:\Users\kexie\Desktop\图片1.png",
    "windows slashes": "D:/照片/a.png",
    "mac home": "/Users/kexie/Desktop/a.png",
    "file url": "file:///C:/Users/kexie/a.png",
}


@pytest.mark.parametrize("path", ABSOLUTE.values(), ids=ABSOLUTE.keys())
def test_an_absolute_local_path_in_the_body_is_an_error_with_advice(tmp_path, path):
    ref = f"![截图]({path})"
    text = article("本机路径", "2024-08-22", slug="tu", body=f"第一段。\n\n{ref}")
    site = write_site(tmp_path / "site", {PAGE: text})
    problem = one_error(problems_of(site), PAGE, line_of(text, ref))
    assert "absolute local path" in problem.message
    assert "![](" in problem.hint


@pytest.mark.parametrize("path", ABSOLUTE.values(), ids=ABSOLUTE.keys())
def test_an_absolute_local_path_as_cover_is_an_error_on_the_cover_line(tmp_path, path):
    text = article("本机封面", "2024-08-22", slug="tu", cover=path)
    site = write_site(tmp_path / "site", {PAGE: text})
    problem = one_error(problems_of(site), PAGE, line_of(text, "cover:"))
    assert "absolute local path" in problem.message


@pytest.mark.parametrize("cover, ref", [
    ("", "![坏图](images/bad.png)"),
    ("", '<img src="images/bad.png" alt="坏图">'),
    ("images/bad.png", ""),
], ids=["markdown", "raw html", "cover"])
def test_a_file_that_is_not_a_readable_image_is_an_error(tmp_path, cover, ref):
    meta = {"cover": cover} if cover else {}
    text = article("坏图", "2024-08-22", slug="tu", body=f"第一段。\n\n{ref}", **meta)
    site = write_site(tmp_path / "site", {"content/kyky/images/bad.png": b"this is text, not a PNG\n", PAGE: text})
    problem = one_error(problems_of(site), PAGE, line_of(text, ref or "cover:"))
    assert "not a readable image" in problem.message


def test_every_problem_of_the_run_is_reported_at_once(tmp_path):
    a = article("甲", "2024-08-22", slug="tu", body="![缺](images/missing.png)")
    b = article("乙", "2024-08-23", column="一目了然科普汇", body="开头。\n\n![本机](C:\\Users\\kexie\\Desktop\\图片1.png)")
    c = article("丙", "2024-08-24", body="![坏](bad.png)")
    site = write_site(tmp_path / "site", {"content/kyky/a.md": a, "content/ymlr/b.md": b, "content/c.md": c,
                                          "content/bad.png": b"not an image at all\n"})
    problems = errors(problems_of(site))
    assert sorted((p.path, p.line) for p in problems) == [
        ("content/c.md", line_of(c, "![坏]")),
        ("content/kyky/a.md", line_of(a, "![缺]")),
        ("content/ymlr/b.md", line_of(b, "![本机]")),
    ]


# ------------------------------------------------------------------ drafts

def draft_site(root: Path) -> tuple[Path, str]:
    draft = article("草稿", "2024-08-21", slug="caogao", draft=True, body="![还没找到图](images/missing.png)")
    site = write_site(root, {
        "content/kyky/images/x.png": png_bytes(4, 3),
        "content/kyky/a.md": article("已发布", "2024-08-22", slug="tu", body="![图](images/x.png)"),
        "content/kyky/draft.md": draft,
    })
    return site, draft


def test_a_draft_with_a_missing_image_never_blocks_the_build(tmp_path):
    site, _ = draft_site(tmp_path / "site")
    result, out = build_site(site)
    warnings = [p for p in result.problems if p.path == "content/kyky/draft.md"]
    assert warnings and all(p.severity == "warning" for p in warnings)
    assert any("not found" in p.message for p in warnings)
    assert not errors(result.problems)
    published(out, BASE, body(out).xpath(".//img/@src")[0])
    assert not (out / "2024/08/21/caogao").exists()
    assert broken_links(out, BASE) == []


def test_publishing_drafts_makes_the_missing_image_an_error(tmp_path):
    site, draft = draft_site(tmp_path / "site")
    problem = one_error(problems_of(site, drafts=True), "content/kyky/draft.md", line_of(draft, "![还没找到图]"))
    assert "not found" in problem.message


# ------------------------------------------------------------------ check

def run_check(site: Path, capsys) -> tuple[int, str]:
    code = main(["check", "--site", str(site), "--now", NOW])
    return code, capsys.readouterr().err


def test_check_lists_files_no_article_uses(tmp_path, capsys):
    site = write_site(tmp_path / "site", {
        "content/kyky/images/used.png": png_bytes(2, 2),
        "content/kyky/images/cover.png": png_bytes(2, 2),
        "content/kyky/images/unused.png": png_bytes(2, 2),
        "content/kyky/files/old.pdf": PDF,
        "content/kyky/a.md": article("有图", "2024-08-22", slug="tu", cover="images/cover.png",
                                     body="![图](images/used.png)"),
    })
    _, err = run_check(site, capsys)
    unused = [line for line in err.splitlines() if "unused file" in line]
    assert any("content/kyky/images/unused.png" in line for line in unused), err
    assert any("content/kyky/files/old.pdf" in line for line in unused), err
    assert not [line for line in unused if "images/used.png" in line or "cover.png" in line or ".md" in line]
    assert not (site / "public").exists()


def test_check_exits_1_on_a_missing_image(tmp_path, capsys):
    text = article("缺图", "2024-08-22", slug="tu", body="![图](images/missing.png)")
    site = write_site(tmp_path / "site", {PAGE: text})
    code, err = run_check(site, capsys)
    assert code == 1
    assert f"{PAGE}:{line_of(text, '![图]')}:" in err and "not found" in err


# ------------------------------------------------------------------ found in review

@BASES
def test_links_to_files_the_build_makes_are_neither_errors_nor_broken(tmp_path, base_url):
    site = write_site(tmp_path / "site", {"content/kyky/a.md": article("订阅", "2024-08-22", slug="tu", body="""\
        订阅 [RSS](/feed.xml)、[栏目 Atom](/columns/kyky/atom.xml)、[数据](/archive.json)、
        [robots](/robots.txt)、[样式](/static/style.css)。""")}, base_url=base_url)
    result, out = build_site(site)
    hrefs = body(out).xpath(".//a/@href")
    assert len(hrefs) == 5 and all(h.startswith(urlsplit(base_url).path) for h in hrefs)
    assert broken_links(out, base_url) == []


def test_a_raw_img_whose_attribute_holds_a_greater_than_sign_is_still_checked(tmp_path):
    site = write_site(tmp_path / "site", {"content/kyky/a.md": article(
        "温度", "2024-08-22", body='<img alt="温度 > 30℃" src="missing-pic.png">')})
    assert "image not found" in one_error(problems_of(site), "content/kyky/a.md", 7).message


def test_images_in_comments_and_scripts_are_not_looked_up(tmp_path):
    site = write_site(tmp_path / "site", {"content/kyky/a.md": article("注释", "2024-08-22", slug="tu", body="""\
        <!-- <img src="old.png"> -->

        正文 <!-- <img src="old2.png"> --> 继续。

        <script>var s = '<img src="nothing.png">';</script>""")})
    result, out = build_site(site)
    assert not result.problems and body(out).xpath(".//img") == []


def test_a_relative_link_to_an_html_file_in_content_is_published(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/extra/说明.html": "<p>说明</p>",
        "content/kyky/a.md": article("附页", "2024-08-22", slug="tu", body="见[说明页](../extra/说明.html)。"),
    })
    _, out = build_site(site)
    href, = body(out).xpath(".//a/@href")
    assert target_of(out, BASE, href, BASE + URL).read_text("utf-8") == "<p>说明</p>"


def test_a_data_url_in_srcset_keeps_its_commas_and_an_img_with_only_srcset_stays(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/kyky/images/x.png": png_bytes(4, 3),
        "content/kyky/a.md": article("高清", "2024-08-22", slug="tu", body="""\
            <img srcset="data:image/png;base64,iVBORw0KGgo= 1x, images/x.png 2x" src="images/x.png" alt="甲">

            <img srcset="images/x.png 2x" alt="乙">"""),
    })
    result, out = build_site(site)
    first, second = body(out).xpath(".//img")
    assert first.get("srcset").startswith("data:image/png;base64,iVBORw0KGgo= 1x, ")
    assert second.get("alt") == "乙" and second.get("srcset").endswith("kyky/images/x.png 2x")


def test_the_same_local_path_twice_is_an_error_on_each_line(tmp_path):
    site = write_site(tmp_path / "site", {"content/kyky/a.md": article("截图", "2024-08-22", body="""\
        ![图](C:\\My Pictures\\a.png)

        ![图](C:\\My Pictures\\a.png)""")})
    assert [(p.line, "absolute local path" in p.message) for p in errors(problems_of(site))] == [(7, True), (9, True)]


def test_picture_posts_sharing_a_caption_are_not_duplicates_but_copies_are(tmp_path):
    caption = "一图读懂：本期科普图解由市科协科普部制作发布"
    files = {f"content/kyky/images/{n}.png": png_bytes(n + 1, 2) for n in (1, 2)}
    files.update({f"content/kyky/{n}.md": article(f"一图读懂{n}", f"2024-08-2{n}", body=f"![图](images/{n}.png)\n\n{caption}")
                  for n in (1, 2)})
    result, _ = build_site(write_site(tmp_path / "one", files))
    assert not [p for p in result.problems if "duplicate" in p.message]
    files["content/kyky/3.md"] = article("一图读懂3", "2024-08-23", body=f"![图](images/2.png)\n\n{caption}")
    result, _ = build_site(write_site(tmp_path / "two", files))
    assert [(p.path, "content/kyky/2.md" in p.message) for p in result.problems if "duplicate body" in p.message] == \
        [("content/kyky/3.md", True)]


@pytest.mark.parametrize("cover, ok", [("//cdn.example.com/a.png", True), ("mailto:x@example.cn", False),
                                       ("#top", False)])
def test_a_cover_is_an_image_or_a_web_address(tmp_path, cover, ok):
    site = write_site(tmp_path / "site", {"content/kyky/a.md": article("封面", "2024-08-22", slug="tu", cover=f'"{cover}"')})
    if ok:
        _, out = build_site(site)
        assert page(out, URL).xpath('//meta[@property="og:image"]/@content') == ["https:" + cover]
    else:
        assert "cover is not an image" in one_error(problems_of(site), "content/kyky/a.md", 6).message


def test_check_strict_under_a_sub_path_accepts_root_relative_file_links(tmp_path, capsys):
    site = write_site(tmp_path / "site", {
        "content/files/报告.pdf": PDF,
        "content/kyky/a.md": article("报告", "2024-08-22", slug="tu", body="[报告](/files/报告.pdf#page=2)"),
    }, base_url=SUB_BASE)
    code, err = run_check(site, capsys)
    assert "missing page" not in err and "not found" not in err
