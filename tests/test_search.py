"""Search: the index a build publishes answers every query exactly as a brute-force scan of the
published text does (same articles, same order), in Python (search.query, the reference) and in
the reader's browser (search.js, checked against the reference in Chromium)."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from kexie_site import search
from kexie_site.search import Doc, decode, doc_from_file, encode, fold, occurs, scan, terms

from conftest import REPO, article, build_site, parse_html, site_toml, write_site
from test_browser import browser  # noqa: F401 (the fixture: Debian's chromium through Playwright)

QUERIES = [
    # single characters, Han and Latin
    "雨", "风", "星", "黑", "a", "5", "的",
    # two-character words, also inside longer words (降雨 in 强降雨)
    "降雨", "台风", "北斗", "黑洞", "卫星", "导航", "科普", "基站", "暴雨", "天气", "洞穴",
    # phrases across word boundaries
    "强降雨", "降雨量", "北斗卫星", "卫星导航系统", "台风带来", "黑洞的", "夏季强降雨",
    # Latin words by prefix, case and width folded
    "AI", "ai", "ＡＩ", "aigc", "AIG", "said", "sa", "GPS", "gps", "2024", "202",
    # mixed, full-width
    "5G基站", "５Ｇ基站", "5g", "５Ｇ", "G基站", "5G基", "北斗GPS",
    # several terms
    "北斗 导航", "降雨 台风", "AI 黑洞", "卫星 5G", "强降雨 北斗", "科普 AI 雨",
    # tags and columns, headings
    "天文", "科言科语", "一目了然科普汇", "观测方法", "防御",
    # nothing
    "不存在的词", "zzzz", "降雨雨雨", "aigc发展",
]
assert len(QUERIES) >= 50


def generated_site(root: Path) -> Path:
    bodies = {
        "a1": ("强降雨来袭", "今年夏季强降雨频繁，降雨量创新高。\n\n## 防御措施\n\n注意暴雨预警。", ["天气", "科普"]),
        "a2": ("北斗卫星导航系统", "北斗卫星导航系统与 GPS 一样提供定位。5G基站也用它授时。\n\n## 观测方法\n\n卫星。", ["导航"]),
        "a3": ("黑洞是什么", "黑洞的引力极强，连光也逃不出。AIGC 和 ＡＩ 都画过黑洞；有人 said 它很美。", ["天文"]),
        "a4": ("台风从哪里来", "台风带来狂风和降雨。5g 网络在台风中保持畅通。2024 年台风多。", ["天气"]),
        "a5": ("洞穴里的星空", "洞穴中的萤火虫像星空。黑 洞不是洞穴。", []),
        "a6": ("人工智能 AI 入门", "AI 能帮科普；AIG 是缩写，SAID 不是。降 雨要分开写。", ["科普", "AI"]),
    }
    files = {}
    for n, (name, (title, body, tags)) in enumerate(bodies.items()):
        column = "科言科语" if n % 2 else "一目了然科普汇"
        files[f"content/{name}.md"] = article(title, f"2024-08-{10 + n:02d}", column=column, body=body, tags=tags,
                                              id=f"s-{name}")
    return write_site(root, files)


def index_of(out: Path):
    base = out / "search/index"
    return lambda path: (base / path).read_bytes()


def docs_of(out: Path) -> list[Doc]:
    read = index_of(out)
    count = json.loads(read("index.json"))["docs"]
    return [doc_from_file(read(f"d/{n}.json")) for n in range(count)]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The example site and the generated one, built."""
    work = tmp_path_factory.mktemp("search")
    example = work / "example"
    shutil.copytree(REPO / "content", example / "content")
    shutil.copy(REPO / "site.toml", example / "site.toml")
    _, example_out = build_site(example)
    generated = generated_site(work / "generated")
    _, generated_out = build_site(generated)
    return {"example": example_out, "generated": generated_out}


@pytest.mark.parametrize("which", ["example", "generated"])
def test_every_query_finds_what_a_scan_of_the_published_text_finds(built, which):
    out = built[which]
    docs, read = docs_of(out), index_of(out)
    found_any = 0
    for query in QUERIES:
        expected = scan(docs, query)
        assert search.query(query, read) == expected, query
        found_any += bool(expected)
    assert found_any >= (30 if which == "generated" else 10)


def test_the_indexed_text_is_the_published_text(built):
    """Each document's text is what its page shows: the title, the tags, and the body's Han
    characters in order (an index of something else would find the wrong articles)."""
    out = built["generated"]
    for doc in docs_of(out):
        html = parse_html(out / doc.url / "index.html")
        assert html.xpath("string(//h1)").strip() == doc.title
        body = html.xpath("string(//div[contains(@class, 'article-body')])")
        han = lambda text: "".join(search.HAN_RE.findall(text))      # noqa: E731
        assert han(body) in han(doc.body)
        tags = [t.strip() for t in html.xpath("//a[@rel='tag']/text()")]
        assert doc.meta.split("\n") == [*tags, doc.column]


def test_the_query_rules():
    assert fold("ＡＩ５Ｇ　Ｂ") == "ai5g b" and len(fold("北斗ＧＰＳ")) == len("北斗ＧＰＳ")
    assert terms("  北斗  ＡＩ 北斗 ") == ["北斗", "ai"]
    assert occurs("降雨", "夏季强降雨") and occurs("ai", "aigc 很新") and not occurs("ai", "said")
    assert occurs("5g基站", "用 5g基站") and not occurs("g基站", "5g基站") and occurs("基站", "5g基站")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 299), unique=True).map(sorted))
def test_document_lists_are_encoded_and_decoded_exactly(numbers):
    assert decode(encode(numbers, 300), 300) == numbers


def test_the_characters_that_fold_to_a_letter_or_digit_are_the_ones_keys_are_cut_from():
    """keys_of reads the text as written (folding it first cost a third of the index's time):
    exactly the characters that fold to a-z or 0-9 make words, and folding never changes a Han
    character."""
    wordish = {c for c in range(0x10000) if not 0xD800 <= c < 0xE000 and re.fullmatch("[a-z0-9]", search.fold_char(chr(c)))}
    assert wordish == {c for c in range(0x10000) if search.WORDISH_RE.fullmatch(chr(c))}
    assert all(search.fold_char(chr(c)) == chr(c) for c in range(0x3400, 0xA000) if search.HAN_RE.match(chr(c)))


TEXT = st.text(st.sampled_from("北斗卫星降雨强ＡＩａｉ５Ｇ5gKKİ AIgc-said 　，。"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_keys_are_those_of_the_folded_text(text):
    folded = fold(text)
    grams = set(search.HAN_PAIR_RE.findall(folded)) | set(search.HAN_RE.findall(folded))
    assert search.keys_of(text) == (grams, set(search.WORD_RE.findall(folded)))


@settings(max_examples=200, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=8), st.integers(1, 4))
def test_the_index_made_in_slices_is_the_index_made_at_once(bodies, size):
    docs = [Doc(f"t{n}", f"u{n}/", "科言科语", "2024年8月1日", "", "", body) for n, body in enumerate(bodies)]
    parts = [search.postings_of((n, docs[n]) for n in range(i, min(i + size, len(docs))))
             for i in range(0, len(docs), size)]
    assert search.index_files(parts, len(docs)) == search.build_index(docs)


def test_search_can_be_turned_off(tmp_path):
    site = write_site(tmp_path / "site", {"content/a.md": article("黑洞", "2024-08-20")},
                      config=site_toml() + "\n[search]\nenabled = false\n")
    result, out = build_site(site)
    assert not (out / "search").exists()
    assert not parse_html(out / "index.html").xpath("//form[@role='search']")
    assert "search" not in {k.name for k in result.kinds if k.outputs}


def test_a_one_article_edit_rewrites_only_the_index_files_it_touches(tmp_path):
    site = generated_site(tmp_path / "site")
    first, out = build_site(site)
    index_files = [p for p in first.report.written if p.startswith("search/index/")]
    (site / "content/a3.md").write_text(article("黑洞是什么", "2024-08-12", column="科言科语",
                                                body="黑洞的引力极强。新加一句：量子。", tags=["天文"], id="s-a3"), "utf-8")
    edited, _ = build_site(site)
    rewritten = [p for p in edited.report.written if p.startswith("search/index/")]
    assert "search/index/d/2.json" in rewritten and "search/index/d/0.json" not in rewritten
    assert 0 < len(rewritten) < len(index_files) / 2
    docs = docs_of(out)
    assert search.query("量子", index_of(out)) == scan(docs, "量子") == [2]


# ------------------------------------------------------------------ in the reader's browser

@pytest.fixture(scope="module", params=["/", "/kexie/kepu/"], ids=["root", "sub-path"])
def served(request, tmp_path_factory):
    from test_browser import serve

    prefix = request.param
    work = tmp_path_factory.mktemp("search-browser")
    src = generated_site(work / "src")
    (src / "site.toml").write_text(site_toml(base_url=f"https://kepu.example.cn{prefix}"), "utf-8")
    www = work / "www"
    out = www / prefix.strip("/") if prefix != "/" else www
    build_site(src, out)
    server = serve(www)
    yield f"http://127.0.0.1:{server.server_address[1]}{prefix}", out
    server.shutdown()


def results_of(page) -> list[int]:
    page.wait_for_selector("#search-status[data-done]", timeout=10000)
    raw = page.get_attribute("#search-results", "data-results")
    return [int(n) for n in raw.split(",")] if raw else []


def test_typing_a_query_shows_what_the_reference_finds(browser, served):
    from test_browser import open_page

    url, out = served
    docs, read = docs_of(out), index_of(out)
    context, page, errors, foreign = open_page(browser, url + "search/", 390)
    try:
        box = page.locator("#search-q")
        for query in ["降雨", "强降雨", "ＡＩ", "5G基站", "北斗 导航", "sa", "雨", "不存在的词", "科言科语", "G基站"]:
            box.fill(query)
            page.wait_for_function(f"new URLSearchParams(location.search).get('q') === {query!r}", timeout=5000)
            expected = search.query(query, read)
            assert results_of(page) == expected, query
            titles = page.locator("#search-results li > a").all_inner_texts()
            assert titles == [docs[n].title for n in expected][:10], query
            if expected:
                assert page.locator("#search-results mark").count() > 0
                assert "找到" in page.inner_text("#search-status")
            else:
                assert "没有找到" in page.inner_text("#search-status")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert errors == [] and foreign == []
    finally:
        context.close()


def test_search_by_keyboard_from_the_header_with_a_shareable_url_and_the_back_button(browser, served):
    from test_browser import open_page

    url, out = served
    context, page, errors, foreign = open_page(browser, url, 1280)
    try:
        page.focus("#site-search-q")
        page.keyboard.type("北斗")
        page.keyboard.press("Enter")                         # the header's form: to the search page
        page.wait_for_url(re.compile(r"/search/\?q="))
        assert results_of(page) == search.query("北斗", index_of(out))
        assert page.input_value("#search-q") == "北斗"
        page.focus("#search-q")
        page.keyboard.press("Tab")                           # the button, then the first result
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused == docs_of(out)[search.query("北斗", index_of(out))[0]].title
        page.keyboard.press("Enter")
        page.wait_for_load_state("load")
        assert page.locator("h1").inner_text() == focused
        page.go_back()                                       # back to the results of the same query
        page.wait_for_url(re.compile(r"/search/\?q="))
        assert results_of(page) == search.query("北斗", index_of(out))
        shared = page.url                                   # a shared link opens the same results
        other = context.new_page()
        other.goto(shared)
        assert results_of(other) == search.query("北斗", index_of(out))
        assert errors == [] and foreign == []
    finally:
        context.close()


def test_many_results_come_a_page_at_a_time_and_end_as_the_reference(browser, tmp_path):
    """A phrase the index cannot answer alone is confirmed on each candidate's text, a page of
    results at a time ("继续查找" for more); a short word's results are all known at once and
    shown a page at a time. Either way the list ends as the reference's."""
    from test_browser import open_page, serve

    files = {f"content/m{i:02d}.md": article(f"第{i}篇：降雨" + ("量" if i % 3 else "的季节"), f"2024-07-{1 + i:02d}",
                                              body=f"今年降雨量{i}毫米。" if i % 2 else "降雨和量子没有关系。", id=f"m-{i}")
             for i in range(27)}
    site = write_site(tmp_path / "site", files)
    _, out = build_site(site)
    server = serve(out)
    context, page, errors, foreign = open_page(browser, f"http://127.0.0.1:{server.server_address[1]}/search/", 1280)
    try:
        for query in ("降雨量", "降雨"):
            page.fill("#search-q", query)
            page.wait_for_function(f"new URLSearchParams(location.search).get('q') === {query!r}", timeout=5000)
            expected = search.query(query, index_of(out))
            assert len(expected) > 10
            page.wait_for_selector("#search-more:not([hidden]), #search-status[data-done]", timeout=10000)
            assert page.locator("#search-results li").count() >= 10
            while page.is_visible("#search-more"):           # "继续查找" until every candidate is checked
                page.click("#search-more")
                page.wait_for_selector("#search-more:not([hidden]), #search-status[data-done]", timeout=10000)
            assert results_of(page) == expected
            assert page.locator("#search-results li").count() == len(expected)
        assert errors == [] and foreign == []
    finally:
        context.close()
        server.shutdown()


def test_the_index_is_made_once_in_the_build_s_process_the_same_however_it_is_split(tmp_path, monkeypatch):
    """A build with page workers makes the whole index once, in its own process (each worker
    used to make all of it again), its lists made for slices of the articles in other
    processes; the bytes are those one process makes in one go."""
    import os
    from conftest import read_tree
    from kexie_site import render, searchindex

    site = generated_site(tmp_path / "site")
    calls = tmp_path / "calls"
    made = searchindex.whole_index

    def counted(*args):
        with calls.open("a") as f:
            f.write(f"{os.getpid()}\n")
        return made(*args)
    monkeypatch.setattr(searchindex, "whole_index", counted)
    monkeypatch.setattr(searchindex, "SLICE", 2)              # 6 articles: 3 slices, in 2 processes
    monkeypatch.setattr(render, "PAGES_PARALLEL_MIN", 2)       # the pages in workers too
    _, out = build_site(site, jobs=2)
    assert calls.read_text().split() == [str(os.getpid())]
    monkeypatch.setattr(searchindex, "whole_index", made)
    _, one = build_site(site, tmp_path / "one", cache=False, jobs=1)
    assert read_tree(out / "search") == read_tree(one / "search")
    docs = docs_of(one)
    assert search.index_files([search.postings_of(enumerate(docs))], len(docs)) == search.build_index(docs)


def test_an_edit_and_a_new_article_update_the_published_index_to_what_a_fresh_build_makes(tmp_path, monkeypatch):
    """A day's work — one article edited, one added — updates the published index in place
    (the full index is not made again: that is what keeps a big site's rebuild quick), to the
    very bytes a build from nothing makes; removing an article makes it afresh, also exactly."""
    from conftest import read_tree
    from kexie_site import searchindex

    site = generated_site(tmp_path / "site")
    build_site(site)
    (site / "content/a3.md").write_text(article("黑洞是什么", "2024-08-12", column="科言科语",
                                                body="黑洞的引力极强。新加一句：量子纠缠。", tags=["天文", "量子"], id="s-a3"), "utf-8")
    (site / "content/a7.md").write_text(article("量子通信", "2024-08-30", body="量子通信用到 ＱＫＤ。", id="s-a7"), "utf-8")

    def not_again(*args):
        raise AssertionError("the whole index was made again")
    with monkeypatch.context() as patched:
        patched.setattr(searchindex, "whole_index", not_again)
        updated, out = build_site(site)
    written = [p for p in updated.report.written if p.startswith("search/index/")]
    assert "search/index/d/6.json" in written and "search/index/d/0.json" not in written
    _, fresh = build_site(site, tmp_path / "fresh", cache=False)
    assert read_tree(out / "search") == read_tree(fresh / "search")
    assert search.query("量子", index_of(out)) == scan(docs_of(out), "量子") == [6, 2]

    (site / "content/a1.md").unlink()                      # numbers move: made afresh
    build_site(site)
    _, fresh = build_site(site, tmp_path / "fresh2", cache=False)
    assert read_tree(out / "search") == read_tree(fresh / "search")

    (out / "search/index/g/3.json").unlink()               # a published shard gone: made again
    (site / "content/a2.md").write_text(article("北斗卫星导航系统", "2024-08-11", body="北斗。", id="s-a2"), "utf-8")
    build_site(site)
    _, fresh = build_site(site, tmp_path / "fresh3", cache=False)
    assert read_tree(out / "search") == read_tree(fresh / "search")
