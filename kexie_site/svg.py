"""SVG images are cleaned before they are published: an SVG is a document that can run script.

An SVG opened on the site's own origin (a link to the file, "open image in new tab") runs its
`<script>` and `onload` with the site's cookies and storage, so `clean_svg` removes everything
that can run or reach out and keeps everything else as it was:

- `<script>` (in any namespace; also SVG Tiny's `<handler>`), `<foreignObject>` (it embeds HTML),
  every element in the XHTML namespace (an `<h:iframe src="javascript:…">` runs anywhere in an
  XML document) and every processing instruction (`<?xml-stylesheet?>` can apply XSLT);
- every `on*` event attribute;
- `href` / `xlink:href` values other than a same-document `#fragment`: `javascript:`,
  `vbscript:`, `data:` (a `data:image/png|jpeg|gif|webp` picture in an `<image>` is kept),
  `http:`, `https:`, `//host/…` and relative references to other files alike; an `<a>` is a
  link, not a load, so its `href` may also be `http(s):`, `mailto:`, `tel:` or relative;
  `<use>`, `<image>` and `<feImage>` that point outside the document are removed whole;
  `xml:base`;
- `<style>` elements with `@import`, a `url()` to anything but `#…` (or a raster `data:image`),
  `image-set()`/`image()`/`src()`, `expression()`, `-moz-binding` or `behavior:`; `style`
  attributes with the same; other attributes (`fill`, `filter`, `mask`, `cursor`, an
  animation's `to`/`values` …) with such a `url()`; CSS escapes (`\\75 rl(`) are read first;
- `<set>`/`<animate>` (any element with `attributeName`) that set `href` or an `on*` attribute;
- the `<!DOCTYPE>` (its internal subset can give attributes defaults, such as an `onload`).

Refused (`None` and one reason): bytes over 10 MB, anything that is not well-formed XML, a root
element other than `<svg>` (in the SVG namespace or without one), documents nested deeper than
256 elements, and documents that declare or use entities (a "billion laughs" DTD is refused,
never expanded). Nothing is fetched and no file is read: external DTDs and entities are not
loaded. The module does no I/O; the caller reads and writes the files and reports the reasons.
"""
from __future__ import annotations

import re

from lxml import etree

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 256

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XHTML_NS = "http://www.w3.org/1999/xhtml"
XML_NS = "http://www.w3.org/XML/1998/namespace"

SCRIPT_ELEMENTS = {"script", "handler"}
LOADING_ELEMENTS = {"use", "image", "feimage"}          # removed whole when they point outside
LINK_SCHEMES = ("http:", "https:", "mailto:", "tel:")  # what an <a> may link to, besides #…

URL_JUNK_RE = re.compile(r"[\t\n\r]")                  # browsers remove these anywhere in a URL
URL_EDGE = "".join(map(chr, range(0x21)))              # … and strip C0 controls and spaces around it
SCHEME_RE = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.I)
DATA_IMAGE_RE = re.compile(r"^data:image/(?:png|jpeg|gif|webp)[;,]", re.I)
# an embedded font (@font-face) runs nothing and loads nothing
DATA_FONT_RE = re.compile(r"^data:(?:font/[\w.+-]+|application/(?:x-)?font-[\w.+-]+)[;,]", re.I)

CSS_ESCAPE_RE = re.compile(r"\\(?:([0-9a-fA-F]{1,6})[ \t\n\r\f]?|(.))", re.S)
CSS_URL_RE = re.compile(r"url\(\s*(['\"]?)\s*([^'\")\s]*)", re.I)
CSS_LOADING_FUNCTION_RE = re.compile(r"(?<![\w-])(?:-webkit-)?(?:image-set|image|cross-fade|src)\s*\(", re.I)
CSS_IMPORT_RE = re.compile(r"@import\b", re.I)
CSS_CODE_RE = re.compile(r"expression\s*\(|-moz-binding|(?<![\w-])behavior\s*:", re.I)

DECLARATION_RE = re.compile(r"<\?xml[ \t\r\n]")
ENTITY_ERROR_RE = re.compile(r"amplification|entity reference loop|Entity '[^']*' not defined|PEReference", re.I)
SYNTAX_TAIL_RE = re.compile(r"(?:, line \d+, column \d+)?\s*(?:\(<string>, line \d+\))?\s*$")


def clean_svg(data: bytes) -> tuple[bytes | None, tuple[str, ...]]:
    """The SVG without anything that can run or reach out, and what was removed (short Chinese +
    English descriptions, each once, with a count when it was removed more than once).

    Nothing removed: the input itself and `()`, so an unchanged file need not be rewritten.
    Not a well-formed SVG document (or too big, too deep, with entities): `None` and one reason.
    Never raises for any bytes: what cannot be checked is refused (fail closed)."""
    data = bytes(data)
    if len(data) > MAX_BYTES:
        limit = MAX_BYTES // (1024 * 1024)
        return None, (f"SVG 文件太大：{len(data)} 字节，上限 {limit} MB (SVG larger than the {limit} MB limit)",)
    try:
        data, expanded = _simple_entities(data)
        cleaned, notes = _clean(data)
        if expanded and cleaned is not None:       # the DOCTYPE that held them goes too
            notes = notes if any("DOCTYPE" in n for n in notes) else (*notes, DOCTYPE_NOTE)
        return cleaned, notes
    except Exception as exc:           # noqa: BLE001 -- never raise on hostile bytes: refuse instead
        return None, (f"无法检查这个 SVG，不发布它 (could not check this SVG: {type(exc).__name__}: {exc})",)


def has_script(data: bytes) -> bool:
    """True when `clean_svg` would remove something from these bytes or refuse them: for files
    under static/, which are published as they are, with a warning naming them."""
    cleaned, reasons = clean_svg(data)
    return cleaned is None or bool(reasons)


# ------------------------------------------------------------------ parsing


class _LoadNothing(etree.Resolver):
    """Any external DTD or entity libxml2 might try to load resolves to nothing: no file, no network."""

    def resolve(self, url, pubid, context):
        return self.resolve_string("", context)


def _parser() -> etree.XMLParser:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                             remove_comments=False, remove_pis=False, strip_cdata=False)
    parser.resolvers.add(_LoadNothing())
    return parser                      # a new one per call: parsers are not shared between threads


def _refusal(exc: etree.XMLSyntaxError) -> str:
    message = SYNTAX_TAIL_RE.sub("", str(exc)) or "syntax error"
    if ENTITY_ERROR_RE.search(message):
        return ENTITIES
    if "Excessive depth" in message:
        return DEPTH
    line, column = (getattr(exc, "position", None) or (0, 0))[:2]
    where = f"第 {line} 行第 {column} 列 " if line else ""
    where_en = f"line {line}, column {column}: " if line else ""
    return f"不是格式正确的 SVG（XML 有错：{where}{message}）(not a well-formed SVG document: {where_en}{message})"


# Illustrator's "Save As SVG" declares a few entities for namespace URIs (&ns_ai; …) and uses
# them in attributes: plain short text, no markup, no references. Those are put in place before
# parsing; any other entity (nested, external, parameter, long) still refuses the file.
SIMPLE_DOCTYPE_RE = re.compile(rb"<!DOCTYPE\s+svg\b[^\[>]*\[((?:\s|<!ENTITY\s+[A-Za-z_][\w.-]*\s+\"[^\"&%<]{0,512}\"\s*>|<!--(?:(?!-->).){0,512}-->)*)\]\s*>", re.S)
SIMPLE_ENTITY_RE = re.compile(rb"<!ENTITY\s+([A-Za-z_][\w.-]*)\s+\"([^\"&%<]{0,512})\"\s*>")
DOCTYPE_NOTE = "删除了 <!DOCTYPE> 声明 (removed the <!DOCTYPE> declaration)"


def _simple_entities(data: bytes) -> tuple[bytes, bool]:
    """data with a DOCTYPE of simple text entities taken out and the entities put in place."""
    found = SIMPLE_DOCTYPE_RE.search(data[:64 * 1024])
    if found is None:
        return data, False
    entities = dict(SIMPLE_ENTITY_RE.findall(found.group(1)))
    if not entities or len(entities) > 64:
        return data, False
    rest = data[:found.start()] + data[found.end():]
    return re.sub(rb"&([A-Za-z_][\w.-]*);", lambda m: entities.get(m.group(1), m.group(0)), rest), True


ENTITIES = ("SVG 声明或使用了实体 <!ENTITY>，不展开、不发布 "
            "(the SVG declares or uses entities: refused, not expanded)")
DEPTH = f"SVG 的元素嵌套超过 {MAX_DEPTH} 层 (elements nested deeper than {MAX_DEPTH} levels)"


def _has_declaration(data: bytes) -> bool:
    head = data[:128]
    for mark, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(mark):
            return bool(DECLARATION_RE.match(head[len(mark):].decode(encoding, "ignore")))
    if head.startswith(b"<\x00?\x00"):
        return bool(DECLARATION_RE.match(head.decode("utf-16-le", "ignore")))
    if head.startswith(b"\x00<\x00?"):
        return bool(DECLARATION_RE.match(head.decode("utf-16-be", "ignore")))
    return bool(DECLARATION_RE.match(head.decode("latin-1")))


def _depth(root) -> int:
    deepest = depth = 0
    for event, _ in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        deepest = max(deepest, depth)
    return deepest


# ------------------------------------------------------------------ cleaning


def _clean(data: bytes) -> tuple[bytes | None, tuple[str, ...]]:
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        return None, (_refusal(exc),)
    except (etree.LxmlError, ValueError, UnicodeError) as exc:
        return None, (f"不是格式正确的 SVG (not a well-formed SVG document: {exc})",)
    tree = root.getroottree()

    namespace, local = _split(root.tag)
    if local != "svg" or namespace not in (SVG_NS, None):
        other = namespace not in (None, SVG_NS)
        zh = f"<{_short(local)}>" + (f"（命名空间 {_short(namespace, 60)}）" if other else "")
        en = f"<{_short(local)}>" + (f" in namespace {_short(namespace, 60)}" if other else "")
        return None, (f"根元素是 {zh}，不是 SVG 的 <svg> (root element is {en}, not <svg>: not an SVG document)",)
    dtd = tree.docinfo.internalDTD
    if (dtd is not None and any(True for _ in dtd.iterentities())) \
            or any(True for _ in root.iter(etree.Entity)):
        return None, (ENTITIES,)
    if _depth(root) > MAX_DEPTH:
        return None, (DEPTH,)

    notes = _Notes()
    if tree.docinfo.doctype or dtd is not None:
        notes.add("删除了 <!DOCTYPE> 声明 (removed the <!DOCTYPE> declaration)")
    top = [*reversed(list(root.itersiblings(preceding=True))), None, *root.itersiblings()]
    for node in top:
        if node is not None and node.tag is etree.ProcessingInstruction:
            notes.add(_pi_note(node))

    stack = [root]
    while stack:
        node = stack.pop()
        if node.tag is etree.Comment:
            continue
        if node.tag is etree.ProcessingInstruction:
            notes.add(_pi_note(node))
            _drop(node)
            continue
        why = _element_problem(node) if node is not root else None
        if why:
            notes.add(why)
            _drop(node)
            continue
        _clean_attributes(node, notes)
        stack.extend(reversed(list(node)))

    if not notes:
        return data, ()
    return _serialize(data, tree, root, top), notes.reasons()


def _serialize(data: bytes, tree, root, top) -> bytes:
    """The document as UTF-8: the declaration if the input had one, top-level comments around the
    root element, no DOCTYPE and no processing instructions."""
    parts = []
    if _has_declaration(data):
        standalone = ' standalone="yes"' if tree.docinfo.standalone else ""
        parts.append(f'<?xml version="1.0" encoding="UTF-8"{standalone}?>'.encode())
    for node in top:
        if node is None:
            parts.append(etree.tostring(root, encoding="UTF-8", xml_declaration=False, with_tail=False))
        elif node.tag is etree.Comment:
            parts.append(etree.tostring(node, encoding="UTF-8", with_tail=False))
    out = b"\n".join(parts)
    if data.rstrip(b"\x00").endswith((b"\n", b"\r")):
        out += b"\n"
    return out


def _element_problem(el) -> str | None:
    """Why this element goes, with everything in it, or None."""
    namespace, local = _split(el.tag)
    low = local.lower()
    name = _short(local)
    if low in SCRIPT_ELEMENTS:
        return f"删除了脚本 <{name}> (removed <{name}> element)"
    if low == "foreignobject":
        return f"删除了 <{name}>，它可以嵌入 HTML 和脚本 (removed <{name}>: it embeds HTML and script)"
    if namespace == XHTML_NS:
        return f"删除了 HTML 元素 <{name}> (removed HTML element <{name}>)"
    target = el.get("attributeName")
    if target is not None:
        attribute = target.strip().rpartition(":")[2].lower()
        if attribute == "href" or attribute.startswith("on"):
            shown = _short(target.strip())
            return f"删除了修改 {shown} 的动画 <{name}> (removed <{name}> that sets {shown})"
    if low in LOADING_ELEMENTS:
        for attribute, value in el.attrib.items():
            if _split(attribute)[1].lower() == "href" and not _href_allowed(low, namespace, value):
                zh, en = _kind(value)
                return f"删除了引用文档以外内容的 <{name}>（{zh}）(removed <{name}> that loads {en})"
    if low == "style":
        problem = _css_problem("".join(el.itertext()), sheet=True)
        if problem:
            return f"删除了 <{name}> 样式表（{problem[0]}）(removed <{name}> element: {problem[1]})"
    return None


def _clean_attributes(el, notes: _Notes) -> None:
    namespace, local = _split(el.tag)
    name = _short(local)
    for attribute, value in list(el.attrib.items()):
        attr_ns, attr_local = _split(attribute)
        shown = _short(_attribute_name(attr_ns, attr_local))
        low = attr_local.lower()
        if low.startswith("on"):
            note = f"删除了 <{name}> 的事件属性 {shown} (removed event handler attribute {shown} on <{name}>)"
        elif low == "href":
            if _href_allowed(local.lower(), namespace, value):
                continue
            zh, en = _kind(value)
            note = f"删除了 <{name}> 的 {shown}（{zh}）(removed {shown} on <{name}>: {en})"
        elif attr_ns == XML_NS and low == "base":
            note = f"删除了 <{name}> 的 xml:base (removed xml:base on <{name}>)"
        elif attr_ns is None:
            problem = _css_problem(value, sheet=False) if low == "style" else _css_url_problem(value)
            if not problem:
                continue
            note = f"删除了 <{name}> 的 {shown} 属性（{problem[0]}）(removed {shown} attribute on <{name}>: {problem[1]})"
        else:
            continue
        del el.attrib[attribute]
        notes.add(note)


# ------------------------------------------------------------------ URLs and CSS


def _squeeze(url: str) -> str:
    """The URL as a browser reads its scheme: tabs and newlines dropped, controls and spaces
    stripped from both ends."""
    return URL_JUNK_RE.sub("", url).strip(URL_EDGE)


def _href_allowed(element: str, namespace: str | None, value: str) -> bool:
    """element: the local name, lower case."""
    url = _squeeze(value)
    if url == "" or url.startswith("#"):
        return True                    # the document itself, or an element in it
    if element == "image" and DATA_IMAGE_RE.match(url):
        return True                    # an embedded raster picture
    if element == "a" and namespace in (SVG_NS, None):
        scheme = SCHEME_RE.match(url)
        return scheme is None or url.lower().startswith(LINK_SCHEMES)
    return False


def _kind(value: str) -> tuple[str, str]:
    """What an href that was refused points to, for the message."""
    url = _squeeze(value)
    scheme = SCHEME_RE.match(url)
    if scheme:
        word = _short(scheme.group(1).lower()) + ":"
        if word in ("javascript:", "vbscript:"):
            return f"{word} 脚本链接", f"{word} URL"
        if word == "data:":
            return "内嵌的 data: 内容", "data: URL"
        return f"外部地址 {word}", f"external {word} URL"
    if url.startswith(("//", "\\\\", "/\\", "\\/")):
        return "外部地址 //", "external // URL"
    return "文档以外的文件", "another file"


def _unescape_css(text: str) -> str:
    def one(match: re.Match) -> str:
        if match.group(1):
            code = int(match.group(1), 16)
            return chr(code) if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"
        return "" if match.group(2) in "\r\n\f" else match.group(2)
    return CSS_ESCAPE_RE.sub(one, text)


def _css_url_problem(text: str) -> tuple[str, str] | None:
    """(Chinese, English) when this CSS text loads something from outside the document."""
    if "(" not in text:
        return None                    # the common case: a colour, a number, path data
    css = _unescape_css(text)
    for match in CSS_URL_RE.finditer(css):
        target = match.group(2)
        if target and not target.startswith("#") and not DATA_IMAGE_RE.match(target) and not DATA_FONT_RE.match(target):
            return "url() 引用外部资源", "url() to an external resource"
    if CSS_LOADING_FUNCTION_RE.search(css):
        return "image-set() 等引用外部资源", "image-set()/image()/src() can load external resources"
    return None


def _css_problem(text: str, *, sheet: bool) -> tuple[str, str] | None:
    """(Chinese, English) when a style sheet or style attribute can load something or run code."""
    css = _unescape_css(text)
    if CSS_IMPORT_RE.search(css):
        return "@import 引入外部样式", "@import"
    if CSS_CODE_RE.search(css):
        return "expression()/-moz-binding/behavior 可以运行代码", "expression()/-moz-binding/behavior can run code"
    return _css_url_problem(text)


# ------------------------------------------------------------------ helpers


class _Notes:
    """What was removed, each description once and in document order, with a count."""

    def __init__(self):
        self.counts: dict[str, int] = {}

    def add(self, note: str) -> None:
        self.counts[note] = self.counts.get(note, 0) + 1

    def __bool__(self) -> bool:
        return bool(self.counts)

    def reasons(self) -> tuple[str, ...]:
        return tuple(note if count == 1 else f"{note} ×{count}" for note, count in self.counts.items())


def _split(name: str) -> tuple[str | None, str]:
    """(namespace or None, local name) of a Clark-notation tag or attribute name."""
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return None, name.rpartition(":")[2]


def _attribute_name(namespace: str | None, local: str) -> str:
    if namespace == XLINK_NS:
        return f"xlink:{local}"
    if namespace == XML_NS:
        return f"xml:{local}"
    return local


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _pi_note(node) -> str:
    target = _short(str(node.target))
    return f"删除了处理指令 <?{target}?> (removed processing instruction <?{target}?>)"


def _drop(node) -> None:
    """Remove a node from its parent, keeping the text that followed it."""
    parent = node.getparent()
    if node.tail:
        previous = node.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)
