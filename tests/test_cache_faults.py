"""The cache is an accelerator, never a point of failure (issue 16): whatever state .kexie-cache/
is in, the build publishes exactly what a build without the cache publishes, says so at most
once, and never publishes a cached byte whose checksum fails."""
from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NOW, REPO, article, build_site, read_tree, write_site
from kexie_site import outdir, perarticle, render


def site_files() -> dict[str, str]:
    return {f"content/a{i}.md": article(f"第{i}篇：北斗卫星", f"2024-08-1{i}", body=f"北斗导航第{i}篇的正文。\n\n## 小节\n\n更多北斗。")
            for i in range(5)}


def cache_warnings(result) -> list:
    return [p for p in result.problems if p.path == perarticle.CACHE_NAME]


def rebuilt_equals_uncached(tmp_path: Path, site: Path, out: Path):
    """Build again (the templates changed, so every page is made again) and compare with a build
    that uses no cache at all; returns the cached build's result."""
    (site / "themes/default/templates").mkdir(parents=True, exist_ok=True)
    (site / "themes/default/templates/article.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>{{ article.title }}</h1>{{ content|safe }}{% endblock %}', "utf-8")
    result, _ = build_site(site)
    _, fresh = build_site(site, tmp_path / "fresh", cache=False, record_dir=out)
    assert read_tree(out) == read_tree(fresh)
    return result


def garble(db: Path) -> None:
    """Random-looking bytes over one page in the middle of the file (a bad sector)."""
    data = bytearray(db.read_bytes())
    page = 4096
    start = (len(data) // page // 2) * page
    data[start + 100:start + page - 100] = bytes((i * 131 + 7) % 256 for i in range(page - 200))
    db.write_bytes(bytes(data))


def damage(site: Path, how: str) -> None:
    cache = site / ".kexie-cache"
    db = cache / "cache.sqlite"
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    if how == "rows missing":
        con = sqlite3.connect(db)
        con.execute("DELETE FROM html WHERE rowid % 2 = 0")
        con.execute("DELETE FROM renders WHERE rowid % 3 = 0")
        con.commit()
        con.close()
    elif how == "garbled page":
        garble(db)
    elif how == "bit flip":                    # 北斗 becomes POISON inside the stored HTML
        data = db.read_bytes()
        assert "北斗".encode() in data
        db.write_bytes(data.replace("北斗导航第1篇".encode(), "POISON导航第1篇".encode()[: len("北斗导航第1篇".encode())]))
    elif how == "read-only file":
        db.chmod(0o444)
        cache.chmod(0o555)
    elif how == "cache is a file":
        shutil.rmtree(cache)
        cache.write_text("not a folder")
    elif how == "dangling link":
        shutil.rmtree(cache)
        cache.symlink_to(site / "nowhere")
    elif how == "database is a folder":
        shutil.rmtree(cache)
        (cache / "cache.sqlite").mkdir(parents=True)
    elif how == "lock is a folder":
        (cache / "build.lock").unlink()
        (cache / "build.lock").mkdir()
    elif how == "link to itself":
        shutil.rmtree(cache)
        cache.symlink_to(".kexie-cache")
    elif how == "not a database":
        db.write_bytes(b"this is not SQLite" * 100)
    else:
        raise AssertionError(how)


UNUSABLE = ("read-only file", "cache is a file", "dangling link", "database is a folder", "link to itself")   # until fixed by hand


@pytest.mark.parametrize("how", ["rows missing", "garbled page", "bit flip", "read-only file", "cache is a file",
                                 "dangling link", "database is a folder", "lock is a folder", "not a database",
                                 "link to itself"])
def test_a_damaged_cache_builds_what_no_cache_builds_with_at_most_one_warning(tmp_path, how):
    site = write_site(tmp_path / "site", site_files())
    _, out = build_site(site)
    damage(site, how)
    try:
        result = rebuilt_equals_uncached(tmp_path, site, out)
        assert len(cache_warnings(result)) <= 1
        assert [p for p in result.problems if p.path != perarticle.CACHE_NAME] == []
        assert b"POISON" not in b"".join(read_tree(out).values())
        again, _ = build_site(site)                         # and the one after is fine too,
        assert [p for p in again.problems if p.path != perarticle.CACHE_NAME] == []
        if how not in UNUSABLE:                             # with a cache that heals itself
            assert cache_warnings(again) == []
    finally:
        for path in (site / ".kexie-cache", site / ".kexie-cache" / "cache.sqlite"):
            if path.exists() and not path.is_symlink():
                path.chmod(0o755)


def test_a_bit_flip_in_a_cached_page_is_rebuilt_and_said_once(tmp_path):
    site = write_site(tmp_path / "site", site_files())
    _, out = build_site(site)
    damage(site, "bit flip")
    result = rebuilt_equals_uncached(tmp_path, site, out)
    assert [p.message for p in cache_warnings(result)] == [perarticle.CACHE_HEALED.message]


@pytest.mark.parametrize("write", ["put_slugs", "put_stats", "prune"])
def test_a_cache_write_that_fails_after_publishing_is_said(tmp_path, monkeypatch, write):
    """What the build keeps for the next one is written after it published (the stamps, the
    slugs, the entries it no longer uses): a write there that fails (a full disk) is said, once,
    like any other cache trouble."""
    from kexie_site.cache import Cache

    site = write_site(tmp_path / "site", site_files())
    monkeypatch.setattr(Cache, write, lambda self, *a, **k: self._guard("INSERT INTO no_such_table VALUES (1)"))
    result, out = build_site(site)
    assert [p.message.split(":")[0] for p in cache_warnings(result)] == ["缓存读写失败，已跳过 (cache read/write failed, skipped)"]
    assert (out / "index.html").is_file()


def test_the_output_lock_is_beside_the_output_whatever_the_tmpdir(tmp_path):
    """Two builds into one output from environments with different TMPDIRs: the second stops
    with the clear message (the lock used to be under TMPDIR, so they did not see each other)."""
    site = write_site(tmp_path / "site", site_files())
    out = tmp_path / "public"
    build_site(site, out)
    other_tmp = tmp_path / "other-tmp"
    other_tmp.mkdir()
    with outdir.site_lock(outdir.output_lock_path(out)):
        run = subprocess.run([sys.executable, "-m", "kexie_site", "build", "--site", str(site), "--output", str(out),
                              "--now", NOW], capture_output=True, text=True, cwd=REPO,
                             env={**os.environ, "TMPDIR": str(other_tmp)})
    assert run.returncode == 1
    assert "another build is running" in run.stderr and "Traceback" not in run.stderr
    assert outdir.output_lock_path(out).parent == out.parent and not list(other_tmp.iterdir())


def touch_templates(site: Path, n: int) -> None:
    """A template edit: every page is made again (and every article's HTML read from the cache)."""
    (site / "themes/default/templates").mkdir(parents=True, exist_ok=True)
    (site / "themes/default/templates/article.html").write_text(
        '{% extends "base.html" %}{% block main %}' + f"<h1>{n}</h1>" + '{{ content|safe }}{% endblock %}', "utf-8")


def test_articles_rendered_again_in_page_workers_are_stored_for_the_next_build(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "PAGES_PARALLEL_MIN", 2)
    site = write_site(tmp_path / "site", site_files())
    build_site(site, jobs=2)
    con = sqlite3.connect(site / ".kexie-cache" / "cache.sqlite")
    con.execute("DELETE FROM html")
    con.commit()
    con.close()
    touch_templates(site, 1)
    healed, _ = build_site(site, jobs=2)
    assert [p.message for p in healed.problems] == [perarticle.CACHE_HEALED.message]
    touch_templates(site, 2)
    after, _ = build_site(site, jobs=2)
    assert after.problems == () and after.markdown_renders == 0


def test_a_row_whose_key_was_damaged_is_removed_not_found_again_and_again(tmp_path):
    site = write_site(tmp_path / "site", site_files())
    build_site(site)
    con = sqlite3.connect(site / ".kexie-cache" / "cache.sqlite")
    con.execute("UPDATE stats SET path = 'content/X' || substr(path, 10) WHERE path = 'content/a1.md'")
    con.commit()
    con.close()
    for n in range(3):
        (site / "content/a2.md").write_text(article(f"第2篇：改{n}", "2024-08-12"), "utf-8")
        result, _ = build_site(site)
        assert len(cache_warnings(result)) == (1 if n == 0 else 0)
