"""Hostile Markdown stays bounded and loses nothing silently: each input either renders with
all of its text, or is refused at a line (nesting). Work is counted, not timed."""
from __future__ import annotations

import pytest

from conftest import body_doc
from kexie_site import cjk, mdext
from kexie_site.markup import new_parser, render
from kexie_site.mdext import ENV_KEY, Env, NestingTooDeep
from kexie_site.refs import Files


@pytest.mark.parametrize("body, char, count", [
    ("[" * 10000, "[", 10000),
    ("![" * 5000, "[", 5000),
    ("*a **a " * 5000, "a", 10000),
    ("~~a " * 5000, "a", 5000),
    ("价格 $5 和 $10，" * 2000, "$", 4000),
    ("<div>" * 5000 + "文" + "</div>" * 5000, "文", 1),
    ("<span>" * 5000 + "文" + "</span>" * 5000, "文", 1),
    ("中文\n" * 20000, "文", 20000),
    ("a://" * 5000, "a", 5000),
], ids=["brackets", "images", "emphasis", "tildes", "dollars", "divs", "spans", "lines", "schemes"])
def test_hostile_text_renders_with_all_of_its_text(body, char, count):
    rendered, problems, _ = render(body_doc(body), Files({}), 120)
    assert rendered.text.count(char) == count
    assert problems == ()


def test_a_raw_html_tag_never_reaches_past_the_next_angle_bracket():
    """Raw <img>, <source> and <a> tags are read for the files they name. Were a tag allowed to
    run on through a `<` (even a quoted one), every unclosed `<a x="` of a block would be read
    to the block's end: 100 KB of them took 40 s. With this, each try ends at the next `<`."""
    assert mdext.RAW_TAG_RE.fullmatch('<a href="x.pdf" title="说明">')
    assert mdext.RAW_TAG_RE.match('<a x="<a x="<a x=">') is None
    assert mdext.RAW_TAG_RE.match("<a x <a x <a x>") is None
    body = "<div>\n" + '<a x="' * 3000 + "\n\n" + "<img src=a.png " * 3000 + "\n\n文"
    rendered, problems, _ = render(body_doc(body), Files({}), 120)
    assert rendered.text.count("文") == 1 and problems == ()


def test_finding_bare_urls_reads_each_stretch_of_text_a_bounded_number_of_times():
    """markdown-it's own rule handed linkify-it the whole rest of the paragraph at every `://`:
    quadratic (`a://` × 40,000 took 100 s). Ours hands it at most URL_WINDOW characters."""
    read = []

    class Counting(cjk.CjkLinkify):
        def match_at_start(self, text):
            read.append(len(text))
            return super().match_at_start(text)

    md = new_parser()
    md.linkify = Counting()
    n = 5000
    md.render("a://" * n, {ENV_KEY: Env()})
    assert len(read) <= n and sum(read) <= n * (cjk.URL_WINDOW + cjk.SCHEME_MAX)
    # a URL longer than the window is still found, by linkify's pass over whole text runs
    long_url = "https://x.cn/" + "a" * (cjk.URL_WINDOW + 10)
    html = md.render(f"见 {long_url} 和 https://kexie.cn/b", {ENV_KEY: Env()})
    assert f'href="{long_url}"' in html and 'href="https://kexie.cn/b"' in html


def test_a_bare_url_followed_by_a_long_stretch_of_chinese_is_linked():
    """Chinese has no spaces: the end of a URL's window is the first Chinese character too."""
    rendered, _, _ = render(body_doc("详见https://www.cast.org.cn/kp，" + "科普" * 3000), Files({}), 120)
    assert 'href="https://www.cast.org.cn/kp"' in rendered.html


def test_a_paragraph_of_hundreds_of_nested_brackets_keeps_them_all():
    body = "[链接" * 300 + "](x)" * 300
    rendered, _, _ = render(body_doc(body), Files({}), 120)
    assert rendered.text.count("链接") == 300


def test_nesting_that_is_deep_but_allowed_renders_fully():
    body = "".join("  " * i + f"- 第{i}层\n" for i in range(20))
    rendered, problems, _ = render(body_doc(body), Files({}), 120)
    assert all(f"第{i}层" in rendered.text for i in range(20)) and problems == ()
    with pytest.raises(NestingTooDeep):
        render(body_doc("".join("  " * i + f"- 第{i}层\n" for i in range(40))), Files({}), 120)


def test_an_article_past_the_size_limit_is_refused_at_its_first_line(tmp_path, monkeypatch):
    """Issue 16: a 50 MB article took 465 s; past the limit it is refused with the reason (a
    draft that big is only a warning: it does not stop the others)."""
    from conftest import article, build_site, problems_of, write_site
    from kexie_site import articles

    monkeypatch.setattr(articles, "MAX_ARTICLE_BYTES", 4096)
    big = "北斗。" * 2000
    site = write_site(tmp_path / "site", {"content/big.md": article("大文章", "2024-08-22", body=big),
                                          "content/ok.md": article("小文章", "2024-08-23")})
    problem, = problems_of(site, jobs=1)
    assert (problem.path, problem.line, problem.is_error) == ("content/big.md", 1, True)
    assert "article too large" in problem.message and "base64" in problem.hint
    (site / "content/big.md").write_text(article("大文章", "2024-08-22", body=big, draft=True), "utf-8")
    result, _ = build_site(site, jobs=1)
    assert result.articles == 1 and [p.path for p in result.problems] == ["content/big.md"]
