"""URLs never collide silently, and an article's id survives edits of title, slug and file name."""
from __future__ import annotations

import feedparser

from conftest import article, build_site, page, problems_of, write_site


def ids_and_links(out):
    feed = feedparser.parse((out / "feed.xml").read_bytes())
    return {e.title: (e.id, e.link) for e in feed.entries}


def test_a_daily_title_repeated_on_other_days_keeps_every_article(tmp_path):
    site = write_site(tmp_path, {
        "content/a.md": article("每日一问", "2024-08-22", body="第一天。"),
        "content/b.md": article("每日一问", "2024-08-23", body="第二天。"),
        "content/c.md": article("每日一问", "2024-08-23 18:00", body="第二天晚上。"),
    })
    result, out = build_site(site)
    assert result.articles == 3
    first = page(out, "2024/08/22/meiri-yiwen/")
    assert "第一天。" in first.xpath("string(//article)")
    assert "第二天。" in page(out, "2024/08/23/meiri-yiwen/").xpath("string(//article)")
    assert "第二天晚上。" in page(out, "2024/08/23/meiri-yiwen-2/").xpath("string(//article)")


def test_explicit_slugs_that_collide_name_both_files_and_lines(tmp_path):
    site = write_site(tmp_path, {
        "content/a.md": article("甲", "2024-08-22", slug="same"),
        "content/b.md": article("乙", "2024-08-22 09:00", slug="same"),
    })
    problems = problems_of(site)
    assert len(problems) == 1
    p = problems[0]
    assert (p.path, p.line) == ("content/b.md", 5)
    assert "content/a.md:5" in p.message


def test_duplicate_explicit_ids_are_an_error(tmp_path):
    site = write_site(tmp_path, {
        "content/a.md": article("甲", "2024-08-22", id="kyky-1"),
        "content/b.md": article("乙", "2024-08-23", id="kyky-1"),
    })
    problems = problems_of(site)
    assert [(p.path, p.line) for p in problems] == [("content/b.md", 5)]
    assert "content/a.md" in problems[0].message


def test_derived_id_survives_title_slug_and_file_name_changes(tmp_path):
    site = write_site(tmp_path / "one", {"content/a.md": article("黑洞是怎么形成的", "2024-08-22")})
    _, out = build_site(site)
    (before_id, before_link), = ids_and_links(out).values()

    site2 = write_site(tmp_path / "two", {"content/renamed.md": article("黑洞的形成", "2024-08-22", slug="heidong")})
    _, out2 = build_site(site2)
    (after_id, after_link), = ids_and_links(out2).values()
    assert after_link != before_link
    assert after_id == before_id
    assert page(out2, "2024/08/22/heidong/").xpath("string(//article/@data-article-id)") == "kyky-20240822"


def test_publishing_a_draft_later_changes_no_other_id(tmp_path):
    files = {
        "content/a.md": article("上午", "2024-08-22 08:00"),
        "content/b.md": article("清晨", "2024-08-22 06:00", draft=True),
    }
    _, out = build_site(write_site(tmp_path / "one", files))
    before = ids_and_links(out)["上午"][0]
    _, out2 = build_site(write_site(tmp_path / "two", files), drafts=True)
    after = ids_and_links(out2)
    assert after["上午"][0] == before
    assert after["清晨"][0] != before
