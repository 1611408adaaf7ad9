"""Front matter an editor can fix: each broken file reports the exact path and line."""
from __future__ import annotations

import codecs
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO, article, problems_of, write_site
from kexie_site.config import load_config
from kexie_site.dates import get_zone
from kexie_site.parse import parse_article, split_front_matter
from kexie_site.sources import sha256
from kexie_site.model import SourceFile

CONFIG, _ = load_config("""
[site]
title = "t"
base_url = "https://kepu.example.cn/"
[[columns]]
name = "科言科语"
slug = "kyky"
[[columns]]
name = "一目了然科普汇"
""")
ZONE = get_zone("Asia/Shanghai")


def parse(text: str | bytes, path="content/a.md"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_article(SourceFile(path, data, sha256(data)), CONFIG, ZONE)


GOOD = "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\n---\n正文\n"

# (name, file text, expected line, a word the message must contain)
BROKEN = [
    ("full-width colon", "---\ntitle：黑洞\ndate: 2024-08-22\ncolumn: 科言科语\n---\n", 2, "全角冒号"),
    ("full-width colon later", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn： 科言科语\n---\n", 4, "column"),
    ("full-width space indent", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\ntags:\n\u3000- 天文\n---\n", 6, "全角空格"),
    ("tab indent", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\ntags:\n\t- 天文\n---\n", 6, "Tab"),
    ("curly quotes", "---\ntitle: “黑洞”\ndate: 2024-08-22\ncolumn: 科言科语\n---\n", 2, "引号"),
    ("missing closing", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\n\n正文\n", 1, "---"),
    ("no front matter", "正文而已\n", 1, "front matter"),
    ("not a mapping", "---\n- 黑洞\n- 2024\n---\n", 2, "mapping"),
    ("plain scalar front matter", "---\n只是一句话\n---\n", 2, "mapping"),
    ("duplicate key", "---\ntitle: 黑洞\ndate: 2024-08-22\ntitle: 白洞\ncolumn: 科言科语\n---\n", 4, "duplicate"),
    ("missing title", "---\ndate: 2024-08-22\ncolumn: 科言科语\n---\n", 1, "title"),
    ("missing date", "---\ntitle: 黑洞\ncolumn: 科言科语\n---\n", 1, "date"),
    ("missing column", "---\ntitle: 黑洞\ndate: 2024-08-22\n---\n", 1, "column"),
    ("unknown key", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\ntitel: x\n---\n", 5, "titel"),
    ("chinese key", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\n标签: [天文]\n---\n", 5, "tags"),
    ("undeclared column", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科学辟谣\n---\n", 4, "科言科语"),
    ("impossible date", "---\ntitle: 黑洞\ndate: 2024-02-30\ncolumn: 科言科语\n---\n", 3, "2024-02-30"),
    ("impossible chinese date", "---\ntitle: 黑洞\ndate: 2024年13月1日\ncolumn: 科言科语\n---\n", 3, "不存在"),
    ("unreadable date", "---\ntitle: 黑洞\ndate: 下周一\ncolumn: 科言科语\n---\n", 3, "日期"),
    ("impossible updated", "---\ntitle: 黑洞\ndate: 2024-02-03\nupdated: 2023-02-29\ncolumn: 科言科语\n---\n", 4, "updated"),
    ("draft not boolean", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\ndraft: 也许\n---\n", 5, "draft"),
    ("tags mapping", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\ntags: {a: 1}\n---\n", 5, "tags"),
    ("bad yaml", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\nsummary: [未闭合\n---\n", 5, "YAML"),
    ("colon in unquoted title", "---\ntitle: 黑洞: 宇宙: 吞噬\ndate: 2024-08-22\ncolumn: 科言科语\n---\n", 2, "YAML"),
    ("alias", "---\ntitle: &t 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\nsummary: *t\n---\n", 5, "别名"),
    ("python tag", "---\ntitle: !!python/object:os.system x\ndate: 2024-08-22\ncolumn: 科言科语\n---\n", 2, "YAML"),
    ("empty slug", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\nslug: ../..\n---\n", 5, "slug"),
    ("id with space", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\nid: a b\n---\n", 5, "id"),
    ("gbk file", "---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\n---\n".encode("gbk"), 2, "GB18030"),
    ("utf-16 file", codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"), 1, "UTF-16"),
]


@pytest.mark.parametrize("name,text,line,word", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_front_matter_is_reported_at_its_line(name, text, line, word):
    doc, problems = parse(text)
    assert doc is None
    errors = [p for p in problems if p.is_error]
    assert errors, problems
    assert any(p.line == line and p.path == "content/a.md" and word in p.message + p.hint for p in errors), \
        [p.format() for p in errors]


def test_every_problem_of_a_file_is_reported_at_once():
    doc, problems = parse("---\ntitle：黑洞\ndate: 2024-02-30\ncolumn: 科学辟谣\n---\n")
    assert doc is None
    assert sorted(p.line for p in problems) == [2, 3, 4]


def test_utf8_bom_and_crlf_and_cr_line_endings_work():
    for text in ("\ufeff" + GOOD, GOOD.replace("\n", "\r\n"), GOOD.replace("\n", "\r")):
        doc, problems = parse(text)
        assert problems == ()
        assert doc.meta.title == "黑洞"
        assert doc.body.strip() == "正文"
        assert doc.body_line == 6


def test_line_numbers_count_from_the_start_of_the_file_with_blank_lines():
    text = "---\n\ntitle: 黑洞\n\n\ndate: 2024-08-22\ncolumn: 科言科语\nsummary: 摘要\n---\n"
    doc, _ = parse(text)
    assert doc.meta.line_of("title") == 3
    assert doc.meta.line_of("date") == 6
    assert doc.meta.line_of("summary") == 8


def test_tags_written_as_a_string_are_split_with_a_warning():
    doc, problems = parse("---\ntitle: 黑洞\ndate: 2024-08-22\ncolumn: 科言科语\ntags: 科普，健康、天文, 物理\n---\n")
    assert doc.meta.tags == ("科普", "健康", "天文", "物理")
    assert [(p.severity, p.line) for p in problems] == [("warning", 5)]


def test_zero_width_characters_are_removed_from_title_and_tags():
    doc, _ = parse("---\ntitle: 黑\u200b洞\ufeff\ndate: 2024-08-22\ncolumn: 科言科语\ntags: [天\u200d文, \u200b]\n---\n")
    assert doc.meta.title == "黑洞"
    assert doc.meta.tags == ("天文",)


def test_scalars_stay_text_as_written():
    doc, _ = parse("---\ntitle: no\ndate: 2024-08-22\ncolumn: kyky\nid: 20240822\ntags: [2024, 长江]\n---\n")
    assert doc.meta.title == "no"
    assert doc.meta.id == "20240822"
    assert doc.meta.tags == ("2024", "长江")
    assert doc.meta.column == "科言科语"      # the column by its slug


@pytest.mark.parametrize("written,expected", [
    ("2024-08-22", "2024-08-22T00:00:00+08:00"),
    ("2024-08-22 08:30", "2024-08-22T08:30:00+08:00"),
    ("2024-08-22 08:30:15", "2024-08-22T08:30:15+08:00"),
    ("2024-08-22T08:30:00+08:00", "2024-08-22T08:30:00+08:00"),
    ("2024-08-22T00:30:00Z", "2024-08-22T08:30:00+08:00"),
    ("2024-08-31T23:30:00+00:00", "2024-09-01T07:30:00+08:00"),
    ("2024年8月22日", "2024-08-22T00:00:00+08:00"),
    ("2024年8月22日 09:05", "2024-08-22T09:05:00+08:00"),
    ('"2024-08-22"', "2024-08-22T00:00:00+08:00"),
])
def test_every_date_form_of_the_contract(written, expected):
    doc, problems = parse(f"---\ntitle: 黑洞\ndate: {written}\ncolumn: 科言科语\n---\n")
    assert problems == ()
    assert doc.meta.date.isoformat() == expected


def test_a_build_reports_problems_of_all_files_sorted(tmp_path):
    site = write_site(tmp_path, {
        "content/b.md": "---\ntitle：乙\ndate: 2024-08-22\ncolumn: 科言科语\n---\n",
        "content/a.md": "---\ntitle: 甲\ndate: 2024-02-30\ncolumn: 科言科语\n---\n",
        "content/ok.md": article("好的", "2024-08-22"),
    })
    problems = problems_of(site)
    assert [(p.path, p.line) for p in problems] == [("content/a.md", 3), ("content/b.md", 2)]
    assert not (site / "public").exists()


def test_cli_prints_path_line_and_survives_a_gbk_console(tmp_path):
    site = write_site(tmp_path, {"content/a.md": "---\ntitle：黑洞😀\ndate: 2024-08-22\ncolumn: 科言科语\n---\n"})
    proc = subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(site)],
                          capture_output=True, env={"PYTHONIOENCODING": "gbk", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1
    err = proc.stderr.decode("gbk")
    assert "content/a.md:2:" in err
    assert "Traceback" not in err


def test_a_good_file_has_no_problems():
    doc, problems = parse(GOOD)
    assert problems == ()
    assert (doc.meta.title, doc.meta.column, doc.body_line) == ("黑洞", "科言科语", 6)


# ------------------------------------------------------------------ property tests

@settings(max_examples=300, deadline=None)
@given(st.text())
def test_splitter_gives_a_result_or_a_problem(text):
    result, problem = split_front_matter(text, "content/x.md")
    assert (result is None) != (problem is None)
    if result:
        front, first, body, body_line = result
        lines = text.split("\n")
        assert lines[body_line - 2].rstrip() in ("---", "...")
        assert body == "\n".join(lines[body_line - 1:])
    else:
        assert problem.path == "content/x.md" and problem.line >= 1


yaml_ish = st.lists(st.sampled_from([
    "title: 黑洞", "title：黑洞", "date: 2024-08-22", "date: 2024-02-30", "column: 科言科语", "column: x",
    "tags: [a, b]", "tags: 科普，健康", "  - x", "\t- y", "\u3000z: 1", "a: &x [1]", "b: *x", "c: {",
    "d: [", "draft: yes", "id: ", "slug: ../../etc", "'': 1", "? complex", ": v", "---", "...", "# c",
    "summary: |", "  多行", "e: !!binary aGk=", "f: !!python/name:os.system", "g: 1e9999", "h: .nan",
]), max_size=12)


@settings(max_examples=300, deadline=None)
@given(yaml_ish, st.text(max_size=40))
def test_random_front_matter_never_raises(lines, body):
    doc, problems = parse("---\n" + "\n".join(lines) + "\n---\n" + body)
    assert doc is not None or any(p.is_error for p in problems)
    for p in problems:
        assert p.path == "content/a.md" and 1 <= p.line <= len(lines) + 2


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data):
    doc, problems = parse(b"---\n" + data)
    assert doc is not None or problems


def test_billion_laughs_is_refused_quickly():
    lines = ["---", "title: x", "date: 2024-01-01", "column: kyky", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 9) + "]")
    lines.append("---")
    doc, problems = parse("\n".join(lines) + "\n")
    assert doc is None
    assert any("别名" in p.message for p in problems)
