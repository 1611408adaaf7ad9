"""What editors actually write, rendered the way CommonMark (cmark-gfm) would, plus our Chinese rules.

Every case renders a small Chinese body through kexie_site.markup.render and checks the parsed
DOM (lxml element and xpath queries), never substrings of the HTML string. The reference for
block structure is CommonMark with the GFM tables, strikethrough, task lists, autolinks
(linkify) and footnotes, plus `$…$`/`$$…$$` formulas as MathML; on top of it: CJK-friendly
emphasis, line breaks between Chinese characters dropped, bare URLs ending before Chinese
punctuation, pinyin heading ids, and summaries without stray spaces between Chinese blocks.

Line numbers: the body starts on line 6 of the file (body_line=6), so body line i (0-based)
is reported as line 6 + i.
"""
from __future__ import annotations

import re

import lxml.html
import pytest

from conftest import body_doc
from kexie_site.markup import render
from kexie_site.refs import IMAGE, FileInfo, Files

BODY_LINE = body_doc("").body_line      # the line of the file the body starts on
MATH = '*[local-name()="math"]'          # lxml.html may or may not keep the MathML namespace




def render_of(body: str, images=None, base_path: str = "/"):
    """(root element of the article HTML, Rendered, problems)."""
    rendered, problems, _ = render(body_doc(body), Files(images or {}, base_path), 120)
    return lxml.html.fragment_fromstring(rendered.html, create_parent="div"), rendered, problems


def html_of(body: str, images=None, base_path: str = "/"):
    return render_of(body, images, base_path)[0]


def blocks(root) -> list[str]:
    """The tags of the top-level elements."""
    return [child.tag for child in root if isinstance(child.tag, str)]


def own_text(el) -> str:
    """The text of an element without that of its nested lists."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag not in ("ul", "ol"):
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return "".join(parts).strip()


def style_of(el) -> str:
    return (el.get("style") or "").replace(" ", "").rstrip(";").lower()


def no_markup_left(root) -> None:
    text = root.text_content()
    for leak in ("*", "~~", "[x]", "[ ]", "$"):
        assert leak not in text, (leak, text)


# --------------------------------------------------------------------------- 1. lists and tables right after text

@pytest.mark.parametrize("body, tag", [
    pytest.param("操作步骤：\n1. 打开电源\n2. 关闭", "ol", id="ordered-after-text"),
    pytest.param("注意事项：\n- 打开电源\n- 关闭", "ul", id="bullets-after-text"),
    pytest.param("注意事项：\n* 打开电源\n* 关闭", "ul", id="star-bullets-after-text"),
])
def test_a_list_right_after_a_line_of_text(body, tag):
    root = html_of(body)
    assert blocks(root) == ["p", tag]
    assert root.xpath("string(p)").strip() in ("操作步骤：", "注意事项：")
    assert [li.text_content().strip() for li in root.xpath(f"{tag}/li")] == ["打开电源", "关闭"]


def test_a_table_right_after_a_line_of_text():
    root = html_of("各行星的数据如下：\n| 行星 | 卫星数 |\n|---|---|\n| 地球 | 1 |\n| 火星 | 2 |")
    assert blocks(root) == ["p", "table"]
    assert root.xpath("string(p)") == "各行星的数据如下："
    assert [th.text_content().strip() for th in root.xpath("table/thead/tr/th")] == ["行星", "卫星数"]
    assert [[td.text_content().strip() for td in tr.xpath("td")] for tr in root.xpath("table/tbody/tr")] \
        == [["地球", "1"], ["火星", "2"]]


def test_a_list_in_a_quote_right_after_its_first_line():
    root = html_of("> 注意：\n> - 一\n> - 二")
    assert blocks(root) == ["blockquote"]
    quote = root.find("blockquote")
    assert blocks(quote) == ["p", "ul"]
    assert quote.xpath("string(p)") == "注意："
    assert [li.text_content().strip() for li in quote.xpath("ul/li")] == ["一", "二"]


# --------------------------------------------------------------------------- 2. nested lists

@pytest.mark.parametrize("body, outer, inner, first, items, after", [
    pytest.param("- 水果\n  - 苹果\n  - 香蕉\n- 蔬菜", "ul", "ul", "水果", ["苹果", "香蕉"], ["蔬菜"],
                 id="bullets-by-2-spaces"),
    pytest.param("1. 准备材料\n   - 烧杯\n   - 试管\n2. 开始", "ol", "ul", "准备材料", ["烧杯", "试管"], ["开始"],
                 id="bullets-in-ordered-by-3-spaces"),
    pytest.param("- 水果\n    - 苹果\n    - 香蕉\n- 蔬菜", "ul", "ul", "水果", ["苹果", "香蕉"], ["蔬菜"],
                 id="bullets-by-4-spaces"),
    pytest.param("1. 准备材料\n    1. 烧杯\n    2. 试管\n2. 开始", "ol", "ol", "准备材料", ["烧杯", "试管"], ["开始"],
                 id="ordered-in-ordered-by-4-spaces"),
    pytest.param("- 实验步骤\n  1. 称量\n  2. 溶解\n- 注意事项", "ul", "ol", "实验步骤", ["称量", "溶解"], ["注意事项"],
                 id="ordered-in-bullets-by-2-spaces"),
    pytest.param("1. 第一步\n   1. 细节一\n   2. 细节二\n2. 第二步", "ol", "ol", "第一步", ["细节一", "细节二"], ["第二步"],
                 id="ordered-in-ordered-by-3-spaces"),
])
def test_a_sublist_is_nested_inside_the_first_item(body, outer, inner, first, items, after):
    root = html_of(body)
    assert blocks(root) == [outer]
    top = root.xpath(f"{outer}/li")
    assert len(top) == 1 + len(after)
    assert own_text(top[0]) == first
    assert [li.text_content().strip() for li in top[0].xpath(f"{inner}/li")] == items
    assert [li.text_content().strip() for li in top[1:]] == after
    assert top[1].find(inner) is None


def test_three_levels_of_nesting():
    root = html_of("1. 一级\n   - 二级\n     1. 三级\n     2. 三级乙\n   - 二级乙\n2. 一级乙")
    assert blocks(root) == ["ol"]
    assert [own_text(li) for li in root.xpath("ol/li")] == ["一级", "一级乙"]
    assert [own_text(li) for li in root.xpath("ol/li[1]/ul/li")] == ["二级", "二级乙"]
    assert [li.text_content().strip() for li in root.xpath("ol/li[1]/ul/li[1]/ol/li")] == ["三级", "三级乙"]
    assert root.xpath("count(ol/li[1]/ul/li[2]/*)") == 0


def test_a_nested_list_after_a_line_of_text():
    root = html_of("准备工作：\n- 材料\n  - 烧杯\n- 工具")
    assert blocks(root) == ["p", "ul"]
    assert [li.text_content().strip() for li in root.xpath("ul/li[1]/ul/li")] == ["烧杯"]
    assert len(root.xpath("ul/li")) == 2


# --------------------------------------------------------------------------- 3. continuation paragraphs, lazy lines

def test_a_continuation_paragraph_in_an_ordered_item_makes_a_loose_list():
    root = html_of("1. 第一步\n\n   补充说明。\n\n2. 第二步")
    assert blocks(root) == ["ol"]
    assert [p.text_content() for p in root.xpath("ol/li[1]/p")] == ["第一步", "补充说明。"]
    assert [p.text_content() for p in root.xpath("ol/li[2]/p")] == ["第二步"]


def test_a_continuation_paragraph_in_a_bullet_item():
    root = html_of("- 第一项\n\n  第一项的补充。\n- 第二项")
    assert blocks(root) == ["ul"]
    assert len(root.xpath("ul/li")) == 2
    assert [p.text_content() for p in root.xpath("ul/li[1]/p")] == ["第一项", "第一项的补充。"]


def test_a_lazy_continuation_line_belongs_to_the_list_item():
    root = html_of("- 第一项内容\n延续的一行\n- 第二项")
    assert blocks(root) == ["ul"]
    assert [li.text_content().strip() for li in root.xpath("ul/li")] == ["第一项内容延续的一行", "第二项"]


def test_a_lazy_continuation_line_belongs_to_the_quote():
    root = html_of("> 引用第一行\n引用第二行")
    assert blocks(root) == ["blockquote"]
    assert root.xpath("string(blockquote/p)") == "引用第一行引用第二行"


def test_an_indented_second_line_of_an_item_joins_it_without_a_space():
    root = html_of("- 第一行\n  第二行\n- 另一项")
    assert [li.text_content().strip() for li in root.xpath("ul/li")] == ["第一行第二行", "另一项"]


# --------------------------------------------------------------------------- 4. fenced code in lists and quotes

def test_fenced_code_in_a_list_item_keeps_its_lines_and_language():
    root = html_of('1. 运行：\n\n   ```python\n   # 第一行\n   print("你好")\n   ```\n\n2. 结束')
    assert blocks(root) == ["ol"]
    assert len(root.xpath("ol/li")) == 2
    code = root.xpath("ol/li[1]/pre/code")
    assert len(code) == 1
    assert code[0].text_content() == '# 第一行\nprint("你好")\n'
    assert "language-python" in (code[0].get("class") or "").split()
    assert root.xpath("string(ol/li[2])").strip() == "结束"


def test_fenced_code_right_after_the_text_of_a_list_item():
    root = html_of("- 安装：\n  ```bash\n  pip install 包\n  pip list\n  ```\n- 完成")
    assert len(root.xpath("ul/li")) == 2
    code = root.xpath("ul/li[1]/pre/code")
    assert len(code) == 1 and code[0].text_content() == "pip install 包\npip list\n"
    assert "language-bash" in (code[0].get("class") or "").split()


def test_fenced_code_in_a_quote_keeps_its_lines_and_language():
    root = html_of("> ```python\n> 甲 = 1\n> 乙 = 2\n> ```")
    code = root.xpath("blockquote/pre/code")
    assert len(code) == 1
    assert code[0].text_content() == "甲 = 1\n乙 = 2\n"
    assert "language-python" in (code[0].get("class") or "").split()


def test_chinese_lines_in_a_top_level_code_block_are_not_joined():
    root = html_of("```text\n第一行\n第二行\n```")
    assert root.xpath("string(pre/code)") == "第一行\n第二行\n"


# --------------------------------------------------------------------------- 5. tables

def test_table_column_alignment_survives_sanitizing():
    root = html_of("| 左 | 中 | 右 |\n|:--|:-:|--:|\n| 1 | 2 | 3 |")
    expected = ["text-align:left", "text-align:center", "text-align:right"]
    assert [style_of(th) for th in root.xpath("table/thead/tr/th")] == expected
    assert [style_of(td) for td in root.xpath("table/tbody/tr/td")] == expected
    assert [td.text_content() for td in root.xpath("table/tbody/tr/td")] == ["1", "2", "3"]


def test_inline_markup_in_table_cells():
    root = html_of("| 名称 | 说明 |\n|---|---|\n| **黑洞** | 见[百科](https://baike.example.cn)和`代码` |")
    cells = root.xpath("table/tbody/tr/td")
    assert len(cells) == 2
    assert [s.text for s in cells[0].xpath("strong")] == ["黑洞"]
    assert [(a.get("href"), a.text) for a in cells[1].xpath("a")] == [("https://baike.example.cn", "百科")]
    assert [c.text for c in cells[1].xpath("code")] == ["代码"]
    assert "*" not in root.text_content()


def test_an_escaped_pipe_stays_in_its_cell():
    root = html_of("| 表达式 | 含义 |\n|---|---|\n| a \\| b | 或 |")
    assert len(root.xpath("table/thead/tr/th")) == 2
    assert [td.text_content().strip() for td in root.xpath("table/tbody/tr/td")] == ["a | b", "或"]


# --------------------------------------------------------------------------- 6. task lists

@pytest.mark.parametrize("index, text, checked", [
    pytest.param(0, "完成", True, id="task-checked"),
    pytest.param(1, "未完成", False, id="task-unchecked"),
])
def test_task_list_items_have_a_labelled_disabled_checkbox(index, text, checked):
    root = html_of("- [x] 完成\n- [ ] 未完成")
    items = root.xpath("ul/li")
    assert len(items) == 2
    li = items[index]
    inputs = li.xpath(".//input")
    assert len(inputs) == 1
    box = inputs[0]
    assert box.get("type") == "checkbox"
    assert box.get("disabled") is not None
    assert (box.get("checked") is not None) == checked
    inside_label = bool(box.xpath("ancestor::label"))
    named_by_label = bool(box.get("id")) and bool(root.xpath(f'//label[@for="{box.get("id")}"]'))
    assert inside_label or named_by_label
    assert li.text_content().strip() == text
    assert "[x]" not in li.text_content() and "[ ]" not in li.text_content()


@pytest.mark.parametrize("body, tag, text", [
    pytest.param("- [X] 大写", "ul", "大写", id="task-capital-x"),
    pytest.param("1. [x] 有序任务", "ol", "有序任务", id="task-in-ordered-list"),
])
def test_more_checked_task_items(body, tag, text):
    root = html_of(body)
    li = root.xpath(f"{tag}/li")
    assert len(li) == 1
    assert li[0].xpath('count(.//input[@type="checkbox"][@checked][@disabled])') == 1
    assert li[0].text_content().strip() == text


def test_a_task_list_right_after_a_line_of_text():
    root = html_of("今日待办：\n- [x] 写稿\n- [ ] 配图")
    assert blocks(root) == ["p", "ul"]
    assert [li.text_content().strip() for li in root.xpath("ul/li")] == ["写稿", "配图"]
    assert [li.xpath("count(.//input[@checked])") for li in root.xpath("ul/li")] == [1, 0]


# --------------------------------------------------------------------------- 7. strikethrough

@pytest.mark.parametrize("body, before, deleted, after", [
    pytest.param("这个说法~~删除~~了", "这个说法", "删除", "了", id="del-between-chinese"),
    pytest.param("已经~~删除~~，不再使用", "已经", "删除", "，不再使用", id="del-before-chinese-comma"),
    pytest.param("~~删除~~。", "", "删除", "。", id="del-before-chinese-period"),
    pytest.param("~~“删除”~~后面", "", "“删除”", "后面", id="del-of-quoted-text-before-chinese"),
])
def test_strikethrough_is_del(body, before, deleted, after):
    root = html_of(body)
    dels = root.xpath("p/del")
    assert [d.text for d in dels] == [deleted]
    assert (root.find("p").text or "") == before
    assert dels[0].tail == after
    assert "~" not in root.text_content()


# --------------------------------------------------------------------------- 8. ordered list start and style

def test_an_ordered_list_keeps_its_start_number():
    root = html_of("3. 第三步\n4. 第四步")
    ol = root.xpath("ol")
    assert len(ol) == 1 and ol[0].get("start") == "3"
    assert [li.text_content().strip() for li in ol[0].xpath("li")] == ["第三步", "第四步"]


def test_a_list_starting_at_2_does_not_interrupt_a_paragraph():
    # CommonMark: only a list starting with 1 may interrupt a paragraph
    root = html_of("操作：\n2. 第二步")
    assert blocks(root) == ["p"]
    assert "2. 第二步" in root.xpath("string(p)")


def test_a_list_numbered_with_parentheses_is_ordered():
    root = html_of("1) 第一\n2) 第二")
    assert blocks(root) == ["ol"]
    assert [li.text_content().strip() for li in root.xpath("ol/li")] == ["第一", "第二"]
    assert ")" not in root.text_content()


# --------------------------------------------------------------------------- 9. hard line breaks

@pytest.mark.parametrize("body", [
    pytest.param("第一行\\\n第二行", id="br-backslash"),
    pytest.param("第一行  \n第二行", id="br-two-spaces"),
])
def test_a_hard_line_break_is_a_br_between_the_lines(body):
    root = html_of(body)
    p = root.xpath("p")
    assert len(p) == 1
    assert [child.tag for child in p[0]] == ["br"]
    assert (p[0].text or "").strip() == "第一行"
    assert (p[0][0].tail or "").strip() == "第二行"
    assert "\\" not in root.text_content()


# --------------------------------------------------------------------------- 10. details

def test_markdown_inside_details_is_rendered():
    root = html_of("<details>\n<summary>答案</summary>\n\n**加粗**的内容\n\n</details>")
    details = root.xpath("details")
    assert len(details) == 1
    assert [s.text_content().strip() for s in details[0].xpath("summary")] == ["答案"]
    assert [s.text for s in details[0].xpath(".//strong")] == ["加粗"]
    assert details[0].xpath("string(.//p)") == "加粗的内容"
    assert "*" not in root.text_content()


# --------------------------------------------------------------------------- 11. emphasis next to CJK punctuation

@pytest.mark.parametrize("body, tag, text", [
    pytest.param("**“引号”**后面", "strong", "“引号”", id="strong-curly-quotes"),
    pytest.param("这是**加粗。**然后", "strong", "加粗。", id="strong-ending-in-period"),
    pytest.param("**《三体》**的作者", "strong", "《三体》", id="strong-book-title-marks"),
    pytest.param("（**注意**）", "strong", "注意", id="strong-in-fullwidth-parens"),
    pytest.param("**100%**的", "strong", "100%", id="strong-percent"),
    pytest.param("*“斜体”*后面", "em", "“斜体”", id="em-curly-quotes"),
    pytest.param("**「引号」**里", "strong", "「引号」", id="strong-corner-brackets"),
    pytest.param("**？**问号", "strong", "？", id="strong-question-mark"),
    pytest.param("**【注意】**事项", "strong", "【注意】", id="strong-lenticular-brackets"),
    pytest.param("**……**省略", "strong", "……", id="strong-ellipsis"),
    pytest.param("他说**“你好”**然后走了", "strong", "“你好”", id="strong-quotes-between-chinese"),
    pytest.param("**注意：**这里很重要", "strong", "注意：", id="strong-ending-in-fullwidth-colon"),
    pytest.param("**重点**：内容", "strong", "重点", id="strong-before-fullwidth-colon"),
    pytest.param("“**引号内加粗**”", "strong", "引号内加粗", id="strong-inside-curly-quotes"),
    pytest.param("*斜体。*然后", "em", "斜体。", id="em-ending-in-period"),
])
def test_emphasis_next_to_chinese_punctuation(body, tag, text):
    root = html_of(body)
    found = root.xpath(f"p/{tag}")
    assert [el.text_content() for el in found] == [text]
    other = "em" if tag == "strong" else "strong"
    assert root.xpath(f"count(.//{other})") == 0
    assert "*" not in root.text_content()
    assert root.xpath("string(p)") == body.replace("*", "")


def test_strong_and_em_together_next_to_chinese_punctuation():
    root = html_of("这是***粗斜体。***然后")
    assert root.xpath("string(p//strong)") == "粗斜体。"
    assert root.xpath("string(p//em)") == "粗斜体。"
    assert root.xpath("string(p)") == "这是粗斜体。然后"


@pytest.mark.parametrize("body", [
    pytest.param("光合作用的产物是____和____。", id="underscore-blanks"),
    pytest.param("中文_强调_中文", id="underscore-between-chinese"),
    pytest.param("变量名 snake_case_name 不变", id="underscore-snake-case"),
])
def test_underscores_keep_commonmark_rules(body):
    root = html_of(body)
    assert root.xpath("count(.//em|.//strong)") == 0
    assert root.xpath("string(p)") == body


# --------------------------------------------------------------------------- 12. soft line breaks

@pytest.mark.parametrize("body, text", [
    pytest.param("第一行中文\n第二行中文", "第一行中文第二行中文", id="soft-break-chinese"),
    pytest.param("句子结束。\n下一句开始", "句子结束。下一句开始", id="soft-break-after-period"),
    pytest.param("前文\n，后文", "前文，后文", id="soft-break-before-comma"),
    pytest.param("这是\n**粗体**\n文字", "这是粗体文字", id="soft-break-around-strong"),
    pytest.param("请看\n[这篇文章](https://kepu.example.cn/a)\n的说明", "请看这篇文章的说明", id="soft-break-around-link"),
    pytest.param("他说“你好”\n然后离开", "他说“你好”然后离开", id="soft-break-after-quote"),
    pytest.param("省略号……\n后文", "省略号……后文", id="soft-break-after-ellipsis"),
])
def test_a_line_break_between_chinese_characters_disappears(body, text):
    root = html_of(body)
    assert blocks(root) == ["p"]
    assert root.xpath("string(p)") == text


def test_a_line_break_between_latin_words_stays_whitespace():
    root = html_of("Black holes\nare regions of spacetime")
    text = root.xpath("string(p)")
    assert re.fullmatch(r"Black holes\s+are regions of spacetime", text)
    assert "holesare" not in text


def test_a_line_break_between_chinese_and_latin_keeps_both():
    root, rendered, problems = render_of("中文\nEnglish")
    text = root.xpath("string(p)")
    assert text.startswith("中文") and text.endswith("English")
    assert problems == ()


# --------------------------------------------------------------------------- 13. bare URLs

@pytest.mark.parametrize("body, hrefs, tail", [
    pytest.param("请访问 https://www.cast.org.cn，欢迎访问。", ["https://www.cast.org.cn"], "，欢迎访问。",
                 id="url-before-chinese-comma"),
    pytest.param("（见 https://x.cn/a）", ["https://x.cn/a"], "）", id="url-before-fullwidth-paren"),
    pytest.param("网址是 https://kepu.example.cn/page。", ["https://kepu.example.cn/page"], "。",
                 id="url-before-chinese-period"),
    pytest.param("见 https://a.cn、https://b.cn 两个网站", ["https://a.cn", "https://b.cn"], " 两个网站",
                 id="url-before-enumeration-comma"),
    pytest.param("请访问https://x.cn，谢谢", ["https://x.cn"], "，谢谢", id="url-right-after-chinese"),
    pytest.param("（https://x.cn/a）", ["https://x.cn/a"], "）", id="url-inside-fullwidth-parens"),
    pytest.param("见 https://x.cn/a?b=1&c=2。", ["https://x.cn/a?b=1&c=2"], "。", id="url-with-query-before-period"),
    pytest.param("另见 https://y.cn！", ["https://y.cn"], "！", id="url-before-fullwidth-exclamation"),
    pytest.param("网址：https://x.cn；其他", ["https://x.cn"], "；其他", id="url-before-fullwidth-semicolon"),
    pytest.param("“https://x.cn”", ["https://x.cn"], "”", id="url-in-curly-quotes"),
    pytest.param("见 https://en.wikipedia.org/wiki/Foo_(bar) 页", ["https://en.wikipedia.org/wiki/Foo_(bar)"], " 页",
                 id="url-keeps-ascii-parens"),
])
def test_a_bare_url_is_linked_and_ends_before_chinese_punctuation(body, hrefs, tail):
    root = html_of(body)
    links = root.xpath("p/a")
    assert [a.get("href") for a in links] == hrefs
    assert [a.text_content() for a in links] == hrefs
    assert links[-1].tail == tail
    if len(links) == 2:
        assert links[0].tail == "、"


def test_a_bare_email_address_is_linked_without_the_period():
    root = html_of("联系 kepu@example.cn。")
    links = root.xpath("p/a")
    assert [a.get("href") for a in links] == ["mailto:kepu@example.cn"]
    assert links[0].tail == "。"


def test_a_bare_www_address_is_linked():
    root = html_of("访问 www.example.cn 了解更多")
    links = root.xpath("p/a")
    assert len(links) == 1
    assert links[0].get("href") in ("http://www.example.cn", "https://www.example.cn")
    assert links[0].text_content() == "www.example.cn"
    assert links[0].tail == " 了解更多"


# --------------------------------------------------------------------------- 14. formulas

@pytest.mark.parametrize("body, before, after", [
    pytest.param("质能方程 $E=mc^2$ 很有名", "质能方程", "很有名", id="math-inline-spaced"),
    pytest.param("质能方程$E=mc^2$很有名", "质能方程", "很有名", id="math-inline-between-chinese"),
])
def test_an_inline_formula_is_mathml_in_the_paragraph(body, before, after):
    root = html_of(body)
    maths = root.xpath(f"p//{MATH}")
    assert len(maths) == 1
    math = maths[0]
    assert math.get("display") != "block"
    assert math.xpath('.//*[local-name()="msup"]')
    assert [mi.text for mi in math.xpath('.//*[local-name()="mi"]')] == ["E", "m", "c"]
    assert [mo.text for mo in math.xpath('.//*[local-name()="mo"]')] == ["="]
    text = root.xpath("string(p)")
    assert "$" not in text and "^" not in text
    assert text.startswith(before) and text.endswith(after)


def test_a_display_formula_is_block_mathml():
    root = html_of("前文：\n\n$$\n\\frac{a}{b}\n$$\n\n后文。")
    maths = root.xpath(f".//{MATH}")
    assert len(maths) == 1
    assert maths[0].get("display") == "block"
    assert maths[0].xpath('.//*[local-name()="mfrac"]')
    assert [mi.text for mi in maths[0].xpath('.//*[local-name()="mi"]')] == ["a", "b"]
    assert not maths[0].xpath("ancestor::p")
    assert "$" not in root.text_content() and "\\frac" not in root.text_content()
    assert [p.text_content() for p in root.xpath("p")] == ["前文：", "后文。"]


def test_a_formula_with_less_than_is_escaped_as_mathml():
    root = html_of("$a<b$ 且 $x>y$")
    maths = root.xpath(f"p/{MATH}")
    assert len(maths) == 2
    assert [[mo.text for mo in m.xpath('.//*[local-name()="mo"]')] for m in maths] == [["<"], [">"]]
    assert root.xpath("string(p)").replace(" ", "") == "a<b且x>y"


def test_chinese_text_in_a_formula():
    root = html_of("$\\text{速度}=v$")
    assert [t.text for t in root.xpath(f'p/{MATH}//*[local-name()="mtext"]')] == ["速度"]


def test_a_one_line_display_formula_is_block_mathml():
    root = html_of("$$E=mc^2$$")
    maths = root.xpath(f".//{MATH}")
    assert len(maths) == 1 and maths[0].get("display") == "block"
    assert "$" not in root.text_content()


def test_a_display_formula_in_a_list_item():
    root = html_of("- 列表里的公式：\n\n  $$\n  x^2\n  $$")
    maths = root.xpath(f"ul/li/{MATH}|ul/li/*/{MATH}")
    assert len(maths) == 1 and maths[0].get("display") == "block"
    assert maths[0].xpath('.//*[local-name()="msup"]')


def test_double_dollars_inside_a_paragraph_leave_no_dollar_signs():
    root = html_of("文字 $$x$$ 文字")
    assert len(root.xpath(f".//{MATH}")) == 1
    assert "$" not in root.text_content()


def test_a_display_formula_that_cannot_be_converted_is_a_warning_and_shown_as_code():
    root, _, problems = render_of("第一段\n\n$$\n\\frac{1}{\n$$")
    assert [(p.severity, p.line) for p in problems] == [("warning", BODY_LINE + 2)]
    assert root.xpath(f"count(.//{MATH})") == 0
    assert [c.text_content().strip() for c in root.xpath(".//code")] == ["\\frac{1}{"]


def test_a_formula_that_cannot_be_converted_is_a_warning_and_shown_as_code():
    # latex2mathml raises ExtraLeftOrMissingRightError on "\left( x"
    root, _, problems = render_of("第一段。\n\n第二段，\n公式 $\\left( x$ 有误")
    assert [(p.severity, p.line) for p in problems] == [("warning", BODY_LINE + 3)]
    assert root.xpath(f"count(.//{MATH})") == 0
    codes = root.xpath("p//code")
    assert len(codes) == 1 and "\\left( x" in codes[0].text_content()
    assert root.xpath("string(p[2])").endswith("有误")


@pytest.mark.parametrize("body", [
    pytest.param("价格是 5 元到 10 元", id="no-math-without-dollars"),
    pytest.param("价格 $5 到 $10 之间", id="no-math-for-prices"),
    pytest.param("花了$5，又花了$10。", id="no-math-for-prices-without-spaces"),
])
def test_prices_are_not_formulas(body):
    root = html_of(body)
    assert root.xpath(f"count(.//{MATH})") == 0
    assert root.xpath("count(p/*)") == 0
    assert root.xpath("string(p)") == body


# --------------------------------------------------------------------------- 15. headings

@pytest.mark.parametrize("body", [
    pytest.param("#标题", id="hash-without-space-is-text"),
    pytest.param("#科普中国#今天天气很好", id="weibo-topic-is-text"),
])
def test_a_hash_without_a_space_is_not_a_heading(body):
    root = html_of(body)
    assert blocks(root) == ["p"]
    assert root.xpath("string(p)") == body


def test_a_heading_gets_a_pinyin_id():
    root, rendered, _ = render_of("## 什么是黑洞\n\n正文。")
    h2 = root.xpath("h2")
    assert len(h2) == 1
    assert h2[0].get("id") == "shenme-shi-heidong"
    assert h2[0].text_content() == "什么是黑洞"
    assert [(h.level, h.id, h.text) for h in rendered.headings] == [(2, "shenme-shi-heidong", "什么是黑洞")]


def test_closing_hashes_are_not_in_the_heading():
    root = html_of("## 标题 ##\n\n## 5G 网络")
    assert [h.text_content() for h in root.xpath("h2")] == ["标题", "5G 网络"]
    ids = [h.get("id") for h in root.xpath("h2")]
    assert ids[0] == "biaoti" and ids[1].isascii() and ids[1].startswith("5g")


def test_headings_get_unique_ascii_ids():
    root = html_of("## 什么是黑洞\n\n正文\n\n## 什么是黑洞\n\n### 黑洞的**形成**\n\n## ！！！")
    headings = root.xpath("h2|h3")
    ids = [h.get("id") for h in headings]
    assert len(ids) == 4 and len(set(ids)) == 4
    assert all(i and i.isascii() and " " not in i for i in ids)
    assert headings[2].text_content() == "黑洞的形成"


# --------------------------------------------------------------------------- 16. footnotes

def test_a_footnote_reference_links_to_its_note():
    root, rendered, _ = render_of("脚注[^1]。\n\n[^1]: 注释内容")
    refs = root.xpath("p//sup//a[@href]")
    assert len(refs) == 1
    href = refs[0].get("href")
    assert href.startswith("#")
    targets = root.xpath(f'//*[@id="{href[1:]}"]')
    assert len(targets) == 1
    assert "注释内容" in targets[0].text_content()
    assert not targets[0].xpath("ancestor::p")
    assert root.xpath("string(p[1])").startswith("脚注")


def test_several_footnotes_and_a_repeated_reference():
    root, rendered, _ = render_of("脚注一[^a]，脚注二[^b]，再引[^a]。\n\n[^a]: 注甲\n[^b]: 注乙")
    refs = root.xpath("p[1]//sup//a[@href]")
    assert len(refs) == 3
    notes = [root.xpath(f'//*[@id="{a.get("href")[1:]}"]') for a in refs]
    assert [len(n) for n in notes] == [1, 1, 1]
    assert [n[0].text_content().split()[0] for n in notes] == ["注甲", "注乙", "注甲"]
    assert rendered.text.strip() == "脚注一，脚注二，再引。"


def test_footnotes_are_not_in_the_plain_text_or_summary():
    _, rendered, _ = render_of("脚注[^1]。\n\n[^1]: 注释内容")
    for text in (rendered.text, rendered.auto_summary):
        for leak in ("[1]", "↩", "注释内容", "[^"):
            assert leak not in text, (leak, text)
        assert "脚注。" in text


# --------------------------------------------------------------------------- 17. summaries and plain text

def test_a_heading_is_not_in_the_summary():
    _, rendered, _ = render_of("## 小标题\n\n正文第一句。")
    assert "小标题" not in rendered.auto_summary
    assert rendered.auto_summary.startswith("正文第一句。")


def test_chinese_paragraphs_are_joined_without_a_space():
    _, rendered, _ = render_of("第一段。\n\n第二段。")
    assert rendered.auto_summary == "第一段。第二段。"
    assert "第一段。 第二段。" not in rendered.text


def test_chinese_list_items_are_joined_without_a_space():
    _, rendered, _ = render_of("- 第一项\n- 第二项")
    for text in (rendered.auto_summary, rendered.text):
        assert "第一项" in text and "第二项" in text
        assert "第一项 第二项" not in text


def test_latin_words_in_adjacent_paragraphs_stay_apart():
    _, rendered, _ = render_of("Hello world.\n\nSecond paragraph.")
    assert re.search(r"world\.\s+Second", rendered.auto_summary)
    assert re.search(r"world\.\s+Second", rendered.text)


@pytest.mark.parametrize("body", [
    pytest.param("| apple | banana |\n|---|---|\n| cherry | date |", id="text-latin-table-cells"),
    pytest.param("- apple\n- banana\n- cherry\n- date", id="text-latin-list-items"),
    pytest.param("apple banana\\\ncherry date", id="text-latin-across-br"),
])
def test_latin_words_in_adjacent_cells_items_and_lines_stay_apart(body):
    _, rendered, _ = render_of(body)
    assert rendered.text.split() == ["apple", "banana", "cherry", "date"]
    assert rendered.words == 4


def test_a_latin_heading_is_not_glued_to_the_next_paragraph():
    _, rendered, _ = render_of("## Introduction\n\nBlack holes are dense.")
    assert "IntroductionBlack" not in rendered.text
    assert rendered.auto_summary == "Black holes are dense."


# --------------------------------------------------------------------------- 18. images

def test_an_image_with_a_title_alone_is_a_figure():
    images = {"kyky/images/a.png": FileInfo("kyky/images/a.png", 640, 360, IMAGE)}
    root, rendered, problems = render_of('前文\n\n![图](images/a.png "说明")\n\n后文', images)
    assert problems == ()
    assert blocks(root) == ["p", "figure", "p"]
    figure = root.find("figure")
    img = figure.xpath("img")
    assert len(img) == 1
    assert (img[0].get("src"), img[0].get("alt")) == ("/kyky/images/a.png", "图")
    assert (img[0].get("width"), img[0].get("height")) == ("640", "360")
    assert [c.text for c in figure.xpath("figcaption")] == ["说明"]
    assert rendered.files == ("kyky/images/a.png",)


@pytest.mark.parametrize("body, line", [
    pytest.param("第一段。\n\n![图](images/none.png)", 2, id="missing-image-own-paragraph"),
    pytest.param("第一段。\n\n第二段第一行\n第二段第二行\n![图](images/none.png)", 4, id="missing-image-3rd-line-of-paragraph"),
    pytest.param("- 第一项\n- 第二项\n- ![图](images/none.png)", 2, id="missing-image-in-list-item"),
    pytest.param("1. 步骤\n\n   说明文字，\n   ![图](images/none.png)", 3, id="missing-image-in-item-paragraph"),
    pytest.param("路径 `images/none.png` 写错了。\n\n![图](images/none.png)", 2, id="missing-image-after-same-text-in-code"),
    pytest.param("| 图 | 说明 |\n|---|---|\n| ![图](images/none.png) | 无 |", 2, id="missing-image-in-table-cell"),
    pytest.param("> 引用\n> ![图](images/none.png)", 1, id="missing-image-in-quote"),
])
def test_a_missing_image_is_an_error_on_its_line(body, line):
    root, _, problems = render_of(body)
    assert [(p.severity, p.line, p.path) for p in problems] == [("error", BODY_LINE + line, "content/kyky/a.md")]


def test_the_same_missing_image_twice_is_an_error_on_each_line():
    _, _, problems = render_of("![图](images/none.png)\n\n再次\n![图](images/none.png)")
    assert [(p.severity, p.line) for p in problems] == [("error", BODY_LINE), ("error", BODY_LINE + 3)]


# --------------------------------------------------------------------------- 19. links to other articles

@pytest.mark.parametrize("body, line", [
    pytest.param("第一段。\n\n参见[另一篇](../ymlr/b.md)。", 2, id="article-link-in-paragraph"),
    pytest.param("- 第一项\n- 第二项，\n  见[另一篇](../ymlr/b.md)", 2, id="article-link-2nd-line-of-item"),
    pytest.param("> 引用\n>\n> 见[另一篇](../ymlr/b.md)", 2, id="article-link-in-quote"),
])
def test_a_link_to_another_article_is_a_placeholder_recorded_with_its_line(body, line):
    root, rendered, _ = render_of(body)
    links = root.xpath("//a")
    assert len(links) == 1
    assert links[0].get("href").startswith("#kexie-link-")
    assert links[0].text_content() == "另一篇"
    assert rendered.links == (("content/ymlr/b.md", "../ymlr/b.md", BODY_LINE + line),)


def test_two_links_to_the_same_article_each_have_their_line():
    root, rendered, _ = render_of("见[甲](../ymlr/b.md)。\n\n又见\n[乙](../ymlr/b.md)。")
    hrefs = [a.get("href") for a in root.xpath("p/a")]
    assert len(hrefs) == 2 and len(set(hrefs)) == 2 and all(h.startswith("#kexie-link-") for h in hrefs)
    assert rendered.links == (("content/ymlr/b.md", "../ymlr/b.md", BODY_LINE),
                              ("content/ymlr/b.md", "../ymlr/b.md", BODY_LINE + 3))


def test_an_external_link_is_not_rewritten():
    root, rendered, _ = render_of("见[科协](https://www.cast.org.cn/a.md)")
    assert [a.get("href") for a in root.xpath("p/a")] == ["https://www.cast.org.cn/a.md"]
    assert rendered.links == ()


# --------------------------------------------------------------------------- 20. sanitizing raw HTML

def test_a_script_block_is_removed():
    root = html_of("正文。\n\n<script>alert('x')</script>\n\n后文。")
    assert root.xpath("count(//script)") == 0
    assert "alert" not in root.text_content()
    assert [p.text_content() for p in root.xpath("p")] == ["正文。", "后文。"]


def test_an_event_handler_is_removed():
    root = html_of('<p onclick="alert(1)">点击这里</p>\n\n<img src="https://x.cn/a.png" onerror="alert(1)">')
    assert root.xpath("count(//*[@onclick]|//*[@onerror])") == 0
    assert root.xpath("string(p)") == "点击这里"


def test_a_javascript_link_loses_its_url():
    root = html_of("[点我](javascript:alert(1))")
    assert root.xpath('count(//a[starts-with(normalize-space(@href), "javascript")])') == 0
    assert "点我" in root.text_content()


def test_raw_frames_svg_scripts_and_form_fields_are_removed():
    root = html_of('<svg><script>alert(1)</script></svg><iframe src="https://x.cn"></iframe>\n\n'
                   '<input type="text" value="x"><form action="x"><button>按钮</button></form>')
    assert root.xpath("count(//svg|//script|//iframe|//form|//button|//input)") == 0
    assert "alert" not in root.text_content()


def test_raw_mathml_loses_links_and_handlers():
    root = html_of('<math><mi href="javascript:alert(1)" onclick="alert(1)">x</mi></math>')
    assert root.xpath("count(//*[@href]|//*[@onclick])") == 0
