"""Rebuilds do only the work that changed, and the cache can never make a page wrong."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOW, REPO, article, build_site, page, png_bytes, read_tree, site_toml, write_site
from kexie_site import perarticle, render


def site_files(n: int = 6) -> dict:
    files = {}
    for i in range(n):
        column = "科言科语" if i % 2 else "一目了然科普汇"
        body = f"第{i}篇的正文。" + ("见[第5篇](a5.md#xia-wen)。" if i == 0 else "")   # a link to another article
        files[f"content/a{i}.md"] = article(f"第{i}篇文章", f"2024-08-{10 + i:02d}", column=column,
                                            tags=["天文"] if i % 3 == 0 else ["物理"], body=body)
    return files


def test_nothing_changed_means_no_markdown_and_no_writes(tmp_path):
    site = write_site(tmp_path / "site", site_files())
    first, out = build_site(site)
    assert first.markdown_renders == 6 and first.report.written
    again, _ = build_site(site)
    assert again.markdown_renders == 0 and again.pages_rendered == 0
    assert again.report.written == () and again.report.removed == ()
    assert again.articles == first.articles and again.pages == first.pages


def test_a_build_with_nothing_changed_loads_no_markdown_templates_or_pinyin(tmp_path):
    site = write_site(tmp_path / "site", site_files())      # (one of its columns has no slug of its own)
    build_site(site)
    code = ("import sys; from pathlib import Path; from kexie_site.pipeline import build, BuildOptions; "
            f"r = build(Path({str(site)!r}), None, BuildOptions(now={NOW!r})); "
            "print(r.fast, [m for m in ('markdown_it', 'jinja2', 'lxml', 'pypinyin', 'rjieba', 'yaml', 'feedgen', 'nh3') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True).stdout
    assert out.split() == ["True", "[]"]


def test_one_edited_article_renders_once_and_rewrites_only_the_pages_showing_it(tmp_path):
    site = write_site(tmp_path / "site", site_files())
    _, out = build_site(site)
    stat_other = (out / "2024/08/10/di-0-pianwenzhang/index.html").stat()
    (site / "content/a5.md").write_text(
        article("第5篇文章", "2024-08-15", column="科言科语", tags=["物理"], body="改写后的正文。"), "utf-8")
    result, _ = build_site(site)
    assert result.markdown_renders == 1
    written = set(result.report.written)
    assert "2024/08/15/di-5-pianwenzhang/index.html" in written
    # an article of the other column, not next to it, is neither rendered again nor rewritten
    assert "2024/08/10/di-0-pianwenzhang/index.html" in result.report.unchanged
    assert (out / "2024/08/10/di-0-pianwenzhang/index.html").stat().st_mtime_ns == stat_other.st_mtime_ns
    assert result.pages_rendered < result.pages / 2
    # and what was written is exactly what a build from scratch makes
    _, fresh = build_site(site, tmp_path / "fresh", cache=False, record_dir=out)
    assert read_tree(out) == read_tree(fresh)


def test_feeds_sitemap_and_archive_json_are_made_again_only_when_what_they_show_changed(tmp_path, monkeypatch):
    from kexie_site import archivejson, feeds as feeds_module, sitemap

    made = []
    real = feeds_module._feed
    monkeypatch.setattr(feeds_module, "_feed", lambda *a: made.append(a[5]) or real(*a))   # a[5]: its path
    for module, name in ((sitemap, "_sitemap"), (archivejson, "_archive_json")):
        monkeypatch.setattr(module, name, lambda *a, _real=getattr(module, name), _name=name:
                            made.append(_name) or _real(*a))
    site = write_site(tmp_path / "site", site_files(), limit=2)      # the feeds hold the newest two
    _, out = build_site(site)
    assert sorted(made) == sorted(["_archive_json", "_sitemap", "feed.xml", "atom.xml", "columns/kyky/feed.xml",
                                   "columns/kyky/atom.xml", "columns/yimuliaoran-kepu-hui/feed.xml",
                                   "columns/yimuliaoran-kepu-hui/atom.xml"])
    feeds = {"feed.xml", "atom.xml"}
    made.clear()
    (site / "content/a0.md").write_text(                            # the oldest, in no feed: its body only
        article("第0篇文章", "2024-08-10", column="一目了然科普汇", tags=["天文"],
                body="第0篇的正文。见[第5篇](a5.md#xia-wen)。\n\n```\n补上的代码（摘要不含代码）\n```"), "utf-8")
    old, _ = build_site(site)
    assert made == [] and feeds <= set(old.report.unchanged)
    assert old.report.written                                        # (its page was)
    (site / "content/a5.md").write_text(                            # the newest: in the site's feeds
        article("第5篇文章（更正）", "2024-08-15", column="科言科语", tags=["物理"], body="新文改写。"), "utf-8")
    new, _ = build_site(site)
    assert feeds <= set(new.report.written)
    assert "_archive_json" in made and "archive.json" in new.report.written   # a new title
    assert {"columns/kyky/feed.xml", "columns/kyky/atom.xml"} <= set(new.report.written)
    _, fresh = build_site(site, tmp_path / "fresh", cache=False, record_dir=out)
    assert read_tree(out) == read_tree(fresh)


def test_a_template_edit_renders_pages_again_but_no_markdown(tmp_path):
    site = write_site(tmp_path / "site", site_files())
    build_site(site)
    (site / "themes/default/templates").mkdir(parents=True)
    (site / "themes/default/templates/article.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1 id="changed">{{ article.title }}</h1>{{ content|safe }}{% endblock %}',
        "utf-8")
    result, out = build_site(site)
    assert result.markdown_renders == 0
    assert result.pages_rendered >= 6
    assert sum(p.endswith("index.html") and p.startswith("2024/") for p in result.report.written) == 6


def test_cached_and_uncached_builds_are_byte_identical(tmp_path):
    site = write_site(tmp_path / "site", site_files())
    build_site(site, tmp_path / "warmup")
    (site / "content/a1.md").write_text(article("第1篇文章（改）", "2024-08-11", column="科言科语"), "utf-8")
    _, cached = build_site(site, tmp_path / "cached")
    _, plain = build_site(site, tmp_path / "plain", cache=False)
    assert read_tree(cached) == read_tree(plain)


def test_parallel_and_serial_markdown_give_the_same_site(tmp_path, monkeypatch):
    site = write_site(tmp_path / "site", site_files(8))
    monkeypatch.setattr(perarticle, "PARALLEL_MIN", 2)
    parallel, one = build_site(site, tmp_path / "parallel", cache=False, jobs=2)
    serial, two = build_site(site, tmp_path / "serial", cache=False, jobs=1)
    assert parallel.markdown_renders == serial.markdown_renders == 8
    assert read_tree(one) == read_tree(two)


def test_pages_made_in_worker_processes_are_the_pages_made_in_one(tmp_path, monkeypatch):
    site = write_site(tmp_path / "site", site_files(8))
    monkeypatch.setattr(perarticle, "PARALLEL_MIN", 2)
    monkeypatch.setattr(render, "PAGES_PARALLEL_MIN", 2)
    first, out = build_site(site, jobs=2)                 # cached: pages go to the workers
    _, serial = build_site(site, tmp_path / "serial", cache=False, record_dir=out, jobs=1)
    assert first.pages_rendered == first.pages and read_tree(out) == read_tree(serial)
    (site / "content/a3.md").write_text(article("第3篇文章（改）", "2024-08-13", column="科言科语", tags=["天文"]),
                                        "utf-8")
    again, _ = build_site(site, jobs=2)
    assert again.markdown_renders == 1 and 0 < again.pages_rendered < again.pages
    _, fresh = build_site(site, tmp_path / "fresh", cache=False, record_dir=out, jobs=1)
    assert read_tree(out) == read_tree(fresh)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_template_error_in_a_page_is_reported_wherever_the_page_was_made(tmp_path, monkeypatch, jobs):
    site = write_site(tmp_path / "site", site_files(8))
    monkeypatch.setattr(render, "PAGES_PARALLEL_MIN", 2)
    _, out = build_site(site, jobs=jobs)
    before = read_tree(out)
    (site / "themes/default/templates").mkdir(parents=True)
    (site / "themes/default/templates/article.html").write_text(
        '{% extends "base.html" %}{% block main %}\n\n{{ article.no_such_field.deeper }}{% endblock %}', "utf-8")
    from kexie_site.errors import BuildFailed
    with pytest.raises(BuildFailed) as failed:
        build_site(site, jobs=jobs)
    problems = [p for p in failed.value.problems if p.is_error]   # the same one for every article page
    assert [(Path(p.path).relative_to(site).as_posix(), p.line) for p in problems] == \
        [("themes/default/templates/article.html", 3)]
    assert "no_such_field" in problems[0].message
    assert read_tree(out) == before                            # and nothing was published


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong rows", "wrong types"])
def test_a_corrupt_cache_is_survived(tmp_path, damage):
    site = write_site(tmp_path / "site", site_files())
    _, out = build_site(site)
    before = read_tree(out)
    db = site / ".kexie-cache" / "cache.sqlite"
    if damage == "garbage":
        db.write_bytes(b"this is not a database" * 100)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(str(db) + suffix):
                os.remove(str(db) + suffix)
    elif damage == "truncated":
        data = db.read_bytes()
        db.write_bytes(data[: len(data) // 3])
    elif damage == "wrong rows":
        con = sqlite3.connect(db)
        con.execute("UPDATE renders SET light = '{not json'")
        con.execute("UPDATE docs SET value = '[1, 2'")
        con.execute("UPDATE state SET value = 'nonsense'")
        con.commit()
        con.close()
    else:                                                  # JSON of the right length, wrong contents
        con = sqlite3.connect(db)
        con.execute("""UPDATE renders SET light = '[[], 1, 2, 3, null, [[1]], []]'""")
        con.execute("""UPDATE docs SET value = '["x", null, 1, null, "2024-08-12T00:00:00+08:00", 5, [3], null,
                       "", "", "", false, null, "", [["title", 2]], [[null, "1", 2, 3, 4, 5]]]'""")
        con.execute("UPDATE state SET value = 'nonsense'")   # so that the rows are read
        con.commit()
        con.close()
    (site / "content/a2.md").write_text(article("第2篇文章", "2024-08-12", column="一目了然科普汇",
                                                tags=["物理"], body="第2篇的正文。"), "utf-8")
    result, _ = build_site(site)
    assert result.articles == 6
    assert read_tree(out) == before


def test_a_scheduled_article_is_published_when_its_time_comes(tmp_path):
    site = write_site(tmp_path / "site", {**site_files(2), "content/later.md": article("明天的文章", "2024-09-02 08:00")})
    first, out = build_site(site, now="2024-09-01 12:00")
    assert first.scheduled == ("content/later.md",)
    same, _ = build_site(site, now="2024-09-01 13:00")
    assert same.fast and same.scheduled == ("content/later.md",)
    due, _ = build_site(site, now="2024-09-02 08:00")
    assert not due.fast and due.scheduled == () and due.articles == 3
    assert (out / "2024/09/02/mingtian-de-wenzhang/index.html").is_file()


def test_a_changed_image_renders_the_article_again_with_its_new_size(tmp_path):
    files = {"content/a.md": article("有图", "2024-08-22", body='![图](img/p.png "注")'),
             "content/img/p.png": png_bytes(4, 3)}
    site = write_site(tmp_path / "site", files)
    _, out = build_site(site)
    (site / "content/img/p.png").write_bytes(png_bytes(8, 6))
    result, _ = build_site(site)
    assert result.markdown_renders == 1
    from conftest import page
    img = page(out, "2024/08/22/youtu/").xpath("//figure/img")[0]
    assert (img.get("width"), img.get("height")) == ("8", "6")


def test_output_edited_by_hand_is_restored(tmp_path):
    site = write_site(tmp_path / "site", site_files())
    _, out = build_site(site)
    target = out / "2024/08/10/di-0-pianwenzhang/index.html"
    good = target.read_bytes()
    target.write_text("tampered")
    result, _ = build_site(site)
    assert not result.fast
    assert target.read_bytes() == good


def test_an_article_page_gets_its_headings_for_a_table_of_contents_cached_or_not(tmp_path):
    body = "## 第一节\n\n正文。\n\n### 小节\n\n正文。\n\n## 第二节 `代码`\n\n正文。"
    site = write_site(tmp_path / "site", {
        "content/a.md": article("有目录", "2024-08-22", slug="toc", body=body),
        "themes/default/templates/article.html":
            '{% extends "base.html" %}{% block main %}<ol id="toc">{% for h in headings %}'
            '<li data-level="{{ h.level }}"><a href="#{{ h.id }}">{{ h.text }}</a></li>{% endfor %}</ol>'
            '{{ content|safe }}{% endblock %}',
    })
    from conftest import page

    def toc(out):
        doc = page(out, "2024/08/22/toc/")
        links = [(li.get("data-level"), a.get("href"), a.text_content()) for li in doc.xpath('//ol[@id="toc"]/li')
                 for a in li.xpath("a")]
        ids = {h.get("id") for h in doc.xpath("//h2|//h3")}
        return links, ids

    _, out = build_site(site)
    links, ids = toc(out)
    assert [(level, text) for level, _, text in links] == [("2", "第一节"), ("3", "小节"), ("2", "第二节 代码")]
    assert {href[1:] for _, href, _ in links} == ids          # every entry points at its heading
    (site / "themes/default/templates/article.html").write_text(
        (site / "themes/default/templates/article.html").read_text("utf-8") + "\n", "utf-8")
    again, _ = build_site(site)                                # from the cache: the template changed only
    assert again.markdown_renders == 0 and again.pages_rendered >= 1
    assert toc(out) == (links, ids)


def test_article_html_missing_from_the_cache_is_rendered_again_never_an_empty_page(tmp_path):
    """Issue 16: the cache is an accelerator, never a point of failure (this used to fail every
    build until .kexie-cache/ was deleted by hand)."""
    site = write_site(tmp_path / "site", site_files())
    _, out = build_site(site)
    db = sqlite3.connect(site / ".kexie-cache" / "cache.sqlite")
    db.execute("DELETE FROM html")
    db.commit()
    db.close()
    (site / "themes/default/templates").mkdir(parents=True)   # pages must be made again
    (site / "themes/default/templates/article.html").write_text(
        '{% extends "base.html" %}{% block main %}{{ content|safe }}{% endblock %}', "utf-8")
    result, _ = build_site(site)
    assert [p.message for p in result.problems] == [perarticle.CACHE_HEALED.message]
    _, fresh = build_site(site, tmp_path / "fresh", cache=False, record_dir=out)
    assert read_tree(out) == read_tree(fresh)
    again, _ = build_site(site)                          # and the cache has them again
    assert again.problems == ()


@pytest.mark.parametrize("how", ["write", "copy back"])
def test_a_same_size_edit_with_its_mtime_put_back_is_published(tmp_path, how):
    """Issue 16: `cp -p`, `tar`, `rsync -t` and restores put the old mtime back; an edit of the
    same length was never published (the cache trusted size and mtime)."""
    site = write_site(tmp_path / "site", site_files())
    build_site(site)
    path = site / "content/a1.md"
    st = path.stat()
    text = path.read_text("utf-8")
    changed = text.replace("第1篇的正文。", "第1篇的改文。")
    assert len(changed.encode()) == len(text.encode())
    if how == "write":
        path.write_text(changed, "utf-8")
    else:                                                   # a restored copy: a new file in its place
        other = tmp_path / "elsewhere.md"
        other.write_text(changed, "utf-8")
        os.replace(other, path)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))      # same size, same mtime
    result, out = build_site(site)
    assert result.problems == () and result.markdown_renders == 1
    from conftest import page
    assert "第1篇的改文" in page(out, "2024/08/11/di-1-pianwenzhang/").text_content()


# One edit of each kind a day of editing brings. After each, the rebuilt output must be exactly
# what a build from scratch makes: every page, feed and file whose key missed the change would
# stay stale and show up here.
EDITS = {
    "body only": lambda site: edit(site, "a2", body="第2篇改过的正文，长了一些。" * 20),
    "title": lambda site: edit(site, "a3", title="第3篇文章（改题）"),
    "summary": lambda site: edit(site, "a4", summary="手写的摘要。"),
    "tags": lambda site: edit(site, "a1", tags=["天文", "新标签"]),
    "column": lambda site: edit(site, "a0", column="科言科语"),
    "date into another month": lambda site: edit(site, "a5", date="2024-09-01"),
    "same time as another": lambda site: edit(site, "a4", date="2024-08-11"),
    "explicit id and slug": lambda site: edit(site, "a2", id="custom-id", slug="zidingyi"),
    "slug of a linked article": lambda site: edit(site, "a5", slug="bei-lianjie"),
    "author": lambda site: edit(site, "a1", author="王晓雨"),
    "draft": lambda site: edit(site, "a3", draft=True),
    "deleted": lambda site: (site / "content/a4.md").unlink(),
    "moved to another folder": lambda site: (site / "content/sub").mkdir() or
        (site / "content/a2.md").rename(site / "content/sub/a2.md"),
    "added": lambda site: (site / "content/new.md").write_text(
        article("新来的文章", "2024-08-20", column="科言科语", tags=["物理"]), "utf-8"),
    "view counts": lambda site: (site / "data").mkdir(exist_ok=True) or (site / "data/views.csv").write_text(
        "id,url,source,views\n,https://kepu.example.cn/2024/08/12/di-2-pianwenzhang/,wechat,53000\n", "utf-8"),
}


def edit(site: Path, name: str, **changes) -> None:
    i = int(name[1:])
    meta = {"title": f"第{i}篇文章", "date": f"2024-08-{10 + i:02d}",
            "column": "科言科语" if i % 2 else "一目了然科普汇",
            "tags": ["天文"] if i % 3 == 0 else ["物理"], "body": f"第{i}篇的正文。", **changes}
    title, date, column, body = meta.pop("title"), meta.pop("date"), meta.pop("column"), meta.pop("body")
    (site / f"content/{name}.md").write_text(article(title, date, column=column, body=body, **meta), "utf-8")


@pytest.mark.parametrize("kind", list(EDITS))
def test_after_each_kind_of_edit_the_rebuilt_site_is_the_site_built_from_scratch(tmp_path, kind):
    site = write_site(tmp_path / "site", site_files(6), limit=3)
    _, out = build_site(site)
    EDITS[kind](site)
    result, _ = build_site(site)
    # editing what pins a published article's identity (date, column, id, slug) moves it: said
    assert [p for p in result.problems if "published id/URL changed" not in p.message] == []
    _, fresh = build_site(site, tmp_path / "fresh", cache=False, record_dir=out)
    assert read_tree(out) == read_tree(fresh)
    assert result.report.written or kind == "moved to another folder"   # the edit showed somewhere (a move shows nowhere)


def test_an_article_moved_to_another_folder_links_from_its_new_place(tmp_path):
    """A relative link resolves from the file's folder: the same bytes in another folder may link
    to another article, so a moved file is rendered again (it used to crash the build too)."""
    site = write_site(tmp_path / "site", {
        "content/a/target.md": article("甲目录的目标", "2024-08-01", slug="a-target"),
        "content/b/target.md": article("乙目录的目标", "2024-08-02", slug="b-target"),
        "content/a/src.md": article("会搬家的文章", "2024-08-03", slug="src", body="见[邻居](target.md)。"),
    })
    _, out = build_site(site)
    (site / "content/a/src.md").rename(site / "content/b/src.md")
    result, _ = build_site(site)
    assert result.markdown_renders == 1
    hrefs = page(out, "2024/08/03/src/").xpath('//div[contains(@class, "article-body")]//a/@href')
    assert hrefs == ["/2024/08/02/b-target/"]
    _, fresh = build_site(site, tmp_path / "fresh", cache=False, record_dir=out)
    assert read_tree(out) == read_tree(fresh)


def test_a_time_skipped_by_daylight_saving_is_the_same_cached_or_not(tmp_path):
    config = site_toml().replace(
        'icp = "鲁ICP备00000000号-1"\n', 'icp = "鲁ICP备00000000号-1"\ntimezone = "America/New_York"\n')
    site = write_site(tmp_path / "site", {"content/a.md": article("夏令时", '"2024-03-10 02:30"', slug="dst")},
                      config=config)
    _, out = build_site(site)
    (site / "site.toml").write_text(config.replace('title = "测试科普站"', 'title = "测试科普站（改）"'), "utf-8")
    build_site(site)                                  # the article's date now comes from the cache
    _, fresh = build_site(site, tmp_path / "fresh", cache=False, record_dir=out)
    assert read_tree(out) == read_tree(fresh)
    meta = page(out, "2024/03/10/dst/").xpath('//meta[@property="article:published_time"]/@content')
    assert meta == ["2024-03-10T03:30:00-04:00"]     # 02:30 does not exist that night: it is 03:30 EDT


@pytest.mark.parametrize("flag", ["future", "drafts"])
def test_a_preview_build_changes_when_an_articles_time_comes_though_no_file_did(tmp_path, flag):
    later = article("以后的文章", "2024-09-05 08:00", slug="later", draft=(flag == "drafts"))
    site = write_site(tmp_path / "site", {**site_files(3), "content/later.md": later})
    options = {flag: True}
    build_site(site, now="2024-09-01 12:00", **options)
    result, out = build_site(site, now="2024-09-10 12:00", **options)
    assert not result.fast
    _, fresh = build_site(site, tmp_path / "fresh", now="2024-09-10 12:00", cache=False, record_dir=out, **options)
    assert read_tree(out) == read_tree(fresh)


def test_files_read_again_with_unchanged_bytes_are_not_read_at_every_build_after(tmp_path, monkeypatch):
    """A chmod (or a copy of the folder) changes the stamp, not the bytes: the no-change path
    reads the files once again, and keeps their new stamps."""
    from kexie_site import sources

    site = write_site(tmp_path / "site", site_files())
    build_site(site)
    for path in (site / "content").glob("*.md"):
        path.chmod(0o640)
    hashed = []
    real = sources.sha256
    monkeypatch.setattr(sources, "sha256", lambda data: hashed.append(1) or real(data))
    first, _ = build_site(site)
    assert first.fast and len(hashed) == 6
    hashed.clear()
    again, _ = build_site(site)
    assert again.fast and hashed == []
