"""Safe publishing: never lose an editor's files, never leave a half-built site, never write
outside the output, escape everything."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import feedparser
import lxml.etree as etree
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO, article, build_site, page, parse_html, png_bytes, problems_of, site_toml, write_site
from kexie_site import outdir, perarticle, render, writer
from kexie_site.errors import BuildFailed

PNG = png_bytes(1, 1)


def snapshot(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, str]:
    """Every file and folder under root (not following links) with a hash of its bytes, but the
    lock files builds keep beside their outputs."""
    found = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        here = Path(folder)
        if any(here == s or s in here.parents for s in skip):
            dirs[:] = []
            continue
        for d in dirs:
            if (here / d) not in skip:
                found[str((here / d).relative_to(root)) + "/"] = "dir"
        for f in files:
            p = here / f
            if f.endswith(".kexie-lock"):     # an output's lock (empty), beside it like its staging folder
                continue
            found[str(p.relative_to(root))] = "link:" + os.readlink(p) if p.is_symlink() else \
                hashlib.sha256(p.read_bytes()).hexdigest()
    return found


def two_articles(**extra):
    return {
        "content/a.md": article("黑洞", "2024-08-22", tags=["天文"]),
        "content/b.md": article("白洞", "2024-08-23", column="一目了然科普汇"),
        **extra,
    }


# ------------------------------------------------------------------ atomic publish

@pytest.mark.parametrize("failure", [OSError("disk full"), KeyboardInterrupt()])
def test_a_build_that_fails_halfway_leaves_the_old_output_identical(tmp_path, monkeypatch, failure):
    site = write_site(tmp_path / "site", two_articles())
    _, out = build_site(site)
    (out / "CNAME").write_text("kepu.example.cn")
    before = snapshot(out)
    (site / "content" / "c.md").write_text(article("新文章", "2024-08-24"), "utf-8")
    (site / "content" / "a.md").write_text(article("黑洞（修订）", "2024-08-22"), "utf-8")

    calls = {"n": 0}
    real = writer.bytes_of

    def failing(output):
        calls["n"] += 1
        if calls["n"] == 5:
            raise failure
        return real(output)

    monkeypatch.setattr(writer, "bytes_of", failing)
    with pytest.raises(BuildFailed if isinstance(failure, OSError) else KeyboardInterrupt):
        build_site(site)
    assert snapshot(out) == before
    assert [p.name for p in out.parent.glob(".public.kexie-*")] == [".public.kexie-lock"]   # (the lock stays)
    monkeypatch.undo()
    result, _ = build_site(site)
    assert result.articles == 3


def test_a_killed_build_leaves_the_old_output_and_the_next_build_recovers(tmp_path):
    site = write_site(tmp_path / "site", two_articles())
    _, out = build_site(site)
    before = snapshot(out)
    (site / "content" / "c.md").write_text(article("新文章", "2024-08-24"), "utf-8")
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        from kexie_site import writer
        from kexie_site.pipeline import build, BuildOptions
        real, n = writer.bytes_of, [0]
        def dying(output):
            n[0] += 1
            if n[0] == 8:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(output)
        writer.bytes_of = dying
        build(Path({str(site)!r}), None, BuildOptions(now="2026-12-01"))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -9
    assert snapshot(out) == before
    result, _ = build_site(site)
    assert result.articles == 3
    assert [p.name for p in out.parent.glob(".public.kexie-*")] == [".public.kexie-lock"]   # (the lock stays)


@pytest.mark.parametrize("after", [1, 3, 6])
def test_a_build_killed_during_the_swap_is_rolled_back_by_the_next(tmp_path, after):
    site = write_site(tmp_path / "site", two_articles())
    _, out = build_site(site)
    (out / "CNAME").write_text("kepu.example.cn")
    before = snapshot(out)
    (site / "content" / "a.md").write_text(article("黑洞（修订）", "2024-08-22", tags=["天文"]), "utf-8")
    (site / "content" / "b.md").unlink()
    (site / "content" / "c.md").write_text(article("新文章", "2024-08-24"), "utf-8")
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from kexie_site import writer
        from kexie_site.pipeline import build, BuildOptions
        real, n = os.replace, [0]
        def dying(a, b):
            n[0] += 1
            if n[0] > {after}:
                os.kill(os.getpid(), signal.SIGKILL)
            return real(a, b)
        writer.os.replace = dying
        build(Path({str(site)!r}), None, BuildOptions(now="2026-12-01"))
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -9, proc.stderr
    writer.recover(out)                     # what the next build does first
    assert snapshot(out) == before
    staging, backup, journal = writer.side_paths(out)
    assert not staging.exists() and not backup.exists() and not journal.exists()
    result, _ = build_site(site)
    assert result.articles == 2
    assert (out / "CNAME").read_text() == "kepu.example.cn"


def test_unchanged_files_keep_their_inode_and_mtime(tmp_path):
    site = write_site(tmp_path / "site", two_articles())
    _, out = build_site(site)
    first = out / "2024/08/23/baidong/index.html"
    stat = first.stat()
    (site / "content" / "a.md").write_text(article("黑洞", "2024-08-22", body="改过的正文。", tags=["天文"]), "utf-8")
    result, _ = build_site(site)
    again = first.stat()
    assert (again.st_ino, again.st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert "2024/08/22/heidong/index.html" in result.report.written
    assert "2024/08/23/baidong/index.html" in result.report.unchanged


@pytest.mark.parametrize("which", ["site", "output"])
def test_two_builds_at_once_cannot_interleave(tmp_path, which):
    site = write_site(tmp_path / "site", two_articles())
    other = write_site(tmp_path / "other", two_articles())
    out = tmp_path / "shared-output"
    lock = site / ".kexie-cache" / "build.lock" if which == "site" else outdir.output_lock_path(out)
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from pathlib import Path
        from kexie_site.outdir import site_lock
        with site_lock(Path({str(lock)!r})):
            print("locked", flush=True)
            time.sleep(30)
    """)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked", holder.stderr.read() if holder.poll() is not None else ""
        # the same site, or another site into the same output directory
        problems = problems_of(site if which == "site" else other, out=out)
        assert "另一个构建" in problems[0].message
        assert not out.exists()
    finally:
        holder.kill()
        holder.wait()
    build_site(site, out)


# ------------------------------------------------------------------ files we did not create

def test_foreign_files_survive_and_are_never_overwritten(tmp_path):
    site = write_site(tmp_path / "site", two_articles())
    _, out = build_site(site)
    (out / "favicon.ico").write_bytes(b"\x00icon")
    (out / "baidu_verify_abc.html").write_text("verify")
    (out / ".git").mkdir()
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main")
    build_site(site)
    assert (out / "favicon.ico").read_bytes() == b"\x00icon"
    assert (out / ".git" / "HEAD").read_text() == "ref: refs/heads/main"

    other = tmp_path / "mine"
    other.mkdir()
    (other / "index.html").write_text("my own page")
    problems = problems_of(site, out=other)
    assert "index.html" in problems[0].message and "不会覆盖" in problems[0].message
    assert (other / "index.html").read_text() == "my own page"
    assert sorted(p.name for p in other.iterdir()) == ["index.html"]


def test_with_the_manifest_lost_the_files_still_as_written_are_known_and_others_kept(tmp_path):
    site = write_site(tmp_path / "site", two_articles())
    _, out = build_site(site)
    (out / writer.MANIFEST).unlink()                 # e.g. a sync that skips dotfiles
    pages = sorted(p.relative_to(out).as_posix() for p in out.rglob("index.html"))
    hand = out / pages[0]
    hand.write_text("edited by hand after the manifest was lost", "utf-8")
    problems = problems_of(site)                     # that one is no longer known as ours
    assert [p.path for p in problems] == [str(hand)]
    assert hand.read_text("utf-8") == "edited by hand after the manifest was lost"
    hand.unlink()
    result, _ = build_site(site)                     # every other file is still as written: rebuilt over
    assert (out / writer.MANIFEST).is_file()
    assert result.problems == () and pages[0] in result.report.written
    again, _ = build_site(site)
    assert again.report.written == ()


@pytest.mark.parametrize("where", ["content", "site", "inside-content", "parent", "home", "root"])
def test_dangerous_output_directories_are_refused(tmp_path, monkeypatch, where):
    site = write_site(tmp_path / "sites" / "site", two_articles())
    monkeypatch.setenv("HOME", str(tmp_path / "sites"))
    out = {"content": site / "content", "site": site, "inside-content": site / "content" / "out",
           "parent": site.parent, "home": tmp_path / "sites", "root": Path("/")}[where]
    before = snapshot(tmp_path)
    problems = problems_of(site, out=out)
    assert "不能用这个输出目录" in problems[0].message
    assert snapshot(tmp_path) == before


def test_an_output_directory_reached_through_a_symlink_is_checked_on_its_real_path(tmp_path):
    site = write_site(tmp_path / "site", two_articles())
    link = tmp_path / "looks-harmless"
    link.symlink_to(site / "content")
    problems = problems_of(site, out=link)
    assert "content" in problems[0].message


# ------------------------------------------------------------------ containment

def test_a_path_traversal_slug_stays_inside_the_output(tmp_path):
    site = write_site(tmp_path / "site", {"content/a.md": article("黑洞", "2024-08-22", slug='"../../../../evil"')})
    before = snapshot(tmp_path, skip=(site / "public", site / ".kexie-cache"))
    _, out = build_site(site)
    assert (out / "2024/08/22/evil/index.html").is_file()
    assert snapshot(tmp_path, skip=(site / "public", site / ".kexie-cache")) == before


def test_an_image_that_leaves_the_site_is_an_error_and_is_not_copied(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(PNG)
    site = write_site(tmp_path / "site", {"content/a.md": article("黑洞", "2024-08-22", body="![x](../../secret.png)")})
    problems = problems_of(site)
    assert [(p.path, p.line) for p in problems] == [("content/a.md", 7)]
    assert not (site / "public").exists()


def test_symlinks_in_content_are_not_followed_and_loops_do_not_hang(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "leak.md").write_text(article("不该发布", "2024-08-22"), "utf-8")
    site = write_site(tmp_path / "site", two_articles())
    (site / "content" / "linked").symlink_to(outside, target_is_directory=True)
    (site / "content" / "loop").symlink_to(site / "content", target_is_directory=True)
    (site / "content" / "leak.md").symlink_to(outside / "leak.md")
    result, out = build_site(site)
    assert result.articles == 2
    assert "content/leak.md" in result.skipped
    assert "不该发布" not in (out / "feed.xml").read_text("utf-8")


def test_editor_lock_and_backup_files_are_skipped_and_counted(tmp_path):
    junk = {f"content/{name}": article("垃圾", "2024-08-20") for name in ("~$draft.md", ".hidden.md", "a.md~", ".a.md.swp")}
    site = write_site(tmp_path / "site", two_articles(**junk))
    result, _ = build_site(site)
    assert result.articles == 2
    assert sorted(result.skipped) == sorted(junk)


def test_outputs_differing_only_in_letter_case_are_an_error_naming_both(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞", "2024-08-22", body="![a](img/Photo.png)\n\n![b](img/photo.PNG)"),
        "content/img/Photo.png": PNG, "content/img/photo.PNG": PNG,
    })
    problems = problems_of(site)
    assert len(problems) == 1
    assert "content/img/Photo.png" in problems[0].path + problems[0].message
    assert "content/img/photo.PNG" in problems[0].path + problems[0].message


# ------------------------------------------------------------------ escaping

XSS = '<script>alert("x")</script> & \'q\' ]]> </title>'


def test_a_hostile_title_renders_as_text_in_page_feed_and_json_ld(tmp_path):
    title = XSS
    src = "---\ntitle: " + json.dumps(title) + "\ndate: 2024-08-22\ncolumn: 科言科语\n" \
          "summary: " + json.dumps("摘要 <b>粗</b> & ]]>") + "\ntags: [\"<i>t</i>\"]\n---\n正文。\n"
    site = write_site(tmp_path / "site", {"content/a.md": src})
    _, out = build_site(site)
    doc = parse_html(next(out.glob("2024/08/22/*/index.html")))
    assert doc.xpath("string(//h1)") == title
    assert doc.xpath("string(//title)").startswith(title)
    assert doc.xpath("//meta[@property='og:title']/@content") == [title]
    scripts = doc.xpath("//script[not(@src)]")
    assert [s.get("type") for s in scripts] == ["application/ld+json"]
    assert json.loads(scripts[0].text)["headline"] == title
    assert all(src.endswith("/static/a11y.js") for src in doc.xpath("//script/@src"))
    assert doc.xpath("//b") == [] and doc.xpath("//i") == []
    assert "<i>t</i>" in doc.xpath("string(//ul[@class='tags'])")
    for name in ("feed.xml", "atom.xml"):
        feed = feedparser.parse((out / name).read_bytes())
        assert feed.bozo == 0
        assert feed.entries[0].title == title
    home = page(out, "")
    assert home.xpath("//script[not(@src)]") == []
    assert title in home.xpath("string(//main)")


def test_dangerous_links_and_raw_html_are_neutralized(tmp_path):
    body = """
    [js](javascript:alert(1)) [vb](vbscript:msgbox) [data](data:text/html;base64,PHNjcmlwdD4=)
    [ok](https://example.org/) ![pic](data:image/png;base64,iVBORw0KGgo=)

    <div onclick="alert(1)"><span class="note">保留</span><script>alert(2)</script></div>
    <iframe src="https://evil.example/"></iframe><form action="/x"><input></form>
    <a href="JaVaScRiPt:alert(3)">mixed</a> <img src=https://img.example/x.png onerror="alert(4)" alt="e">

    {{ 7 * 7 }} {% raw %}x{% endraw %}
    """
    site = write_site(tmp_path / "site", {"content/a.md": article("链接", "2024-08-22", body=body)})
    _, out = build_site(site)
    doc = parse_html(next(out.glob("2024/08/22/*/index.html")))
    body_el = doc.xpath("//div[@class='article-body']")[0]
    hrefs = body_el.xpath(".//a/@href")
    assert hrefs == ["https://example.org/"]
    assert body_el.xpath(".//img/@src") == ["data:image/png;base64,iVBORw0KGgo=", "https://img.example/x.png"]
    assert body_el.xpath(".//script|.//iframe|.//form|.//input") == []
    assert body_el.xpath(".//@onclick|.//@onerror") == []
    assert body_el.xpath("string(.//span[@class='note'])") == "保留"
    text = body_el.text_content()
    assert "{{ 7 * 7 }}" in text and "{% raw %}" in text and "49" not in text


# ------------------------------------------------------------------ bounded input

def test_billion_laughs_is_bounded_in_time(tmp_path):
    lines = ["---", "title: x", "date: 2024-01-01", "column: kyky", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 9) + "]" for i in range(1, 10)]
    site = write_site(tmp_path / "site", {"content/a.md": "\n".join(lines + ["---", "x"])})
    started = time.perf_counter()
    problems = problems_of(site)
    assert time.perf_counter() - started < 10
    assert any("别名" in p.message for p in problems)


def test_deep_nesting_and_a_huge_article_neither_crash_nor_hang(tmp_path):
    deep = "---\ntitle: x\ndate: 2024-01-01\ncolumn: kyky\ntags: " + "[" * 3000 + "]" * 3000 + "\n---\n"
    site = write_site(tmp_path / "site", {"content/deep.md": deep})
    assert problems_of(site)[0].path == "content/deep.md"
    huge = article("很长的文章", "2024-08-22", body=("这是一段很长的文字。" * 100 + "\n\n") * 1500)
    site2 = write_site(tmp_path / "site2", {"content/huge.md": huge})
    result, out = build_site(site2)
    assert result.articles == 1
    assert any("content/huge.md" in h for h in result.heavy)


def test_the_whole_build_writes_nothing_outside_the_output_and_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    site = write_site(tmp_path / "site", two_articles(**{"content/img/a.png": PNG}))
    (site / "content" / "a.md").write_text(article("黑洞", "2024-08-22", body="![图](img/a.png \"注\")"), "utf-8")
    before = snapshot(tmp_path)
    out = tmp_path / "site" / "public"
    build_site(site)
    build_site(site)
    after = snapshot(tmp_path, skip=(out, site / ".kexie-cache"))
    assert after == {k: v for k, v in before.items()}
    assert (out / "img" / "a.png").is_file()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400), st.text(max_size=200))
def test_random_input_gives_a_site_or_problems_never_a_crash(tmp_path, data, text):
    site = tmp_path / f"s{abs(hash((data, text)))}"
    write_site(site, {"content/a.md": data, "content/b.md": "---\n" + text, "content/c.md": article("好", "2024-08-22")})
    try:
        result, _ = build_site(site)
        assert result.articles >= 1
    except BuildFailed as failed:
        assert failed.problems and all(p.path and p.line >= 1 for p in failed.problems)


def test_no_input_makes_the_cli_print_a_traceback(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/a.md": b"\xff\xfe\x00garbage", "content/b.md": "---\n[[[\n---\n", "content/c.md": "---\n",
    })
    proc = subprocess.run([sys.executable, str(REPO / "build.py"), "--site", str(site)], capture_output=True, text=True)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr + proc.stdout


# ------------------------------------------------------------------ found by review

@pytest.mark.parametrize("change", ["removed", "edited"])
def test_a_page_behind_a_symlinked_folder_is_neither_deleted_nor_written_outside(tmp_path, change):
    site = write_site(tmp_path / "site", two_articles())
    _, out = build_site(site)
    elsewhere = tmp_path / "elsewhere"
    os.rename(out / "2024/08/23", elsewhere)
    (out / "2024/08/23").symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(elsewhere)
    if change == "removed":
        (site / "content/b.md").unlink()
    else:                                   # same URL, new bytes: the page would be replaced
        (site / "content/b.md").write_text(article("白洞", "2024-08-23", column="一目了然科普汇", body="新的正文。"), "utf-8")
    problems = problems_of(site)
    assert "符号链接" in problems[0].message and "2024/08/23" in problems[0].path
    assert snapshot(elsewhere) == before


def test_a_folder_put_where_a_generated_file_was_is_not_replaced(tmp_path):
    site = write_site(tmp_path / "site", two_articles())
    _, out = build_site(site)
    (out / "404.html").unlink()
    (out / "404.html").mkdir()
    (out / "404.html" / "notes.txt").write_text("mine")
    (site / "content/a.md").write_text(article("黑洞（改）", "2024-08-22"), "utf-8")
    problems = problems_of(site)
    assert "404.html" in problems[0].message
    assert (out / "404.html" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("where", ["themes/default/templates", "static/pub", "data", ".kexie-cache/out"])
def test_output_inside_the_sites_own_folders_is_refused(tmp_path, where):
    site = write_site(tmp_path / "site", two_articles())
    problems = problems_of(site, out=site / where)
    assert "不能用这个输出目录" in problems[0].message


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root reads any folder")
def test_an_unreadable_content_folder_is_an_error_not_a_silent_unpublish(tmp_path):
    site = write_site(tmp_path / "site", two_articles(**{"content/sub/c.md": article("丙", "2024-08-24")}))
    (site / "content/sub").chmod(0)
    try:
        problems = problems_of(site)
        assert any("content/sub" in p.path and "无法读取" in p.message for p in problems)
    finally:
        (site / "content/sub").chmod(0o755)


def test_scheme_tricks_and_cite_urls_are_neutralized(tmp_path):
    body = ('<a href="&#1;data:text/html,x">a</a> <a href="da&#9;ta:text/html,x">b</a> '
            '<a href=" javascript:alert(1)">c</a> <q cite="javascript:alert(1)">q</q> '
            '<blockquote cite="vbscript:x">bq</blockquote> <a href="/ok/">ok</a>')
    site = write_site(tmp_path / "site", {"content/a.md": article("链接", "2024-08-22", body=body)})
    _, out = build_site(site)
    doc = parse_html(next(out.glob("2024/08/22/*/index.html")))
    body_el = doc.xpath("//div[@class='article-body']")[0]
    assert body_el.xpath(".//a/@href") == ["/ok/"]
    assert body_el.xpath(".//@cite") == []


def test_control_characters_in_site_toml_and_odd_dates_are_problems_not_crashes(tmp_path):
    config = site_toml(description="测试\x01站点")
    site = write_site(tmp_path / "site", {"content/a.md": article("好", "2024-08-22")}, config=config)
    result, out = build_site(site)
    assert feedparser.parse((out / "feed.xml").read_bytes()).bozo == 0
    for date in ("0999-01-01", "9999-12-31 23:59:00-12:00"):
        bad = write_site(tmp_path / f"bad{date[:4]}", {"content/a.md": article("坏", date)})
        problems = problems_of(bad)
        assert (problems[0].path, problems[0].line) == ("content/a.md", 3)


def test_a_cover_outside_the_site_is_an_error(tmp_path):
    site = write_site(tmp_path / "site", {"content/a.md": article("封面", "2024-08-22", cover="../../../etc/passwd.png")})
    problems = problems_of(site)
    assert (problems[0].path, problems[0].line) == ("content/a.md", 5)


def test_an_article_changed_between_reading_and_parsing_is_an_error_not_a_page_of_other_bytes(tmp_path):
    from kexie_site.articles import Job, Settings, work
    from kexie_site.config import load_config
    from kexie_site.dates import get_zone, parse_date
    from kexie_site.sources import read_sources
    from kexie_site.refs import Files

    site = write_site(tmp_path / "site", {"content/a.md": article("原来的标题", "2024-08-22")})
    source, = read_sources(site).markdown
    config, _ = load_config((site / "site.toml").read_text("utf-8"), "site.toml")
    zone = get_zone(config.timezone)
    settings = Settings(site, config, zone, parse_date("2026-12-01", zone), False, False, Files({}), 120)
    assert work(Job(source, True, True), settings).doc.meta.title == "原来的标题"
    (site / "content/a.md").write_text(article("保存到一半的标题", "2024-08-22"), "utf-8")   # the editor saves meanwhile
    done = work(Job(source, True, True), settings)
    assert done.doc is None and done.rendered is None
    assert [(p.path, p.line, p.is_error) for p in done.parse_problems] == [("content/a.md", 1, True)]
    assert "changed during the build" in done.parse_problems[0].message


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_worker_processes_die_with_a_killed_build(tmp_path):
    files = {f"content/a{i}.md": article(f"第{i}篇", f"2024-08-{1 + i % 28:02d}",
                                          body="\n\n".join(["一段足够长的正文，用来让排版花一点时间。" * 20] * 30))
             for i in range(400)}
    site = write_site(tmp_path / "site", files)
    proc = subprocess.Popen([sys.executable, str(REPO / "build.py"), "--site", str(site), "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while time.monotonic() < deadline and len(workers) < 2:
            workers = [p for p in _children(proc.pid) if _alive(p)]
            time.sleep(0.05)
        assert len(workers) >= 2, "the build never started its worker processes"
        proc.kill()                                   # kill -9: no chance to clean up
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.1)
        assert not [p for p in workers if _alive(p)], "worker processes outlived the build"
    finally:
        if proc.poll() is None:
            proc.kill()


_REAL_WORK = perarticle._work
_REAL_STAGE = render._stage_one


def _dying_work(settings, job):
    if job.source.path.endswith("/a30.md"):
        os._exit(9)                                   # as the kernel's OOM killer would end it
    return _REAL_WORK(settings, job)


def _dying_stage(context, index):
    if index == 100:
        os._exit(9)
    return _REAL_STAGE(context, index)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the patched functions reach the workers by fork")
@pytest.mark.parametrize("stage", ["markdown", "pages"])
def test_a_worker_that_dies_is_a_clear_error_and_the_output_is_untouched(tmp_path, monkeypatch, stage):
    count = 80 if stage == "markdown" else 450        # enough work to go to the workers
    files = {f"content/x/a{i}.md": article(f"第{i}篇", f"2024-08-{1 + i % 28:02d}") for i in range(count)}
    site = write_site(tmp_path / "site", files)
    _, out = build_site(site, jobs=2)
    before = snapshot(out)
    if stage == "markdown":
        for i in range(60):
            (site / f"content/x/a{i}.md").write_text(article(f"第{i}篇（改）", f"2024-08-{1 + i % 28:02d}"), "utf-8")
        monkeypatch.setattr(perarticle, "_work", _dying_work)
    else:                                             # a theme edit: every page is made again
        theme = site / "themes/default/templates"
        theme.mkdir(parents=True)
        for name in ("list.html", "article.html"):
            (theme / name).write_text((REPO / "themes/default/templates" / name).read_text("utf-8") + "\n", "utf-8")
        monkeypatch.setattr(render, "_stage_one", _dying_stage)
    problems = problems_of(site, jobs=2)
    assert [(p.path, p.line) for p in problems] == [("--jobs", 1)]
    assert "worker process died" in problems[0].message and "--jobs 1" in problems[0].hint
    assert snapshot(out) == before
    assert not [p.name for p in out.parent.iterdir() if "staging" in p.name]


def test_a_static_file_may_become_a_folder_of_the_same_name_and_back(tmp_path):
    site = write_site(tmp_path / "site", two_articles(**{"static/docs": "一个文件"}))
    _, out = build_site(site)
    (site / "static/docs").unlink()
    (site / "static/docs").mkdir()
    (site / "static/docs/index.html").write_text("一个文件夹", "utf-8")
    build_site(site)
    assert (out / "docs/index.html").read_text("utf-8") == "一个文件夹"
    (site / "static/docs/index.html").unlink()
    (site / "static/docs").rmdir()
    (site / "static/docs").write_text("又是文件", "utf-8")
    result, _ = build_site(site)
    assert (out / "docs").read_text("utf-8") == "又是文件" and result.report.removed == ("docs/index.html",)
    # but a folder holding a file the tool did not write is not replaced
    (site / "static/docs").unlink()
    (site / "static/docs").mkdir()
    (site / "static/docs/index.html").write_text("文件夹", "utf-8")
    build_site(site)
    (out / "docs/mine.txt").write_text("编辑自己放的", "utf-8")
    (site / "static/docs/index.html").unlink()
    (site / "static/docs").rmdir()
    (site / "static/docs").write_text("文件", "utf-8")
    problems = problems_of(site)
    assert "不会覆盖" in problems[0].message
    assert (out / "docs/mine.txt").read_text("utf-8") == "编辑自己放的"


def test_a_static_file_named_like_a_generated_folder_is_an_error_not_a_crash(tmp_path):
    site = write_site(tmp_path / "site", two_articles(**{"static/2024": "x"}))
    problems = problems_of(site, cache=False)
    assert any("冲突" in p.message and "2024" in p.message for p in problems), problems


@pytest.mark.parametrize("code, said", [(errno.ENOSPC, "disk full"), (errno.EROFS, "read-only file system"),
                                        (errno.EACCES, "permission denied")])
def test_a_full_or_read_only_disk_is_said_with_the_path_and_the_output_is_untouched(tmp_path, monkeypatch, code, said):
    """Issue 16: a full disk was an internal error ("请报告这个问题") without a path."""
    site = write_site(tmp_path / "site", two_articles())
    _, out = build_site(site)
    before = snapshot(out)
    (site / "content" / "c.md").write_text(article("新文章", "2024-08-24"), "utf-8")
    real = writer.stage

    def refusing(output, data, where):
        if output.path.endswith("index.html"):
            raise OSError(code, os.strerror(code), os.path.join(where.staging, output.path))
        return real(output, data, where)

    monkeypatch.setattr(writer, "stage", refusing)
    problems = problems_of(site)
    assert len(problems) == 1 and said in problems[0].message and ".public.kexie-staging" in problems[0].path
    assert problems[0].hint
    assert snapshot(out) == before
    from kexie_site.cli import main
    assert main(["build", "--site", str(site), "--now", "2026-12-01 12:00"]) == 1


EVIL_SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">'
            b'<script>alert(2)</script><rect width="5" height="5"/></svg>')


def test_an_svg_an_article_shows_is_published_without_its_script(tmp_path):
    """Issue 16: SVGs went out byte for byte with <script> and onload, on the site's own origin."""
    site = write_site(tmp_path / "site", {
        "content/kyky/evil.svg": EVIL_SVG,
        "content/kyky/a.md": article("矢量图", "2024-08-22", body="![图](evil.svg)"),
        "static/badge.svg": EVIL_SVG,
    })
    result, out = build_site(site)
    published = etree.fromstring((out / "kyky/evil.svg").read_bytes())
    assert published.xpath("//*[local-name()='script']") == [] and published.get("onload") is None
    assert published.xpath("//*[local-name()='rect']")
    warned = {p.path: p.message for p in result.problems}
    assert "SVG cleaned" in warned["content/kyky/evil.svg"]
    assert "SVG with script in static/" in warned["static/badge.svg"]
    assert (out / "badge.svg").read_bytes() == EVIL_SVG          # static/ goes out as it is, but said


def test_an_svg_that_is_not_one_is_an_error_not_published(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/kyky/fake.svg": b"<!DOCTYPE html><html><body><svg></svg><script>x()</script></body></html>",
        "content/kyky/a.md": article("矢量图", "2024-08-22", body="![图](fake.svg)"),
    })
    problems = problems_of(site)
    assert any(p.path == "content/kyky/fake.svg" and p.is_error for p in problems)
