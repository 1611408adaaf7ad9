"""The inline-pattern filter (mdext.InlinePatternFilter) and the headings-only toc (mdext.Toc)
are only speed-ups: for any document, our Markdown must give exactly what Markdown with every
inline pattern and the stock toc extension gives, headings list included."""
from __future__ import annotations

import markdown
from hypothesis import HealthCheck, given, settings, strategies as st

from kexie_site.markup import EXTENSIONS, new_markdown
from kexie_site.mdext import ChineseExtension

# Pieces of Markdown that exercise every inline pattern, and the block syntax around them.
PIECES = [
    "科普", "细菌", "，", "。", "word", " ", "  \n", "\n", "\n\n", "\t", "`", "``", "\\", "\\*", "\\[",
    "*", "**", "_", "__", "[", "]", "(", ")", "!", "![", "](", "]:", "[^1]", "[^1]: 注释", "[a]", "[a]: http://x.cn",
    "<", ">", "<span>", "</span>", "<http://kexie.cn>", "<a@b.cn>", "&", "&amp;", "&#x4e2d;", "#", "## ", "> ",
    "- ", "1. ", "    ", "[链接](http://kexie.cn)", "![图](a.png)", '![图](a.png "说明")', "![图][a]", "[a][]",
    "[文字][a]", "*强调*", "**粗体**", "`code`", "```\n", "~~~", "|", "| a | b |\n|---|---|\n", "---", '"', "'", "[TOC]", "\n[TOC]\n", "## 标题 &amp; `代码`\n", "### 小节<span>x</span>\n",
    "#### 四级\n", "# 一级\n", "## 标题[^1]\n",
]


def converters():
    def make(fast: bool):
        md, ours = new_markdown(fast)
        assert ("kexie_inline_filter" in md.preprocessors) == fast

        def convert(text: str) -> str:
            md.reset()
            ours.reset()
            html = md.convert(text)
            return html + repr(getattr(md, "toc_tokens", []))   # the headings list must agree too
        return convert
    return make(True), make(False)


FILTERED, UNFILTERED = converters()


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_the_filter_never_changes_the_html(pieces):
    text = "".join(pieces)
    assert FILTERED(text) == UNFILTERED(text)


def test_the_filter_leaves_out_patterns_a_plain_document_cannot_use():
    ours = ChineseExtension()
    md = markdown.Markdown(extensions=[*EXTENSIONS, ours], output_format="html")
    md.convert("只有中文的段落，没有任何标记。")
    names = [item.name for item in md.treeprocessors["inline"].inlinePatterns._priority]
    assert names == []
    md.reset()
    md.convert("一个[链接](http://kexie.cn)和**粗体**")
    names = {item.name for item in md.treeprocessors["inline"].inlinePatterns._priority}
    assert names == {"link", "em_strong"}


def test_every_example_article_renders_the_same_with_and_without_the_filter(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "content"
    bodies = [p.read_text("utf-8") for p in sorted(root.rglob("*.md"))]
    assert len(bodies) >= 10
    for body in bodies:
        assert FILTERED(body) == UNFILTERED(body)
