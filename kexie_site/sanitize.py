"""Article HTML is cleaned with an allowlist (nh3, the Ammonia sanitizer) before it is published.

Raw HTML in Markdown keeps only the tags and attributes below; scripts, styles, event handlers,
iframes and forms are removed (a checkbox stays: task lists are disabled checkboxes); MathML
(formulas are converted on the server) keeps its presentation elements and attributes;
`javascript:`, `vbscript:` and `data:` links lose their URL
(a `data:image/…` picture in an <img> is kept); in a `srcset`, each candidate is judged so.
<picture> with its <source srcset> is kept. Documented in the README.
"""
from __future__ import annotations

import re

import nh3

from .refs import join_srcset, srcset_candidates

TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "blockquote", "br", "caption", "cite", "code", "col", "colgroup",
    "dd", "del", "details", "dfn", "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "rp", "rt",
    "ruby", "s", "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td",
    "tfoot", "th", "thead", "time", "tr", "u", "ul", "var", "wbr", "section", "label", "input",
    "picture", "source",
}
MATHML = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "msup", "msub",
    "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "munderover", "mtable", "mtr", "mtd",
    "mstyle", "mpadded", "mphantom", "menclose", "merror", "mmultiscripts", "mprescripts", "none",
}
MATHML_ATTRIBUTES = {
    "accent", "alttext", "accentunder", "columnalign", "columnlines", "columnspacing", "columnspan", "depth",
    "display", "displaystyle", "fence", "form", "height", "largeop", "linethickness", "lspace",
    "mathbackground", "mathcolor", "mathsize", "mathvariant", "maxsize", "minsize", "movablelimits",
    "notation", "rowalign", "rowlines", "rowspacing", "rowspan", "rspace", "scriptlevel", "separator",
    "stretchy", "symmetric", "voffset", "width", "xmlns", "encoding",
}
ATTRIBUTES = {
    "*": {"id", "class", "title", "lang", "dir"},
    "a": {"href", "hreflang", "rel"},
    "img": {"src", "srcset", "sizes", "alt", "width", "height", "loading", "decoding"},
    "source": {"srcset", "sizes", "media", "type", "width", "height"},
    "td": {"colspan", "rowspan", "headers", "style"},
    "th": {"colspan", "rowspan", "headers", "scope", "style"},
    "ol": {"start", "reversed", "type"},
    "time": {"datetime"},
    "blockquote": {"cite"}, "q": {"cite"}, "del": {"cite", "datetime"}, "ins": {"cite", "datetime"},
    "col": {"span"}, "colgroup": {"span"}, "details": {"open"},
    "input": {"type", "checked", "disabled"}, "label": {"for"},
    **{tag: MATHML_ATTRIBUTES for tag in MATHML},
}
SCHEMES = {"http", "https", "mailto", "tel", "data"}
URL_ATTRIBUTES = {"href", "src", "cite"}
SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")
JUNK_RE = re.compile(r"[\x00-\x20\x7f]")        # browsers drop these before reading a scheme
DATA_IMAGE_RE = re.compile(r"^data:image/(?:png|jpeg|gif|webp|avif);", re.I)
IMG_WITHOUT_SRC_RE = re.compile(r"<img(?![^>]*\ss(?:rc|rcset)=)[^>]*>")   # its URLs were refused: drop it
NOT_A_CHECKBOX_RE = re.compile(r'<input(?![^>]*\stype="checkbox")[^>]*>')   # text fields and buttons: dropped


def _filter(tag: str, attr: str, value: str):
    if attr == "srcset":                          # each candidate's URL, as src's
        kept = [(url, d) for url, d in srcset_candidates(value) if _filter("img", "src", url) is not None]
        return join_srcset(kept) or None
    if attr not in URL_ATTRIBUTES:
        return value
    squeezed = JUNK_RE.sub("", value).lower()
    scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", squeezed)
    if scheme is None:
        return value if not JUNK_RE.match(value) else value.strip()     # relative: kept
    if squeezed.startswith(SAFE_SCHEMES):
        return value.strip()
    if tag == "img" and attr == "src" and DATA_IMAGE_RE.match(squeezed):
        return value.strip()
    return None                                   # javascript:, vbscript:, data: … lose the URL


def sanitize_html(html: str) -> str:
    cleaned = nh3.clean(
        html, tags=TAGS | MATHML, attributes=ATTRIBUTES, url_schemes=SCHEMES, attribute_filter=_filter,
        clean_content_tags={"script", "style", "template", "noscript"}, link_rel=None,
        filter_style_properties={"text-align"}, strip_comments=True,
    )
    if "<input" in cleaned:
        cleaned = NOT_A_CHECKBOX_RE.sub("", cleaned)
    return IMG_WITHOUT_SRC_RE.sub("", cleaned)
