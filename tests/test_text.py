"""Chinese text rules: slugs, counts, reading time, summaries, numbers, dates."""
from __future__ import annotations

import re
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kexie_site.text import (HAN_RE, SLUG_MAX, WINDOWS_RESERVED, Slugs, count_text,
                             reading_minutes, sanitize_slug, slugify, summarize, zh_date, zh_number)

SAFE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@pytest.mark.parametrize("text,slug", [
    ("重庆", "chongqing"),
    ("长江", "changjiang"),
    ("银行", "yinhang"),
    ("重庆的长江", "chongqing-de-changjiang"),
    ("黑洞是怎么形成的", "heidong-shi-zenme-xingcheng-de"),
    ("AI大模型与GPT-4", "ai-da-moxing-yu-gpt-4"),
    ("Hello, World!", "hello-world"),
    ("Café au lait", "cafe-au-lait"),
    ("每日一问：为什么天空是蓝色的？", "meiri-yiwen-weishenme-tiankong-shi-lanse-de"),
])
def test_slugs_read_chinese_as_pinyin_words(text, slug):
    assert slugify(text) == slug


def test_slug_length_is_bounded_at_a_word_boundary():
    long = "人工智能" * 40
    slug = slugify(long)
    assert len(slug) <= SLUG_MAX
    assert SAFE_SLUG.match(slug)
    assert slug.endswith("rengongzhineng")


@pytest.mark.parametrize("given_slug", ["../../etc/passwd", "a/b\\c", "..", "\x00", "CON", "nul", "", "   ", "。。。"])
def test_explicit_slugs_are_made_safe(given_slug):
    slug = sanitize_slug(given_slug)
    assert slug == "" or SAFE_SLUG.match(slug)
    assert "/" not in slug and "\\" not in slug and ".." not in slug
    assert slug not in WINDOWS_RESERVED


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_any_slug_is_safe_ascii(text):
    for slug in (slugify(text), sanitize_slug(text)):
        assert slug == "" or SAFE_SLUG.match(slug), slug
        assert len(slug) <= SLUG_MAX + len("-page")
        assert slug not in WINDOWS_RESERVED


def test_a_builds_slugs_are_worked_out_once_and_known_ones_are_not_worked_out_again(monkeypatch):
    """A build's Slugs: a slug an earlier build worked out is taken as it is (no pinyin needed);
    a new one is worked out once, and is what the cache learns; a worker's are adopted."""
    from kexie_site import text

    calls = []
    real = text.slugify
    monkeypatch.setattr(text, "slugify", lambda t, n=SLUG_MAX: calls.append(t) or real(t, n))
    known = {("黑洞", SLUG_MAX): "heidong-known"}
    slugs = Slugs(known)
    assert slugs("黑洞") == "heidong-known" and calls == []
    assert [slugs("重庆的天气") for _ in range(3)] == ["chongqing-de-tianqi"] * 3 and calls == ["重庆的天气"]
    assert slugs.learned == {("重庆的天气", SLUG_MAX): "chongqing-de-tianqi"}
    worker = Slugs(known)                 # a worker starts from the build's known slugs
    worker("银行")
    slugs.adopt(worker.learned.items())
    assert slugs("银行") == "yinhang" and calls == ["重庆的天气", "银行"]
    assert set(slugs.learned) == {("重庆的天气", SLUG_MAX), ("银行", SLUG_MAX)} and known == {("黑洞", SLUG_MAX): "heidong-known"}


def test_counts_han_one_by_one_and_latin_words_as_words():
    assert count_text("黑洞是天体") == (5, 0)
    assert count_text("GPT-4 is a large language model") == (0, 6)
    assert count_text("用 Python 写一个 static site generator。") == (4, 4)
    assert count_text("，。！？“”") == (0, 0)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("黑洞𠀀の한A1 ，。\n-'")) | st.text())
def test_han_count_is_the_number_of_han_kana_and_hangul_characters(text):
    one_by_one = sum(1 for ch in text if HAN_RE.fullmatch(ch) or "\u3040" <= ch <= "\u30ff" or "\uac00" <= ch <= "\ud7af")
    assert count_text(text)[0] == one_by_one


def test_reading_time_uses_400_han_and_200_words_a_minute():
    assert reading_minutes(0, 0) == 0
    assert reading_minutes(1, 0) == 1
    assert reading_minutes(400, 0) == 1
    assert reading_minutes(401, 0) == 2
    assert reading_minutes(2300, 0) == 6
    assert reading_minutes(0, 600) == 3
    assert reading_minutes(400, 200) == 2


def test_summary_is_cut_at_the_last_sentence_end_inside_the_limit():
    text = "第一句话很短。第二句话稍微长一点！第三句话会超出限制，所以不应该出现在摘要里。"
    summary = summarize(text, 20)
    assert summary == "第一句话很短。第二句话稍微长一点！"
    assert len(summary) <= 20


def test_summary_without_a_sentence_end_is_cut_with_an_ellipsis():
    summary = summarize("这是一段没有任何句号的很长很长很长很长很长很长的文字", 10)
    assert len(summary) == 10 and summary.endswith("…")


def test_short_text_is_its_own_summary():
    assert summarize("  短文。\n\n  第二段。 ", 120) == "短文。 第二段。"


@pytest.mark.parametrize("n,text", [
    (0, "0"), (9999, "9999"), (10000, "1万"), (53000, "5.3万"), (2_100_000, "210万"),
    (230_000_000, "2.3亿"), (15_500, "1.6万"), (99_999_999, "1亿"), (1_000_000_000_000, "10000亿"),
])
def test_chinese_numbers(n, text):
    assert zh_number(n) == text


def test_chinese_dates():
    assert zh_date(datetime(2024, 8, 22, 23, 30)) == "2024年8月22日"
