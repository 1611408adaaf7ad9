"""An article made into what the WeChat official account's editor (公众号) keeps when it is pasted,
and into the plain HTML 学习强国 takes: pure functions over the article's HTML as the site
publishes it.

What the WeChat editor keeps (and what established tools such as mdnice, doocs/md and wenyan do
about it): only inline `style` attributes (no <style>, class or id): the theme's wechat.css is
inlined (css-inline) and the classes removed. No links off mp.weixin.qq.com: each becomes its text
with a [n] marker, the URLs listed at the end under 参考链接 (the article's own URL goes in 原文链接,
meta.json's content_source_url). Line breaks inside <pre> are dropped: code gets <br> and &nbsp;.
Nested lists get extra bullets: list markers are written as text. Formulas: MathML does not
survive the editor, so the TeX source (the formula's alttext) is shown as code.
Footnotes become [n] markers and a 注释 list; task-list boxes ☑/☐; what the editor drops (video,
iframe, forms, inline SVG) is replaced by a line pointing to the original and reported.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urljoin, urlsplit

import lxml.html

WECHAT_HOSTS = ("mp.weixin.qq.com",)
DROPPED = {"iframe": "视频或网页", "video": "视频", "audio": "音频", "object": "嵌入内容", "embed": "嵌入内容",
           "canvas": "画布", "form": "表单", "button": "按钮", "select": "表单", "textarea": "表单", "svg": "矢量图",
           "input": "表单"}
GONE = ("script", "style", "template", "noscript", "link", "meta")
KEPT_ATTRIBUTES = {"style", "src", "alt", "href", "colspan", "rowspan", "start", "class"}   # (class: until inlined)


@dataclass(frozen=True)
class Converted:
    html: str                           # one root <section>
    references: tuple[tuple[str, str], ...]   # (URL, link text) listed under 参考链接, by number
    images: tuple[str, ...]             # each <img>'s src as the site published it, in order
    dropped: tuple[str, ...]            # the elements the editor would drop (replaced by a line), by tag
    data_images: int                    # images given as data: URIs (the editor refuses them): left out
    text_chars: int                     # characters of text (what the editor's 20,000 counts)


def convert(body_html: str, page_url: str, image_src: Callable[[str], str], css: str | None) -> Converted:
    """The article body for WeChat (`css`: the stylesheet inlined, lists and code made
    paste-proof) or, with css None, the plain HTML for 学习强国 (no style at all; real lists and
    <pre> kept). `image_src(src)` names an image as it is exported; `page_url` resolves
    relative links."""
    root = lxml.html.fragment_fromstring(body_html or "", create_parent="section")
    for gone in root.xpath("|".join(f"//{t}" for t in GONE)):
        _remove(gone)
    _formulas(root)
    _footnotes(root)
    _task_boxes(root)
    dropped = _dropped(root)
    references = _links(root, page_url)
    images, data_images = _images(root, image_src)
    _figures(root)
    if css is not None:
        _lists(root)
        _code(root)
    for table in list(root.iter("table")):
        _wrap(table, "wx-table")
    for p in list(root.iter("p")):
        if not len(p) and not (p.text or "").strip():
            _remove(p)                               # (an empty paragraph shows as a gap)
    if references:
        root.append(_reference_list(references))
    for el in root.iter():
        if isinstance(el.tag, str):
            for name in [n for n in el.attrib if n not in KEPT_ATTRIBUTES or (n == "style" and css is None)]:
                del el.attrib[name]
    root.set("class", "wx-article")
    html = lxml.html.tostring(root, encoding="unicode")
    if css is not None:
        import css_inline
        html = css_inline.inline_fragment(html, css, load_remote_stylesheets=False)
    html = _without_classes(html)
    return Converted(html, tuple(references), tuple(images), tuple(dropped), data_images, text_chars(html))


def text_chars(html: str) -> int:
    text = lxml.html.fragment_fromstring(html, create_parent="div").text_content()
    return len(re.sub(r"\s+", "", text))


def _remove(el) -> None:
    """An element out, its tail text kept in place."""
    el.drop_tree()


def _replace(el, new) -> None:
    new.tail = el.tail
    el.getparent().replace(el, new)


def _element(tag: str, text: str = "", cls: str = "", **attrs):
    el = lxml.html.Element(tag, **attrs)
    if cls:
        el.set("class", cls)
    el.text = text or None
    return el


def _unwrap(el) -> None:
    """An element's content in its place, without the element."""
    el.drop_tag()


def _formulas(root) -> None:
    for math in list(root.iter("{http://www.w3.org/1998/Math/MathML}math", "math")):
        source = math.get("alttext") or " ".join(math.itertext()).strip()
        if math.get("display") == "block":
            block = _element("p", "", "wx-formula")
            block.append(_element("code", source or ""))
            _replace(math, block)
        else:
            _replace(math, _element("code", source or "", "wx-formula-inline"))


def _footnotes(root) -> None:
    for sup in root.xpath('//sup[contains(concat(" ", @class, " "), " footnote-ref ")]'):
        _replace(sup, _element("sup", f"[注{sup.text_content().strip()}]", "wx-note-mark"))   # ([1] are the links)
    for hr in root.xpath('//hr[contains(concat(" ", @class, " "), " footnotes-sep ")]'):
        _remove(hr)
    for notes in root.xpath('//section[contains(concat(" ", @class, " "), " footnotes ")]'):
        box = _element("section", "", "wx-notes")
        box.append(_element("h3", "注释", "wx-notes-title"))
        for n, item in enumerate(notes.xpath('.//li[contains(concat(" ", @class, " "), " footnote-item ")]'), 1):
            for back in item.xpath('.//a[contains(concat(" ", @class, " "), " footnote-backref ")]'):
                _remove(back)
            line = _element("p", f"注{n}：", "wx-note")
            _adopt_inline(line, item)
            box.append(line)
        _replace(notes, box)


def _adopt_inline(target, source) -> None:
    """The content of `source` (an item: text and paragraphs) appended to `target`, paragraphs
    run together."""
    parts = [source] if not len(source) or source[0].tag not in ("p",) else list(source)
    for part in parts:
        if part is not source and part.tag != "p":
            target.append(part)
            continue
        if target.text is not None or len(target):
            _append_text(target, part.text or "")
        else:
            target.text = part.text
        for child in list(part):
            target.append(child)
    if len(target):
        target[-1].tail = (target[-1].tail or "").rstrip()
    else:
        target.text = (target.text or "").rstrip()


def _append_text(el, text: str) -> None:
    if len(el):
        el[-1].tail = (el[-1].tail or "") + text
    else:
        el.text = (el.text or "") + text


def _task_boxes(root) -> None:
    for box in root.xpath('//input[@type="checkbox"]'):
        mark = "☑ " if box.get("checked") is not None else "☐ "
        parent = box.getparent()
        index = parent.index(box)
        text = mark + (box.tail or "").lstrip()
        if index == 0:
            parent.text = (parent.text or "") + text
        else:
            parent[index - 1].tail = (parent[index - 1].tail or "") + text
        parent.remove(box)
    for label in list(root.iter("label")):
        _unwrap(label)


def _dropped(root) -> list[str]:
    found = []
    for el in list(root.iter(*DROPPED)):
        if el.getparent() is None or not isinstance(el.tag, str):
            continue
        found.append(el.tag)
        _replace(el, _element("p", f"（此处的{DROPPED[el.tag]}在公众号里显示不了，请点“阅读原文”查看）", "wx-dropped"))
    for details in list(root.iter("details")):
        for summary in details.findall("summary"):
            summary.tag = "p"
            summary.set("class", "wx-summary")
        details.tag = "section"
    return found


def _links(root, page_url: str) -> list[tuple[str, str]]:
    """Each link off WeChat as its text and a [n] marker; the (URL, text) by number."""
    references: list[tuple[str, str]] = []
    for a in list(root.iter("a")):
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#"):
            _unwrap(a)
            continue
        url = urljoin(page_url, href)
        host = urlsplit(url).hostname or ""
        if host in WECHAT_HOSTS:
            a.attrib.pop("rel", None)
            continue
        text = " ".join(a.text_content().split())
        numbers = [n for n, (u, _) in enumerate(references, 1) if u == url]
        if not numbers:
            references.append((url, text))
            numbers = [len(references)]
        mark = _element("sup", f"[{numbers[0]}]", "wx-ref-mark")
        parent, index = a.getparent(), a.getparent().index(a)
        mark.tail = a.tail
        a.tail = None
        parent.insert(index + 1, mark)
        _unwrap(a)
    return references


def _reference_list(references: list[tuple[str, str]]):
    box = _element("section", "", "wx-refs")
    box.append(_element("h3", "参考链接", "wx-refs-title"))
    for n, (url, text) in enumerate(references, 1):
        shown = shown_url(url)
        label = f"{text}: " if text and text not in (url, shown) else ""
        box.append(_element("p", f"[{n}] {label}{shown}", "wx-ref"))
    return box


def shown_url(url: str) -> str:
    """A URL as a reader reads it: Chinese not percent-encoded, an e-mail or phone number
    without its scheme."""
    from urllib.parse import unquote

    for scheme in ("mailto:", "tel:"):
        if url.startswith(scheme):
            return unquote(url[len(scheme):])
    return unquote(url)


def _images(root, image_src: Callable[[str], str]) -> tuple[list[str], int]:
    images, data = [], 0
    for picture in list(root.iter("picture")):
        img = picture.find(".//img")
        if img is None:
            _remove(picture)
        else:
            _replace(picture, img)
    for source in list(root.iter("source")):
        _remove(source)
    for img in list(root.iter("img")):
        src = (img.get("src") or "").strip()
        if src.startswith("data:") or not src:
            data += src.startswith("data:")
            _remove(img)
            continue
        images.append(src)
        img.set("src", image_src(src))
    return images, data


def _figures(root) -> None:
    for caption in list(root.iter("figcaption")):
        caption.tag = "p"
        caption.set("class", "wx-caption")
    for figure in list(root.iter("figure")):
        figure.tag = "section"
        figure.set("class", "wx-figure")


def _lists(root) -> None:
    """Lists as paragraphs with their markers written out (the editor adds bullets of its own
    to nested lists), indented by depth."""
    for lst in [el for el in root.iter("ul", "ol") if not _has_list_ancestor(el)]:
        box = _element("section", "", "wx-list")
        for p in _list_lines(lst, 0):
            box.append(p)
        _replace(lst, box)


def _has_list_ancestor(el) -> bool:
    return any(a.tag in ("ul", "ol") for a in el.iterancestors())


def _list_lines(lst, depth: int) -> list:
    lines = []
    start = lst.get("start")
    number = int(start) if start and start.lstrip("-").isdigit() else 1
    for li in lst.findall("li"):
        first = li.text if (li.text or "").strip() or not len(li) or li[0].tag != "p" else li[0].text
        task = (first or "").lstrip().startswith(("☑", "☐"))
        marker = f"{number}. " if lst.tag == "ol" else "" if task else "• "
        number += 1
        line = _element("p", marker + (li.text or "").strip(), "wx-li", **_indent(depth))
        nested, blocks = [], []
        for child in list(li):
            if child.tag in ("ul", "ol"):
                nested.append(child)
            elif child.tag == "p" and not blocks and not len(line) and line.text == marker:
                tail = child.tail                       # a loose list's first paragraph: the item's line
                _adopt_inline(line, child)
                _append_text(line, (tail or "").strip())
            elif child.tag in BLOCKS:
                child.attrib.update(_indent(depth + 1))
                blocks.append(child)
            else:
                line.append(child)
        if len(line):
            line[-1].tail = (line[-1].tail or "").rstrip() or None
        lines.append(line)
        lines.extend(blocks)
        for sub in nested:
            lines.extend(_list_lines(sub, depth + 1))
    return lines


def _indent(depth: int) -> dict:
    return {"style": f"margin-left: {depth * 1.5:g}em"} if depth else {}


BLOCKS = ("p", "div", "section", "blockquote", "pre", "table", "figure", "h2", "h3", "h4", "h5", "h6", "hr")


def _code(root) -> None:
    """Code blocks with each line break a <br> and each space a no-break space (the editor drops
    the line breaks of <pre> and runs spaces together)."""
    for pre in list(root.iter("pre")):
        text = pre.text_content().rstrip("\n")
        code = _element("code", "")
        lines = text.replace("\t", "    ").split("\n")
        code.text = lines[0].replace(" ", "\u00a0")
        for line in lines[1:]:
            br = _element("br")
            code.append(br)
            br.tail = line.replace(" ", "\u00a0")
        fresh = _element("pre", "", "wx-code")
        fresh.append(code)
        _replace(pre, fresh)


def _wrap(el, cls: str) -> None:
    box = _element("section", "", cls)
    el.getparent().replace(el, box)
    box.tail, el.tail = el.tail, None
    box.append(el)


CLASS_ATTR_RE = re.compile(r'\sclass="[^"]*"')


def _without_classes(html: str) -> str:
    """No class attribute left (the editor drops them; their look is inline now), and each
    no-break space written as &nbsp; (what the editor keeps)."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for el in root.iter():
        if isinstance(el.tag, str):
            el.attrib.pop("class", None)
    inner = "".join(lxml.html.tostring(child, encoding="unicode") for child in root)
    return inner.replace("\u00a0", "&nbsp;")
