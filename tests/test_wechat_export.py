"""`export wechat|xuexi`: what an editor pastes into the WeChat official account's editor (公众号)
and uploads to 学习强国. Asserted on every article of the example site and on a generated site of
hostile content: one root <section> with inline styles only (no class, id, <style>, <script>,
data: image), no link off mp.weixin.qq.com (a [n] marker and a 参考链接 list instead), no line
break inside <pre>, list markers and footnotes as text, formulas as their TeX, images as JPG or PNG
under 1 MB, meta.json (canonical URL, digest, title); the lints at path:line; 学习强国's plain
HTML and its .zip; a file changed by hand is never overwritten; the same input gives the same
bytes; preview.html's 复制到公众号 button in Chromium puts article.html on the clipboard; the CLI.

Snapshots of each example article's article.html are in tests/snapshots/wechat/<id>.html;
KEXIE_UPDATE_SNAPSHOTS=1 writes them again instead of comparing (look at the diff before
committing it).
"""
from __future__ import annotations

import difflib
from datetime import datetime
import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from kexie_site.dates import get_zone, parse_date
from kexie_site.export import export

from conftest import NOW, REPO, article, build_site, png_bytes, read_tree, site_toml, write_site
from test_browser import browser  # noqa: F401 (the fixture: Debian's chromium through Playwright)

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots" / "wechat"
UPDATE = os.environ.get("KEXIE_UPDATE_SNAPSHOTS") == "1"
SINCE = parse_date("2024-01-01", get_zone("Asia/Shanghai"))
WECHAT_HOST = "mp.weixin.qq.com"
MAX_IMAGE = 1_000_000
# Elements wechat.css gives a look: each must carry it inline (the editor keeps nothing else).
STYLED = ("p", "h2", "h3", "h4", "h5", "h6", "pre", "code", "table", "th", "td", "blockquote", "strong", "em",
          "del", "mark", "hr", "img", "sup")


# ------------------------------------------------------------------ sites

def copy_example(root: Path) -> Path:
    """The repository's example site (site.toml, content/, data/) copied under root."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "site.toml", root / "site.toml")
    shutil.copytree(REPO / "content", root / "content")
    shutil.copytree(REPO / "data", root / "data")
    return root


def wechat_toml(cover: bool = True) -> str:
    """The test site's site.toml with both columns `wechat = true` and, if asked, a default cover."""
    text = site_toml().replace('description = "新技术"\n', 'description = "新技术"\nwechat = true\n')
    text = text.replace('description = "一目了然"\n', 'description = "一目了然"\nwechat = true\n')
    assert text.count("wechat = true") == 2
    return text + ('\n[wechat]\ncover = "data/cover.png"\n' if cover else "")


def image_bytes(kind: str, size=(480, 320), frames: int = 1, noise: bool = False) -> bytes:
    from PIL import Image

    def frame(n: int):
        if noise:                               # (random pixels do not compress: a big file)
            return Image.frombytes("RGB", size, random.Random(7 + n).randbytes(size[0] * size[1] * 3))
        return Image.new("RGB", size, (20 + 60 * n, 120, 200))
    images = [frame(n) for n in range(frames)]
    out = io.BytesIO()
    if frames > 1:
        images[0].save(out, kind, save_all=True, append_images=images[1:], duration=200, loop=0)
    else:
        images[0].save(out, kind)
    return out.getvalue()


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300" viewBox="0 0 400 300">'
       '<rect width="400" height="300" fill="#0b5cad"/><circle cx="200" cy="150" r="80" fill="#fff"/></svg>\n')
DATA_PNG = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9"
            "awAAAABJRU5ErkJggg==")
CODE = ['def f(x):', '    if x < 1 and x > -1:', '', '        return  "a" & x  *  2', '', '',
        '    return 0  # 末尾']

TEXT_BODY = """
开头一段，有[外部链接](https://example.org/a?x=1&y=2)和[同一个链接](https://example.org/a?x=1&y=2)，还有[另一个](http://example.com/b)。

公众号文章：[往期回顾](https://mp.weixin.qq.com/s/abcDEF123)。

站内文章：[另一篇](../ymlr/other.md)。

## 代码

```python
{code}
```

## 列表

1. 第一
   - 二层甲
     1. 三层一
     2. 三层二
   - 二层乙
2. 第二

从三开始：

3. 三
4. 四

松散的：

- 松散一

- 松散二

  第二段。

任务：

* [x] 做完了
* [ ] 没做

松散的任务：

+ [x] 松散做完了

+ [ ] 松散没做

## 表格

| 名称 | 数值 |
|---|---:|
| 甲 | 1 |
| 乙 | 2 |

> 引用的一段话。

## 注释与公式

这里有脚注[^1]，还有一个[^note]。

行内公式 $x^2$ 在这里。

$$
E = mc^2
$$

[^1]: 第一个脚注。
[^note]: 第二个脚注，带[链接](https://example.net/fn)。
""".replace("{code}", "\n".join(CODE))

MEDIA_BODY = f"""
视频和网页：

<iframe src="https://v.qq.com/x/page/abc.html" width="600" height="400"></iframe>

<video src="https://example.org/v.mp4" controls></video>

![一张 PNG](images/small.png)

![一张 WebP](images/photo.webp)

![一张 GIF 动图](images/anim.gif)

![一张 SVG](images/drawing.svg)

![一张大图](images/big.png)

![内嵌图]({DATA_PNG})

![带图注的图](images/small.png "这是图注")
"""

TEXT_REFERENCES = ["https://example.org/a?x=1&y=2", "http://example.com/b",
                   "https://kepu.example.cn/2024/08/19/ling-yipian/", "https://example.net/fn"]


def hostile_site(root: Path) -> Path:
    """Three articles: h-text (links, code, lists, table, footnotes, formulas), h-media (embeds,
    images of every kind, a data: image, a figure) and h-other (linked to)."""
    big = image_bytes("PNG", (1200, 900), noise=True)
    assert len(big) > 2_000_000
    return write_site(root, {
        "site.toml": wechat_toml(),
        "data/cover.png": png_bytes(900, 383),
        "content/kyky/text.md": article("敌意内容：文字", "2024-08-20", body=TEXT_BODY, id="h-text",
                                        summary="一篇什么都有的文章。"),
        "content/kyky/media.md": article("敌意内容：图片", "2024-08-21", body=MEDIA_BODY, id="h-media"),
        "content/ymlr/other.md": article("另一篇", "2024-08-19", column="一目了然科普汇", body="正文。", id="h-other"),
        "content/kyky/images/small.png": png_bytes(640, 480),
        "content/kyky/images/photo.webp": image_bytes("WEBP"),
        "content/kyky/images/anim.gif": image_bytes("GIF", frames=3),
        "content/kyky/images/drawing.svg": SVG,
        "content/kyky/images/big.png": big,
    })


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("wechat")


def exported_and_built(site: Path, work: Path, name: str) -> dict:
    report = export(site, "wechat", [], since=SINCE, out_dir=work / f"{name}-wechat", now=NOW)
    _, public = build_site(site, work / f"{name}-public")
    return {"site": site, "report": report, "out": work / f"{name}-wechat", "public": public}


@pytest.fixture(scope="module")
def example(work):
    """The example site exported for WeChat (every article since 2024-01-01) and built."""
    return exported_and_built(copy_example(work / "example"), work, "example")


@pytest.fixture(scope="module")
def hostile(work):
    """The hostile site exported for WeChat and built."""
    return exported_and_built(hostile_site(work / "hostile"), work, "hostile")


@pytest.fixture(scope="module")
def exported(example, hostile) -> dict[str, Path]:
    """Every exported WeChat article's folder, by its id (meta.json)."""
    folders = {}
    for run in (example, hostile):
        for item in run["report"].articles:
            folder = run["out"] / item.folder
            folders[json.loads((folder / "meta.json").read_text("utf-8"))["id"]] = folder
    assert len(folders) == 14 + 3, sorted(folders)
    return folders


@pytest.fixture(scope="module")
def xuexi(work, hostile, example):
    """The hostile and the example site exported for 学习强国."""
    runs = {}
    for name, run in (("hostile", hostile), ("example", example)):
        out = work / f"{name}-xuexi"
        runs[name] = (export(run["site"], "xuexi", [], since=SINCE, out_dir=out, now=NOW), out)
    return runs


def folder_of(run, article_id: str) -> Path:
    for item in run["report"].articles:
        if item.meta["id"] == article_id:
            return run["out"] / item.folder
    raise AssertionError(f"{article_id} not exported")


def fragment(folder: Path):
    """article.html parsed: its one root element (asserted elsewhere)."""
    return lxml.html.fragments_fromstring((folder / "article.html").read_text("utf-8"))[-1]


def style_of(el) -> list[tuple[str, str]]:
    return [(k.strip().lower(), v.strip()) for k, _, v in
            (d.partition(":") for d in (el.get("style") or "").split(";") if ":" in d)]


def margin_left_em(el) -> float:
    """The element's margin-left in em, from its inline style (later declarations win)."""
    left = "0"
    for key, value in style_of(el):
        if key == "margin-left":
            left = value
        elif key == "margin":
            parts = value.split()
            left = parts[{1: 0, 2: 1, 3: 1, 4: 3}[len(parts)]]
    if left in ("0", "0px", "0em"):
        return 0.0
    assert left.endswith("em"), left
    return float(left[:-2])


def text(el) -> str:
    return " ".join(el.text_content().replace("\u2060", "").split())      # (U+2060 keeps a note's marker on its line)


def kind_of(data: bytes) -> str:
    return "png" if data.startswith(b"\x89PNG\r\n\x1a\n") else "jpg" if data.startswith(b"\xff\xd8\xff") else "?"


def check_all(exported: dict[str, Path], check) -> None:
    """check(id, folder) → list of complaints; all of them reported at once."""
    failures = [f"{aid}: {c}" for aid, folder in sorted(exported.items()) for c in check(aid, folder)]
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ 1. snapshots

def test_snapshot_files_are_the_exported_articles(example):
    """The snapshot folder has one file for each article the example site exports (none missing,
    none left over); with KEXIE_UPDATE_SNAPSHOTS=1 they are written again."""
    made = {item.meta["id"]: (example["out"] / item.folder / "article.html").read_bytes()
            for item in example["report"].articles}
    if UPDATE:
        SNAPSHOTS.mkdir(parents=True, exist_ok=True)
        for stale in SNAPSHOTS.glob("*.html"):
            if stale.stem not in made:
                stale.unlink()
        for aid, data in made.items():
            (SNAPSHOTS / f"{aid}.html").write_bytes(data)
    assert sorted(p.stem for p in SNAPSHOTS.glob("*.html")) == sorted(made)


@pytest.mark.parametrize("snapshot", sorted(SNAPSHOTS.glob("*.html")), ids=lambda p: p.stem)
def test_snapshot(example, snapshot):
    """Each example article's article.html is byte for byte its snapshot."""
    made = {item.meta["id"]: example["out"] / item.folder / "article.html" for item in example["report"].articles}
    assert snapshot.stem in made, f"{snapshot.stem} is no longer exported"
    got = made[snapshot.stem].read_text("utf-8")
    if UPDATE:
        snapshot.write_text(got, "utf-8")
        return
    want = snapshot.read_text("utf-8")
    if got != want:
        def split(html: str) -> list[str]:
            return re.sub(r"(<(?:p|h\d|section|tr|li|pre)\b)", r"\n\1", html).splitlines()
        diff = "\n".join(difflib.unified_diff(split(want), split(got), "snapshot", "exported", lineterm="", n=1))
        pytest.fail(f"article.html of {snapshot.stem} differs from its snapshot "
                    f"(KEXIE_UPDATE_SNAPSHOTS=1 to accept):\n{diff[:6000]}")


# ------------------------------------------------------------------ 2. structure of every article.html

def test_one_root_section(exported):
    """article.html is exactly one <section> element, nothing before or after it."""
    def check(aid, folder):
        parts = lxml.html.fragments_fromstring((folder / "article.html").read_text("utf-8"))
        if len(parts) != 1 or isinstance(parts[0], str) or parts[0].tag != "section":
            return [f"root is {[p if isinstance(p, str) else p.tag for p in parts]!r}"]
        return [f"text after the section: {parts[0].tail!r}"] if (parts[0].tail or "").strip() else []
    check_all(exported, check)


def test_no_link_off_wechat(exported):
    """Every href left points to mp.weixin.qq.com."""
    def check(aid, folder):
        return [f"href {a.get('href')!r}" for a in fragment(folder).iter("a")
                if urlsplit(a.get("href") or "").hostname != WECHAT_HOST]
    check_all(exported, check)


def test_no_class_id_style_script_or_data_image(exported):
    """No class or id attribute, no <style> or <script>, no src starting with data:."""
    def check(aid, folder):
        found = []
        for el in fragment(folder).iter():
            if not isinstance(el.tag, str):
                continue
            found += [f"<{el.tag} {name}=…>" for name in ("class", "id") if name in el.attrib]
            if el.tag in ("style", "script"):
                found.append(f"<{el.tag}>")
            if (el.get("src") or "").strip().lower().startswith("data:"):
                found.append(f"<{el.tag} src=data:…>")
        return found
    check_all(exported, check)


def test_no_line_break_inside_pre(exported):
    """The raw text of article.html between <pre and </pre> has no newline (the editor drops
    them; line breaks are <br>)."""
    def check(aid, folder):
        raw = (folder / "article.html").read_text("utf-8")
        return [f"newline in {m.group(0)[:80]!r}…" for m in re.finditer(r"<pre\b.*?</pre>", raw, re.DOTALL)
                if "\n" in m.group(0) or "\r" in m.group(0)]
    check_all(exported, check)
    assert "<pre" in (exported["h-text"] / "article.html").read_text("utf-8")


def test_styled_elements_carry_inline_style(exported):
    """The root section and every element wechat.css styles (p, h2, h3, table cells, pre, code,
    strong, img, sup …) carry a style attribute."""
    def check(aid, folder):
        root = fragment(folder)
        found = [] if root.get("style") else ["root <section> without style"]
        return found + [f"<{el.tag}> without style: {text(el)[:30]!r}" for el in root.iter(*STYLED)
                        if not (el.get("style") or "").strip()]
    check_all(exported, check)


def test_images_are_small_jpg_or_png_in_the_folder(exported):
    """Each <img> is a file of the article's folder (meta.json's images say which: an image the
    site publishes as it goes to WeChat keeps the site's URL, which the WeChat editor fetches on
    paste) that is a JPG or PNG (magic bytes) of at most 1,000,000 bytes; so is the cover named
    in meta.json, which exists."""
    def check(aid, folder):
        found = []
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        files = {image["src"]: image["file"] for image in meta["images"]}
        names = [files.get(img.get("src"), img.get("src")) for img in fragment(folder).iter("img")]
        if not meta.get("cover"):
            found.append("no cover in meta.json")
        else:
            names.append(meta["cover"])
        for name in names:
            path = folder / name
            if "://" in name or not path.is_file():
                found.append(f"{name}: not a file of the folder")
                continue
            data = path.read_bytes()
            if kind_of(data) != Path(name).suffix.lstrip("."):
                found.append(f"{name}: is {kind_of(data)} by its bytes")
            if len(data) > MAX_IMAGE:
                found.append(f"{name}: {len(data)} bytes")
        return found
    check_all(exported, check)


def test_meta_json(exported, example, hostile):
    """meta.json: content_source_url is the built page's <link rel=canonical>; the title is the
    front matter's; the digest is the page's description (the summary) and at most 120
    characters when it is; the author is the front matter's, else [wechat] author; id and date."""
    def check(aid, folder):
        meta = json.loads((folder / "meta.json").read_text("utf-8"))
        run = example if aid in {i.meta["id"] for i in example["report"].articles} else hostile
        url = meta["content_source_url"]
        path = run["public"] / urlsplit(url).path.lstrip("/") / "index.html"
        if not path.is_file():
            return [f"content_source_url {url} is no page of the site"]
        page = lxml.html.fromstring(path.read_bytes())
        found = []
        canonical = page.xpath('//link[@rel="canonical"]/@href')
        if canonical != [url]:
            found.append(f"content_source_url {url} is not the canonical {canonical}")
        source = (run["site"] / meta["source"]).read_text("utf-8")
        title = re.search(r'(?m)^title: *(.*)$', source).group(1).strip()
        title = title[1:-1] if title[:1] == title[-1:] == '"' else title
        if meta["title"] != title:
            found.append(f"title {meta['title']!r} ≠ {title!r}")
        description = page.xpath('//meta[@name="description"]/@content')
        if [meta["digest"]] != description:
            found.append(f"digest {meta['digest']!r} ≠ the page's description {description}")
        if len(description[0]) <= 120 < len(meta["digest"]):
            found.append(f"digest of {len(meta['digest'])} characters")
        author = re.search(r'(?m)^author: *(.*)$', source)
        want_author = author.group(1).strip() if author else "滨州科协" if run is example else ""
        if meta["author"] != want_author:                   # (the example's [wechat] author is 滨州科协)
            found.append(f"author {meta['author']!r} ≠ {want_author!r}")
        if not meta["digest"] or meta["id"] != aid or not meta["date"].startswith(folder.name[:10]):
            found.append(f"digest, id or date wrong: {meta}")
        return found
    check_all(exported, check)


def test_external_links_become_numbered_references(hostile):
    """A link off WeChat is its text and a [n] marker (one number per URL, in order of first
    appearance, a link to another article too); 参考链接 lists the URLs, numbered; a link to
    mp.weixin.qq.com stays a link."""
    root = fragment(folder_of(hostile, "h-text"))
    paragraphs = [text(p) for p in root.iter("p")]
    assert "开头一段，有外部链接[1]和同一个链接[1]，还有另一个[2]。" in paragraphs
    assert "站内文章：另一篇[3]。" in paragraphs
    kept = root.xpath("//a")
    assert [(a.get("href"), text(a)) for a in kept] == [("https://mp.weixin.qq.com/s/abcDEF123", "往期回顾")]
    heading = [h for h in root.iter("h3") if text(h) == "参考链接"]
    assert len(heading) == 1
    items = [text(p) for p in heading[0].itersiblings("p")]
    assert len(items) == len(TEXT_REFERENCES)
    for n, (item, url) in enumerate(zip(items, TEXT_REFERENCES), 1):
        assert item.startswith(f"[{n}] ") and item.endswith(url), (n, item)
    meta = json.loads((folder_of(hostile, "h-text") / "meta.json").read_text("utf-8"))
    assert [r["url"] for r in meta["references"]] == TEXT_REFERENCES


def test_footnotes_become_markers_and_notes(hostile, example):
    """Footnote references are [注n] (n counting from 1 in order; [n] are the links) and the notes
    a 注释 section of "注n：text" lines, without back-links."""
    root = fragment(folder_of(hostile, "h-text"))
    assert "这里有脚注[注1]，还有一个[注2]。" in [text(p) for p in root.iter("p")]
    heading = [h for h in root.iter("h3") if text(h) == "注释"]
    assert len(heading) == 1
    assert [text(p) for p in heading[0].itersiblings("p")] == ["注1：第一个脚注。", "注2：第二个脚注，带链接[4]。"]
    assert "↩" not in root.text_content()
    quantum = fragment(folder_of(example, "kyky-2024-0823"))
    notes = next(h for h in quantum.iter("h3") if text(h) == "注释")
    assert [text(p).startswith("注1：“量子优越性”也曾被译作") for p in notes.itersiblings("p")] == [True]


def test_formulas_show_their_tex_as_code(hostile, example):
    """An inline and a block formula each become <code> with the TeX source; no MathML left."""
    root = fragment(folder_of(hostile, "h-text"))
    codes = [c.text_content() for c in root.iter("code")]
    assert "x^2" in codes and "E = mc^2" in codes
    block = next(c for c in root.iter("code") if c.text_content() == "E = mc^2")
    assert block.getparent().tag == "p" and len(block.getparent()) == 1
    assert not root.xpath("//*[local-name()='math']")
    falling = fragment(folder_of(example, "ymlr-2024-1025-luoti"))
    assert r"h = \frac{1}{2} g t^2" in [c.text_content() for c in falling.iter("code")]


def test_code_block_keeps_lines_and_indentation(hostile):
    """The fenced code block reads back line for line: each line break a <br>, each space a
    no-break space (indentation, runs of spaces and blank lines kept), < & " as text."""
    pres = list(fragment(folder_of(hostile, "h-text")).iter("pre"))
    assert len(pres) == 1
    code = pres[0].find("code")
    assert code is not None and code.get("style")
    lines = [code.text or ""]
    for br in code:
        assert br.tag == "br"
        lines.append(br.tail or "")
    assert [line.replace("\u00a0", " ") for line in lines] == CODE
    assert all(" " not in line for line in lines)


def list_lines(root, first: str) -> list:
    """The list's lines (<p>) from the one whose text is `first` to the end of its box."""
    start = [p for p in root.iter("p") if text(p) == first]
    assert len(start) == 1, f"no line {first!r}: {[text(p) for p in root.iter('p')]}"
    box = start[0].getparent()
    lines = list(box.iterchildren("p"))
    return lines[lines.index(start[0]):]


def test_list_markers_are_text_and_nested_items_indented(hostile):
    """Lists are lines with their markers written out ("1. ", "• "), numbered from the list's
    start; a nested item is indented further than its parent (margin-left); a loose list's
    second paragraph is indented under its item."""
    root = fragment(folder_of(hostile, "h-text"))
    assert not root.xpath("//ul | //ol | //li")
    nested = list_lines(root, "1. 第一")[:6]
    assert [text(p) for p in nested] == ["1. 第一", "• 二层甲", "1. 三层一", "2. 三层二", "• 二层乙", "2. 第二"]
    depth = [margin_left_em(p) for p in nested]
    assert depth[0] == depth[5] < depth[1] == depth[4] < depth[2] == depth[3], depth
    assert [text(p) for p in list_lines(root, "3. 三")[:2]] == ["3. 三", "4. 四"]
    loose = list_lines(root, "• 松散一")[:3]
    assert [text(p) for p in loose] == ["• 松散一", "• 松散二", "第二段。"]
    assert margin_left_em(loose[2]) > margin_left_em(loose[1])


@pytest.mark.parametrize("first", ["☑ 做完了", "☑ 松散做完了"], ids=["tight", "loose"])
def test_task_list_boxes(hostile, first):
    """A task list's items start with ☑ (done) or ☐ (to do) instead of a bullet, in a tight
    list and in a loose one."""
    root = fragment(folder_of(hostile, "h-text"))
    lines = [text(p) for p in root.iter("p")]
    second = "☐ 没做" if first == "☑ 做完了" else "☐ 松散没做"
    assert first in lines and second in lines, [line for line in lines if "做" in line]
    assert not root.xpath("//input")


def test_table_cells_and_quote_are_styled(hostile):
    """The table keeps its cells, each with a border in its style; the column alignment stays."""
    root = fragment(folder_of(hostile, "h-text"))
    cells = root.xpath("//th | //td")
    assert [text(c) for c in cells] == ["名称", "数值", "甲", "1", "乙", "2"]
    assert all(dict(style_of(c)).get("border") for c in cells)
    assert dict(style_of(cells[3])).get("text-align") == "right"
    quote_ = root.xpath("//blockquote")
    assert len(quote_) == 1 and dict(style_of(quote_[0])).get("border-left")


def test_images_of_every_kind(hostile):
    """PNG, WebP, animated GIF, SVG and a 3 MB PNG each become a JPG or PNG under 1 MB in
    images/ (the same file once); the data: image is left out; the figure keeps its caption
    under the image, centred."""
    folder = folder_of(hostile, "h-media")
    root = fragment(folder)
    files = {image["src"]: image["file"] for image in json.loads((folder / "meta.json").read_text("utf-8"))["images"]}
    srcs = [files[img.get("src")] for img in root.iter("img")]
    assert len(srcs) == 6 and srcs[0] == srcs[5], srcs
    assert sorted(p.name for p in (folder / "images").iterdir()) == sorted({Path(s).name for s in srcs})
    shown = [img.get("src") for img in root.iter("img")]
    assert shown[0].startswith("https://kepu.example.cn/") and shown[1] == srcs[1], shown   # (as published / converted)
    assert [img.get("alt") for img in root.iter("img")] == ["一张 PNG", "一张 WebP", "一张 GIF 动图", "一张 SVG",
                                                          "一张大图", "带图注的图"]
    assert srcs[0].endswith(".png") and srcs[3].endswith(".png")
    caption = [p for p in root.iter("p") if text(p) == "这是图注"]
    assert len(caption) == 1
    assert caption[0].getprevious() is not None and caption[0].getprevious().tag == "img"
    assert dict(style_of(caption[0])).get("text-align") == "center"
    notes = next(i.notes for i in hostile["report"].articles if i.meta["id"] == "h-media")
    assert any("动图只保留第一帧" in n for n in notes), notes


def test_embeds_are_reported_and_leave_no_gap(hostile):
    """An <iframe> and a <video> in the Markdown: the site's sanitizer takes both out (the WeChat
    editor would drop them too), so the export says so at their lines and leaves no empty
    paragraph where they were."""
    root = fragment(folder_of(hostile, "h-media"))
    assert all(text(p) or len(p) for p in root.iter("p")), [text(p) for p in root.iter("p")]
    said = [(p.line, p.message) for p in hostile["report"].problems if p.path.endswith("media.md")]
    assert any("<iframe>" in m for _, m in said) and any("<video>" in m for _, m in said), said


# ------------------------------------------------------------------ 3. lints

LONG_TITLE = "这是一个非常非常长的标题用来测试公众号标题字节数的上限够了吗"    # 29 characters: 87 bytes
LONG_SUMMARY = "摘" * 121
IFRAME_BODY = "第一段。\n\n第二段。\n\n<iframe src=\"https://v.qq.com/x/page/abc.html\"></iframe>\n\n第三段。"
DATA_BODY = f"第一段。\n\n第二段。\n\n第三段。\n\n![内嵌图]({DATA_PNG})\n"


@pytest.fixture(scope="module")
def linted(work):
    site = write_site(work / "lints", {
        "site.toml": wechat_toml(cover=False),
        "content/kyky/title.md": article(LONG_TITLE, "2024-08-20", id="l-title", summary="短摘要。",
                                         cover="images/c.png"),
        "content/kyky/summary.md": article("摘要太长", "2024-08-21", id="l-summary", summary=LONG_SUMMARY,
                                           cover="images/c.png"),
        "content/kyky/iframe.md": article("有网页", "2024-08-22", id="l-iframe", body=IFRAME_BODY,
                                          cover="images/c.png"),
        "content/kyky/data.md": article("有内嵌图", "2024-08-23", id="l-data", body=DATA_BODY, cover="images/c.png"),
        "content/kyky/nocover.md": article("没有封面", "2024-08-24", id="l-nocover", summary="没有图片。"),
        "content/kyky/images/c.png": png_bytes(640, 480),
    })
    report = export(site, "wechat", [], since=SINCE, out_dir=work / "lints-wechat", now=NOW)
    return site, report


def line_in(site: Path, rel: str, needle: str) -> int:
    lines = (site / rel).read_text("utf-8").splitlines()
    found = [n for n, line in enumerate(lines, 1) if needle in line]
    assert len(found) == 1, (rel, needle, found)
    return found[0]


@pytest.mark.parametrize("rel, needle, words", [
    ("content/kyky/title.md", "title:", ("标题", "64")),
    ("content/kyky/summary.md", "summary:", ("摘要", "120")),
    ("content/kyky/iframe.md", "<iframe", ("<iframe>",)),
    ("content/kyky/data.md", "data:image", ("data:",)),
    ("content/kyky/nocover.md", "---", ("封面",)),
], ids=["title-over-64-bytes", "summary-over-120-chars", "iframe", "data-image", "no-cover"])
def test_lint_at_path_and_line(linted, rel, needle, words):
    """Each WeChat problem is a warning at the file and line an editor has to open: the title's
    line, the summary's, the <iframe>'s, the data: image's; no cover (no cover key, no image, no
    [wechat] cover): the front matter's first line."""
    site, report = linted
    line = line_in(site, rel, needle) if needle != "---" else 1
    mine = [p for p in report.problems if p.path == rel]
    hits = [p for p in mine if all(w in p.message for w in words)]
    assert hits, f"no warning with {words} for {rel}: {[p.format() for p in mine]}"
    assert [(p.line, p.severity) for p in hits] == [(line, "warning")], [p.format() for p in hits]
    others = [p for p in mine if p not in hits]
    assert not others, [p.format() for p in others]


# ------------------------------------------------------------------ 4. 学习强国

def test_xuexi_article_has_no_style_and_real_lists(xuexi):
    """学习强国's article.html is a whole document without any style attribute (nor <style>),
    with the title as <h1>, and keeps real nested <ol>/<ul>."""
    for report, out in xuexi.values():
        assert report.articles
        for item in report.articles:
            raw = (out / item.folder / "article.html").read_text("utf-8")
            assert raw.startswith("<!DOCTYPE html>")
            doc = lxml.html.document_fromstring(raw)
            assert not doc.xpath("//@style | //style | //script | //@class | //@id"), item.folder
            assert [text(h) for h in doc.iter("h1")] == [item.meta["title"]]
            assert not doc.xpath("//a[not(starts-with(@href, 'https://mp.weixin.qq.com/'))]")
    report, out = xuexi["hostile"]
    doc = lxml.html.document_fromstring(
        (out / next(i.folder for i in report.articles if i.meta["id"] == "h-text") / "article.html").read_bytes())
    assert doc.xpath("//ol/li/ul/li/ol/li")
    assert [text(li) for li in doc.xpath("//ol/li/ul/li/ol/li")] == ["三层一", "三层二"]
    assert doc.xpath("//ul/li[p[text()='松散一']]")
    assert "\n        return" in "".join(doc.xpath("//pre//text()"))


def test_xuexi_ordered_list_keeps_its_start(xuexi):
    """An ordered list starting at 3 still starts at 3 in 学习强国's HTML (its real <ol> keeps
    start="3")."""
    report, out = xuexi["hostile"]
    doc = lxml.html.document_fromstring(
        (out / next(i.folder for i in report.articles if i.meta["id"] == "h-text") / "article.html").read_bytes())
    lists = [ol for ol in doc.iter("ol") if [text(li) for li in ol.findall("li")] == ["三", "四"]]
    assert len(lists) == 1
    assert lists[0].get("start") == "3", lxml.html.tostring(lists[0], encoding="unicode")


def test_xuexi_zip_is_the_folder_and_the_same_each_time(xuexi, hostile, work):
    """Each article's <folder>.zip holds exactly the folder's files, named <folder>/<file>, with
    the same bytes, stamped with the article's date (not the time of the export); a second
    export (into another folder, a day later) gives a byte-identical zip."""
    report, out = xuexi["hostile"]
    again = export(hostile["site"], "xuexi", [], since=SINCE, out_dir=work / "hostile-xuexi-2", now="2026-12-02 12:00")
    assert [i.folder for i in again.articles] == [i.folder for i in report.articles]
    for item in report.articles:
        folder = out / item.folder
        zipped = out / f"{item.folder}.zip"
        files = {f"{item.folder}/{k}": v for k, v in read_tree(folder).items()}
        with zipfile.ZipFile(zipped) as z:
            assert sorted(z.namelist()) == sorted(files)
            assert {n: z.read(n) for n in z.namelist()} == files
            day = item.folder[:10]
            assert {"{:04d}-{:02d}-{:02d}".format(*i.date_time[:3]) for i in z.infolist()} == {day}, item.folder
        assert (work / "hostile-xuexi-2" / zipped.name).read_bytes() == zipped.read_bytes()


# ------------------------------------------------------------------ 5. never overwrite

FOLDER = "2024-08-22-大模型是怎样“学会”说话的"
OLD = 978_307_200                                # 2001-01-01: any rewrite gives a new mtime


def test_a_file_changed_by_hand_is_kept_and_reported(tmp_path):
    """Export, edit article.html by hand, export again: the edit is still there, it is reported
    (warning naming the file), and no file is rewritten (same bytes, same mtime)."""
    site = copy_example(tmp_path / "site")
    out = tmp_path / "out"
    first = export(site, "wechat", ["kyky-2024-0822"], out_dir=out, now=NOW)
    assert [i.folder for i in first.articles] == [FOLDER]
    assert set(first.written.written) >= {f"{FOLDER}/article.html", f"{FOLDER}/meta.json", f"{FOLDER}/preview.html"}
    edited = out / FOLDER / "article.html"
    edited.write_text(edited.read_text("utf-8").replace("</section>", "<p>编辑加的一段。</p></section>", 1), "utf-8")
    mine = edited.read_bytes()
    for path in out.rglob("*"):
        os.utime(path, (OLD, OLD))
    second = export(site, "wechat", ["kyky-2024-0822"], out_dir=out, now=NOW)
    assert edited.read_bytes() == mine
    assert second.written.written == ()
    assert sorted(second.written.unchanged) == sorted(f for f in first.written.written
                                                      if f not in (f"{FOLDER}/article.html", f"{FOLDER}/preview.html"))
    kept = [p for p in second.problems if p.path == str(edited)]
    assert len(kept) == 1 and kept[0].severity == "warning" and "没有覆盖" in kept[0].message
    # the preview copies article.html: it is kept with it, and said (it would copy the other version)
    preview = [p for p in second.problems if p.path == str(out / FOLDER / "preview.html")]
    assert len(preview) == 1 and "article.html 是你改过的版本" in preview[0].message
    for path in (out / FOLDER).rglob("*"):
        assert path.stat().st_mtime == OLD, path


def test_a_file_as_written_is_updated_when_the_article_changes(tmp_path):
    """A file still as the tool wrote it is written again when the article changes."""
    site = copy_example(tmp_path / "site")
    out = tmp_path / "out"
    export(site, "wechat", ["kyky-2024-0822"], out_dir=out, now=NOW)
    source = site / "content/kyky/da-moxing.md"
    source.write_text(source.read_text("utf-8") + "\n改过的最后一段。\n", "utf-8")
    again = export(site, "wechat", ["kyky-2024-0822"], out_dir=out, now=NOW)
    assert f"{FOLDER}/article.html" in again.written.written
    assert "改过的最后一段。" in (out / FOLDER / "article.html").read_text("utf-8")
    assert not again.written.kept


def test_a_file_not_written_by_the_tool_is_not_overwritten(tmp_path):
    """A file already in the target path that the tool did not write is left as it is and
    reported; the article's other files are written."""
    site = copy_example(tmp_path / "site")
    out = tmp_path / "out"
    theirs = out / FOLDER / "meta.json"
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(b'{"mine": true}\n')
    report = export(site, "wechat", ["kyky-2024-0822"], out_dir=out, now=NOW)
    assert theirs.read_bytes() == b'{"mine": true}\n'
    assert [p.path for p in report.problems if p.path == str(theirs)] == [str(theirs)]
    assert f"{FOLDER}/article.html" in report.written.written and (out / FOLDER / "article.html").is_file()
    assert f"{FOLDER}/meta.json" not in report.written.written


# ------------------------------------------------------------------ 6. determinism

def test_two_exports_give_identical_trees(example, hostile, work):
    """The same site exported into fresh folders (also from a fresh copy of the site, nothing
    cached) gives byte-identical trees, .kexie-export.json included."""
    fresh = copy_example(work / "example-again")
    trees = [read_tree(example["out"])]
    for n, site in enumerate((example["site"], fresh)):
        export(site, "wechat", [], since=SINCE, out_dir=work / f"det-example-{n}", now=NOW)
        trees.append(read_tree(work / f"det-example-{n}"))
    assert len(trees[0]) > 50
    assert trees[1] == trees[0] and trees[2] == trees[0]
    export(hostile["site"], "wechat", [], since=SINCE, out_dir=work / "det-hostile", now=NOW)
    assert read_tree(work / "det-hostile") == read_tree(hostile["out"])


# ------------------------------------------------------------------ 7. the copy button in Chromium

READ_CLIPBOARD = """async () => {
  const out = {};
  for (const item of await navigator.clipboard.read())
    for (const type of item.types) out[type] = await (await item.getType(type)).text();
  return out;
}"""


@pytest.mark.parametrize("article_id", ["kyky-2024-0822", "h-text", "kyky-2024-0903"],
                         ids=["plain", "code-lists-references", "with-image"])
def test_copy_button_puts_article_html_on_the_clipboard(browser, exported, article_id):  # noqa: F811
    """preview.html opened from disk, as an editor opens it: the 复制到公众号 button, pressed by
    keyboard (focus + Enter) and by a click, puts exactly article.html on the clipboard as
    text/html; no console error, no request outside the article's folder.

    file:// rather than http: the page is opened from the file system by the editor (and an
    http server would add a /favicon.ico 404 to the console). Clipboard permissions are granted
    for every origin (a file:// page's origin is opaque)."""
    folder = exported[article_id]
    want = (folder / "article.html").read_text("utf-8")
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    errors, foreign = [], []
    inside = folder.resolve().as_uri() + "/"
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(inside) else None)
    try:
        page.goto((folder / "preview.html").resolve().as_uri())
        button = page.locator("#copy")
        assert button.inner_text() == "复制到公众号"
        for press in ("keyboard", "click"):
            page.evaluate("navigator.clipboard.writeText('')")
            page.evaluate("document.getElementById('status').textContent = ''")
            if press == "keyboard":
                button.focus()
                page.keyboard.press("Enter")
            else:
                button.click()
            page.wait_for_function("document.getElementById('status').textContent !== ''")
            assert page.locator("#status").inner_text().startswith("已复制"), press
            got = page.evaluate(READ_CLIPBOARD)
            assert "text/html" in got, (press, got.keys())
            html = got["text/html"]
            # Chromium may put <meta charset="utf-8"> before the fragment it writes: only that is
            # taken off; anything else it changes is a difference.
            html = html.removeprefix('<meta charset="utf-8">')
            if html != want:
                sm = difflib.SequenceMatcher(None, want, html, autojunk=False)
                diffs = [f"{op} {want[i1:i2][:80]!r} → {html[j1:j2][:160]!r}"
                         for op, i1, i2, j1, j2 in sm.get_opcodes() if op != "equal"]
                pytest.fail(f"{press}: the clipboard's text/html is not article.html:\n" + "\n".join(diffs[:12]))
        assert not errors, errors
        assert not foreign, foreign
    finally:
        context.close()


# ------------------------------------------------------------------ 8. the command line

def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kexie_site", "export", *args], check=False, cwd=cwd,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.fixture(scope="module")
def cli_site(work) -> Path:
    return copy_example(work / "cli-site")


def test_cli_exports_an_article_by_path(cli_site, tmp_path):
    """`export wechat content/kyky/da-moxing.md --site … --output …` exits 0, prints the
    article's folder and writes it."""
    out = tmp_path / "out"
    done = run_cli("wechat", "content/kyky/da-moxing.md", "--site", str(cli_site), "--output", str(out),
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{FOLDER}/" in done.stdout
    assert sorted(p.name for p in (out / FOLDER).iterdir()) == ["article.html", "cover.png", "meta.json", "preview.html"]


@pytest.mark.parametrize("name", ["content/kyky/no-such.md", "no-such-id"])
def test_cli_unknown_article(cli_site, tmp_path, name):
    """An article name that is nothing exits 1 with 找不到这篇文章 as a path:line message, and
    writes nothing."""
    out = tmp_path / "out"
    done = run_cli("wechat", name, "--site", str(cli_site), "--output", str(out), cwd=tmp_path)
    assert done.returncode == 1
    assert re.search(rf"(?m)^{re.escape(name)}:\d+: 错误 error: 找不到这篇文章", done.stderr), done.stderr
    assert not out.exists()


@pytest.mark.parametrize("name", ["content/yimuliaoran-kepu-hui/jieyue-yongshui.md", "ymlr-2024-1010"], ids=["path", "id"])
def test_cli_refuses_a_draft(cli_site, tmp_path, name):
    """A draft named explicitly (by path or by id) is refused: exit 1, a message saying it is a
    draft (草稿), nothing written."""
    out = tmp_path / "out"
    done = run_cli("wechat", name, "--site", str(cli_site), "--output", str(out), cwd=tmp_path)
    assert done.returncode == 1
    assert "草稿" in done.stderr and "找不到" not in done.stderr, done.stderr
    assert not out.exists()


def test_a_scheduled_article_is_exported_with_a_warning(cli_site, tmp_path):
    """A scheduled article (dated after now) can be prepared for WeChat ahead of time, but the
    export says at its date line that 阅读原文 will not open before the site publishes it."""
    out = tmp_path / "out"
    done = run_cli("wechat", "content/kyky/renxing-jiqiren.md", "--site", str(cli_site), "--output", str(out),
                   "--now", "2026-12-01 12:00", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert re.search(r"content/kyky/renxing-jiqiren\.md:3: 警告 warning: 定时发布的文章", done.stderr), done.stderr


def test_an_image_with_too_many_pixels_is_refused_in_chinese(monkeypatch):
    """Pillow's decompression-bomb guard is an image refused with a reason, not a crash of
    check (it is neither an OSError nor a ValueError)."""
    from PIL import Image

    from kexie_site.wximages import ImageRefused, for_wechat
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), "white").save(buf, "WEBP")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 20_000)          # 60,000 pixels: over twice the limit
    with pytest.raises(ImageRefused, match="像素太多"):
        for_wechat(buf.getvalue(), 1_000_000)


def test_an_opaque_picture_with_an_alpha_channel_becomes_a_jpg():
    """A screenshot saved as RGBA that uses no transparency is a photo: JPG at full width, not
    a PNG shrunk until it fits."""
    from PIL import Image

    from kexie_site.wximages import for_wechat
    random.seed(7)
    noise = Image.effect_noise((1600, 1000), 80).convert("RGB").convert("RGBA")
    buf = io.BytesIO()
    noise.save(buf, "PNG")
    assert len(buf.getvalue()) > 1_000_000
    made = for_wechat(buf.getvalue(), 1_000_000)
    assert made.ext == "jpg" and Image.open(io.BytesIO(made.data)).width == 1600


def test_by_default_only_the_columns_marked_for_wechat_are_exported(tmp_path):
    """With no article named, export wechat takes the last days' articles of the columns marked
    wechat = true only (a column that does not go to WeChat is not exported, nor warned about)."""
    site = copy_example(tmp_path / "site")
    toml = (site / "site.toml").read_text("utf-8")
    (site / "site.toml").write_text(toml.replace('description = "一图、一表、一清单：三分钟看懂一个生活里的科学问题。"\nwechat = true',
                                                 'description = "一图、一表、一清单：三分钟看懂一个生活里的科学问题。"'), "utf-8")
    since = datetime.fromisoformat("2024-01-01T00:00:00+08:00")
    report = export(site, "wechat", [], since=since, out_dir=tmp_path / "out", now=NOW)
    columns = {json.loads(dict(a.files)["meta.json"])["column"] for a in report.articles}
    assert columns == {"科言科语"}


@pytest.mark.parametrize("inside", ["content", "public", "."])
def test_an_export_into_the_site_s_own_folders_is_refused(tmp_path, inside):
    site = copy_example(tmp_path / "site")
    from kexie_site.errors import BuildFailed
    with pytest.raises(BuildFailed) as failed:
        export(site, "wechat", ["kyky-2024-0822"], out_dir=site / inside / "wx" if inside != "." else site, now=NOW)
    assert failed.value.problems[0].path == "--output"
    assert not (site / "content" / "wx").exists()
