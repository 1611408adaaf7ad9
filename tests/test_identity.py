"""URLs never collide silently, and an article's id survives edits of title, slug and file name."""
from __future__ import annotations

import shutil
from pathlib import Path

import feedparser

from conftest import article, build_site, page, problems_of, write_site
from kexie_site.cli import main


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


# ------------------------------------------------------------------ sticky identity across builds

BASE = "https://kepu.example.cn/"
CHECK_NOW = "2026-12-01 12:00"
SUMMARY = "一句完整的摘要，说明文章讲什么。"


def published(out):
    """{site-relative URL: (RSS guid, Atom id, the page's data-article-id)} of every article in the feeds."""
    rss = {e.link: e.id for e in feedparser.parse((out / "feed.xml").read_bytes()).entries}
    atom = {e.link: e.id for e in feedparser.parse((out / "atom.xml").read_bytes()).entries}
    assert rss.keys() == atom.keys()
    found = {}
    for link, guid in rss.items():
        assert link.startswith(BASE), link
        url = link[len(BASE):]
        found[url] = (guid, atom[link], page(out, url).xpath("string(//article/@data-article-id)"))
    return found


def count_on(doc) -> str:
    return doc.xpath("string(//span[@class='view-count'])")


def moved(problems):
    return [p for p in problems if "published id/URL changed" in p.message]


def test_a_same_day_newcomer_that_sorts_first_gets_the_suffix_not_what_was_published(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/b.md": article("每日一问", "2024-08-22 10:00", body="先发布的。"),
        "data/views.csv": "id,url,source,views\nkyky-20240822,,wechat,2100000\n",
    })
    _, out = build_site(site)
    before = published(out)
    assert list(before) == ["2024/08/22/meiri-yiwen/"]
    assert before["2024/08/22/meiri-yiwen/"][2] == "kyky-20240822"
    assert count_on(page(out, "2024/08/22/meiri-yiwen/")) == "210万"

    # a newcomer, same column and day, earlier in the day: by order alone it would take the base
    (site / "content/a.md").write_text(article("每日一问", "2024-08-22 06:00", body="后来补的。"), "utf-8")
    result, out = build_site(site)
    assert result.record_found is True
    after = published(out)
    assert after["2024/08/22/meiri-yiwen/"] == before["2024/08/22/meiri-yiwen/"]        # guid, Atom id, page id
    assert "先发布的。" in page(out, "2024/08/22/meiri-yiwen/").xpath("string(//article)")
    assert count_on(page(out, "2024/08/22/meiri-yiwen/")) == "210万"
    newcomer = page(out, "2024/08/22/meiri-yiwen-2/")
    assert "后来补的。" in newcomer.xpath("string(//article)")
    assert newcomer.xpath("string(//article/@data-article-id)") == "kyky-20240822-2"
    assert set(after) == {"2024/08/22/meiri-yiwen/", "2024/08/22/meiri-yiwen-2/"}
    assert moved(result.problems) == []


def test_a_copy_sorting_first_gets_the_suffix_and_a_duplicate_warning(tmp_path):
    text = article("黑洞", "2024-08-22 10:00", body="黑洞是时空中引力极强的区域。")
    site = write_site(tmp_path / "site", {
        "content/b.md": text,
        "data/views.csv": "id,url,source,views\nkyky-20240822,,wechat,2100000\n",
    })
    _, out = build_site(site)
    before = published(out)["2024/08/22/heidong/"]

    (site / "content/a-copy.md").write_text(text, "utf-8")      # same date; its path sorts first
    result, out = build_site(site)
    after = published(out)
    assert after["2024/08/22/heidong/"] == before
    assert count_on(page(out, "2024/08/22/heidong/")) == "210万"
    assert after["2024/08/22/heidong-2/"][2] == "kyky-20240822-2"
    assert moved(result.problems) == []
    duplicates = [p for p in result.problems if "duplicate" in p.message]
    assert duplicates
    assert any("content/a-copy.md" in p.path + p.message and "content/b.md" in p.path + p.message for p in duplicates)


def test_a_moved_and_retitled_file_with_an_explicit_id_keeps_its_url_and_views(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/kyky/x.md": article("黑洞", "2024-08-22", id="kyky-x"),
        "data/views.csv": f"id,url,source,views\n,{BASE}2024/08/22/heidong/,wechat,2100000\n",
    })
    _, out = build_site(site)
    before = published(out)
    assert list(before) == ["2024/08/22/heidong/"]

    (site / "content/kyky/x.md").unlink()
    (site / "content/other").mkdir()
    (site / "content/other/y.md").write_text(article("黑洞的形成", "2024-08-22", id="kyky-x"), "utf-8")
    result, out = build_site(site)
    assert published(out) == before
    doc = page(out, "2024/08/22/heidong/")
    assert "黑洞的形成" in doc.xpath("string(//h1)")
    assert count_on(doc) == "210万"
    assert not (out / "2024/08/22/heidong-de-xingcheng").exists()
    assert [p for p in result.problems if "views.csv" in p.path] == []
    assert moved(result.problems) == []


def test_a_title_edit_keeps_the_derived_url(tmp_path):
    site = write_site(tmp_path / "site", {"content/a.md": article("黑洞", "2024-08-22")})
    _, out = build_site(site)
    before = published(out)
    (site / "content/a.md").write_text(article("黑洞的形成", "2024-08-22"), "utf-8")
    result, out = build_site(site)
    assert published(out) == before
    assert "黑洞的形成" in page(out, "2024/08/22/heidong/").xpath("string(//h1)")
    assert moved(result.problems) == []


def test_without_a_record_identity_falls_back_to_date_then_path_order(tmp_path, capsys):
    site = write_site(tmp_path / "site", {"content/b.md": article("每日一问", "2024-08-22 10:00", body="先发布的。")})
    first, out = build_site(site)
    assert first.record_found is False                                  # nothing published before
    (site / "content/a.md").write_text(article("每日一问", "2024-08-22 06:00", body="后来补的。"), "utf-8")
    kept, out = build_site(site)
    assert kept.record_found is True
    assert "先发布的。" in page(out, "2024/08/22/meiri-yiwen/").xpath("string(//article)")

    def deterministic(result, out):
        assert result.record_found is False
        base = page(out, "2024/08/22/meiri-yiwen/")
        assert "后来补的。" in base.xpath("string(//article)")             # earlier in the day: the base
        assert base.xpath("string(//article/@data-article-id)") == "kyky-20240822"
        second = page(out, "2024/08/22/meiri-yiwen-2/")
        assert "先发布的。" in second.xpath("string(//article)")
        assert second.xpath("string(//article/@data-article-id)") == "kyky-20240822-2"

    deterministic(*build_site(site, tmp_path / "fresh"))            # a new output folder
    # `rm -rf public`, or a manifest lost: the cache's copy of the record keeps them where they were
    (out / ".kexie-manifest.json").unlink()
    still, out = build_site(site)
    assert still.record_found is True
    assert "先发布的。" in page(out, "2024/08/22/meiri-yiwen/").xpath("string(//article)")
    shutil.rmtree(out)
    still, out = build_site(site)
    assert still.record_found is True
    assert "先发布的。" in page(out, "2024/08/22/meiri-yiwen/").xpath("string(//article)")
    # a fresh clone: neither the published folder nor the cache
    shutil.rmtree(out)
    shutil.rmtree(site / ".kexie-cache")
    deterministic(*build_site(site))

    # the CLI summary says whether the record was followed
    def identity_line(output):
        assert main(["build", "--site", str(site), "--output", str(output), "--now", CHECK_NOW]) == 0
        lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  身份 identity")]
        assert len(lines) == 1
        return lines[0]

    capsys.readouterr()
    without = identity_line(tmp_path / "cli")                         # a new folder: no record
    with_record = identity_line(out)                                  # public/ has one again
    assert without != with_record


def test_an_unchanged_rebuild_still_reports_the_record(tmp_path):
    site = write_site(tmp_path / "site", {"content/a.md": article("黑洞", "2024-08-22")})
    first, _ = build_site(site)
    assert first.record_found is False
    again, _ = build_site(site)                     # nothing changed (the fast path): the record is there now
    assert again.record_found is True


def test_changing_the_date_of_a_published_article_warns_on_the_date_line(tmp_path):
    site = write_site(tmp_path / "site", {"content/a.md": article("黑洞", "2024-08-22")})
    build_site(site)
    (site / "content/a.md").write_text(article("黑洞", "2024-08-23"), "utf-8")
    result, out = build_site(site)
    warned = moved(result.problems)
    assert len(warned) == 1
    w = warned[0]
    assert (w.path, w.line, w.severity) == ("content/a.md", 3, "warning")        # the date: line
    assert "kyky-20240822" in w.message and "kyky-20240823" in w.message and "→" in w.message
    assert "2024/08/22/heidong/" in w.message and "2024/08/23/heidong/" in w.message
    assert w.message.index("kyky-20240822") < w.message.index("kyky-20240823")   # old → new
    assert page(out, "2024/08/23/heidong/") is not None


def test_check_strict_fails_when_a_published_url_would_change(tmp_path, capsys):
    site = write_site(tmp_path / "site", {"content/a.md": article("黑洞", "2024-08-22", id="kyky-1", summary=SUMMARY)})
    build_site(site)                                    # into <site>/public, where check reads the record
    assert main(["check", "--site", str(site), "--strict", "--now", CHECK_NOW]) == 0, capsys.readouterr().err
    capsys.readouterr()
    (site / "content/a.md").write_text(article("黑洞", "2024-08-23", id="kyky-1", summary=SUMMARY), "utf-8")
    assert main(["check", "--site", str(site), "--strict", "--now", CHECK_NOW]) == 1
    err = capsys.readouterr().err
    assert "content/a.md:3:" in err and "published id/URL changed" in err
    assert "/2024/08/22/heidong/" in err and "/2024/08/23/heidong/" in err


def test_check_strict_fails_on_derived_ids_two_articles_share_and_passes_once_written(tmp_path, capsys):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞", "2024-08-22 08:00", summary=SUMMARY),
        "content/b.md": article("白洞", "2024-08-22 18:00", summary=SUMMARY),
    })
    assert main(["check", "--site", str(site), "--strict", "--now", CHECK_NOW]) == 1
    err = capsys.readouterr().err
    shared = [line for line in err.splitlines() if "derived id shared" in line]
    assert {line.split(":")[0] for line in shared} == {"content/a.md", "content/b.md"}
    assert any("content/b.md" in line for line in shared if line.startswith("content/a.md"))
    assert any("content/a.md" in line for line in shared if line.startswith("content/b.md"))
    hints = [line for line in err.splitlines() if "提示 hint" in line and "id: kyky-20240822-2" in line]
    assert hints and all("id: kyky-20240822" in h.replace("id: kyky-20240822-2", "") for h in hints)   # both lines

    clean = write_site(tmp_path / "clean", {
        "content/a.md": article("黑洞", "2024-08-22 08:00", summary=SUMMARY, id="kyky-20240822", slug="heidong"),
        "content/b.md": article("白洞", "2024-08-22 18:00", summary=SUMMARY, id="kyky-20240822-2", slug="baidong"),
    })
    assert main(["check", "--site", str(clean), "--strict", "--now", CHECK_NOW]) == 0, capsys.readouterr().err


def test_new_writes_an_explicit_id_and_slug(tmp_path, capsys):
    site = write_site(tmp_path / "site", {})
    assert main(["new", "黑洞", "--column", "科言科语", "--site", str(site), "--date", "2024-08-22 08:00"]) == 0
    path = capsys.readouterr().out.strip().splitlines()[-1]
    text = Path(path).read_text("utf-8")
    front = text.split("\n---\n", 1)[0].splitlines()
    values = {line.split(":", 1)[0]: line.split(":", 1)[1].strip().strip('"') for line in front[1:]}
    assert values["id"].startswith("kyky-20240822")
    assert values["slug"] == "heidong"
    _, out = build_site(site, drafts=True)
    assert page(out, "2024/08/22/heidong/").xpath("string(//article/@data-article-id)") == values["id"]


def test_a_broken_draft_never_blocks_the_build(tmp_path, capsys):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞", "2024-08-22"),
        "content/draft.md": '---\ntitle: "没写完的草稿\ndate: 2024-08-23\ncolumn: 科言科语\ndraft: true\n---\n\n正文。\n',
        "content/lost.md": article("栏目写错的草稿", "2024-08-24", column="没有这个栏目", draft=True),
    })
    result, out = build_site(site)
    assert list(published(out)) == ["2024/08/22/heidong/"]
    assert any(p.path == "content/draft.md" and p.severity == "warning" for p in result.problems)
    assert any((p.path, p.line, p.severity) == ("content/lost.md", 4, "warning") for p in result.problems)   # column:
    assert not any(p.is_error for p in result.problems)
    capsys.readouterr()
    assert main(["check", "--site", str(site), "--now", CHECK_NOW]) == 1          # check publishes drafts: an error
    assert "content/draft.md:" in capsys.readouterr().err


# ------------------------------------------------------------------ found in review

def test_the_duplicate_warning_stays_on_the_newer_copy_in_later_builds(tmp_path):
    body = "这是一篇足够长的正文，用来判断两篇文章是不是同一个文件复制出来的。"
    site = write_site(tmp_path / "site", {"content/b.md": article("原文", "2024-08-22 10:00", body=body)})
    build_site(site)
    (site / "content/a.md").write_text(article("副本", "2024-08-22 10:00", body=body), "utf-8")
    for _ in range(2):                    # the copy is published now, and stays the newer one
        result, _ = build_site(site)
        assert [p.path for p in result.problems if "duplicate body" in p.message] == ["content/a.md"]


def test_a_file_renamed_away_and_a_new_file_in_its_place_move_nothing(tmp_path):
    site = write_site(tmp_path / "site", {"content/a.md": article("黑洞", "2024-08-22", id="bh-1")})
    _, out = build_site(site)
    before = published(out)
    (site / "content/a.md").rename(site / "content/z.md")
    (site / "content/a.md").write_text(article("白洞", "2024-08-22 09:00"), "utf-8")
    result, out = build_site(site)
    assert moved(result.problems) == []
    after = published(out)
    assert set(before.items()) <= set(after.items())


def test_a_day_of_many_same_titled_articles_names_a_few_others_per_warning(tmp_path, capsys):
    files = {f"content/d{n:02d}.md": article("每日一问", f"2024-08-22 {n:02d}:00", body=f"第{n}条。") for n in range(12)}
    site = write_site(tmp_path / "site", files)
    assert main(["check", "--site", str(site), "--now", CHECK_NOW]) == 0
    shared = [line for line in capsys.readouterr().err.splitlines() if "derived id shared" in line]
    assert len(shared) == 12 and all(line.count("content/d") <= 1 + 3 for line in shared)
    assert all("等 11 篇" in line for line in shared)


def test_a_hand_edited_record_with_a_bad_url_is_ignored(tmp_path):
    import json

    site = write_site(tmp_path / "site", {"content/a.md": article("黑洞", "2024-08-22")})
    _, out = build_site(site)
    manifest = json.loads((out / ".kexie-manifest.json").read_text("utf-8"))
    manifest["articles"][0]["url"] = "../../etc/"
    (out / ".kexie-manifest.json").write_text(json.dumps(manifest), "utf-8")
    (site / "content/a.md").write_text(article("黑洞（改）", "2024-08-22"), "utf-8")
    result, out = build_site(site)
    assert (out / "2024/08/22/heidong-gai/index.html").exists()       # derived again, not from the bad entry
