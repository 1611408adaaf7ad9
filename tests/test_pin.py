"""`kexie-site pin`: writes the ids and slugs the site publishes into front matter, changing no
other byte, so that identity no longer depends on the order of files or on a publish record."""
from __future__ import annotations

import codecs
import os
from pathlib import Path

import feedparser
import pytest

from conftest import article, build_site, page, write_site
from kexie_site.cli import main

BASE = "https://kepu.example.cn/"
OLD = 1_500_000_000            # an mtime long past: any rewrite of the file shows


def pin(site: Path, *extra: str) -> int:
    return main(["pin", "--site", str(site), *extra])


def published(out: Path) -> dict[str, tuple[str, str, str]]:
    """{site-relative URL: (RSS guid, Atom id, the page's data-article-id)} of every article."""
    rss = {e.link: e.id for e in feedparser.parse((out / "feed.xml").read_bytes()).entries}
    atom = {e.link: e.id for e in feedparser.parse((out / "atom.xml").read_bytes()).entries}
    assert rss.keys() == atom.keys()
    return {link[len(BASE):]: (rss[link], atom[link],
                               page(out, link[len(BASE):]).xpath("string(//article/@data-article-id)"))
            for link in rss}


def snapshot(site: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime (ns) of every file under content/."""
    return {str(p.relative_to(site)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted((site / "content").rglob("*")) if p.is_file()}


def age(site: Path) -> None:
    for p in (site / "content").rglob("*"):
        if p.is_file():
            os.utime(p, (OLD, OLD))


def with_lines(original: bytes, eol: bytes, *lines: str) -> bytes:
    """original with `lines` (each ending in eol) inserted just before its front matter's closing ---."""
    start = len(codecs.BOM_UTF8) if original.startswith(codecs.BOM_UTF8) else 0
    closing = original.index(eol + b"---" + eol, start) + len(eol)
    return original[:closing] + b"".join(line.encode("utf-8") + eol for line in lines) + original[closing:]


# a body with a thematic break: only the front matter's closing --- is the place
BODY = "上文。\n\n---\n\n下文。"


@pytest.mark.parametrize("bom, eol", [(b"", b"\n"), (b"", b"\r\n"), (codecs.BOM_UTF8, b"\r\n"), (codecs.BOM_UTF8, b"\n")],
                         ids=["lf", "crlf", "bom-crlf", "bom-lf"])
def test_pin_inserts_id_and_slug_and_keeps_every_other_byte(tmp_path, bom, eol):
    text = article("黑洞", "2024-08-22", body=BODY, summary="一句摘要。")
    original = bom + text.replace("\n", eol.decode()).encode("utf-8")
    site = write_site(tmp_path / "site", {"content/a.md": original})
    assert pin(site, "--write") == 0
    after = (site / "content/a.md").read_bytes()
    assert after == with_lines(original, eol, "id: kyky-20240822", "slug: heidong")
    assert sorted(p.name for p in (site / "content").iterdir()) == ["a.md"]        # no temporary left behind
    _, out = build_site(site)
    assert page(out, "2024/08/22/heidong/").xpath("string(//article/@data-article-id)") == "kyky-20240822"


def test_dry_run_shows_the_diff_and_changes_nothing(tmp_path, capsys):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞", "2024-08-22"),
        "content/b.md": article("白洞", "2024-08-22 18:00"),
    })
    age(site)
    before = snapshot(site)
    assert pin(site) == 0
    out = capsys.readouterr().out
    added = [line for line in out.splitlines() if line.startswith(("+id: ", "+slug: "))]
    assert sorted(added) == ["+id: kyky-20240822", "+id: kyky-20240822-2", "+slug: baidong", "+slug: heidong"]
    assert "a.md" in out and "b.md" in out
    assert snapshot(site) == before
    assert not (site / "public").exists()


def test_a_second_run_has_nothing_to_do(tmp_path, capsys):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞", "2024-08-22"),
        "content/b.md": article("白洞", "2024-08-22 18:00").replace("\n", "\r\n"),
    })
    assert pin(site, "--write") == 0
    age(site)
    pinned = snapshot(site)
    capsys.readouterr()
    assert pin(site, "--write") == 0
    assert pin(site) == 0
    out = capsys.readouterr().out
    assert not [line for line in out.splitlines() if line.startswith(("+id:", "+slug:"))]
    assert snapshot(site) == pinned


def test_only_what_is_missing_is_written_and_complete_files_are_untouched(tmp_path):
    files = {
        "content/id-only.md": article("黑洞", "2024-08-22", id="kyky-x"),
        "content/slug-only.md": article("白洞", "2024-08-23", slug="bai"),
        "content/both.md": article("虫洞", "2024-08-24", id="kyky-y", slug="chong"),
    }
    site = write_site(tmp_path / "site", files)
    age(site)
    before = snapshot(site)
    assert pin(site, "--write") == 0
    after = snapshot(site)
    assert after["content/id-only.md"][0] == with_lines(files["content/id-only.md"].encode(), b"\n", "slug: heidong")
    assert after["content/slug-only.md"][0] == with_lines(files["content/slug-only.md"].encode(), b"\n", "id: kyky-20240823")
    assert after["content/both.md"] == before["content/both.md"]                  # bytes and mtime


def test_after_pinning_a_fresh_build_gives_every_article_the_same_identity(tmp_path):
    site = write_site(tmp_path / "site", {
        "content/a.md": article("每日一问", "2024-08-22 08:00", body="甲。"),
        "content/b.md": article("每日一问", "2024-08-22 18:00", body="乙。"),
        "content/c.md": article("每日一问", "2024-08-22 12:00", column="一目了然科普汇", body="丙。"),
        "content/d.md": article("黑洞", "2024-08-22 07:00", id="kyky-hd", body="丁。"),
        "content/e.md": article("白洞", "2024-08-22 09:00", slug="baidong", body="戊。"),
        "content/f.md": article("草稿", "2024-08-22 05:00", draft=True, body="己。"),      # counted in the order
    })
    _, before_out = build_site(site, tmp_path / "before", drafts=True)              # not public/: no record
    before = published(before_out)
    assert len(before) == 6
    assert pin(site, "--write") == 0
    result, after_out = build_site(site, tmp_path / "after", drafts=True)
    assert result.record_found is False
    assert published(after_out) == before


def test_pin_keeps_what_the_record_kept_when_the_order_alone_would_not(tmp_path):
    site = write_site(tmp_path / "site", {"content/b.md": article("每日一问", "2024-08-22 10:00", body="先发布的。")})
    build_site(site)
    (site / "content/a.md").write_text(article("每日一问", "2024-08-22 06:00", body="后来补的。"), "utf-8")
    kept, public = build_site(site)
    assert kept.record_found is True
    before = published(public)
    assert "先发布的。" in page(public, "2024/08/22/meiri-yiwen/").xpath("string(//article)")

    assert pin(site, "--write") == 0          # reads the record in <site>/public
    assert "id: kyky-20240822\n" in (site / "content/b.md").read_text("utf-8")
    assert "id: kyky-20240822-2\nslug: meiri-yiwen-2\n" in (site / "content/a.md").read_text("utf-8")
    result, fresh = build_site(site, tmp_path / "fresh")
    assert result.record_found is False
    assert published(fresh) == before
    assert "先发布的。" in page(fresh, "2024/08/22/meiri-yiwen/").xpath("string(//article)")
    assert "后来补的。" in page(fresh, "2024/08/22/meiri-yiwen-2/").xpath("string(//article)")


@pytest.mark.parametrize("bad", [
    '---\ntitle: "没写完\ndate: 2024-08-25\ncolumn: 科言科语\n---\n\n正文。\n'.encode(),     # unclosed quote
    '---\ntitle: 国标编码\ndate: 2024-08-25\ncolumn: 科言科语\n---\n\n正文。\n'.encode("gb18030"),   # not UTF-8
], ids=["yaml", "gbk"])
def test_a_file_that_cannot_be_read_is_reported_and_left_alone(tmp_path, capsys, bad):
    site = write_site(tmp_path / "site", {"content/bad.md": bad, "content/good.md": article("黑洞", "2024-08-22")})
    age(site)
    bad_before = snapshot(site)["content/bad.md"]
    pin(site, "--write")
    captured = capsys.readouterr()
    assert "content/bad.md:2:" in captured.out + captured.err
    assert "internal error" not in captured.err
    assert snapshot(site)["content/bad.md"] == bad_before
    assert (site / "content/good.md").read_bytes() == with_lines(article("黑洞", "2024-08-22").encode(), b"\n",
                                                                "id: kyky-20240822", "slug: heidong")


def test_a_file_changed_between_reading_and_writing_is_skipped(tmp_path):
    # the seam: pin.plan reads, pin.apply writes; an editor saves a.md in between
    from kexie_site.pin import apply, plan

    site = write_site(tmp_path / "site", {
        "content/a.md": article("黑洞", "2024-08-22"),
        "content/b.md": article("白洞", "2024-08-23"),
    })
    report = plan(site)
    assert {p.path for p in report.pins} == {"content/a.md", "content/b.md"}
    edited = article("黑洞", "2024-08-22", body="编辑刚刚保存的正文。").encode("utf-8")
    (site / "content/a.md").write_bytes(edited)
    done = apply(site, report)
    assert (site / "content/a.md").read_bytes() == edited
    assert "content/a.md" not in done.written and "content/b.md" in done.written
    assert any(p.path == "content/a.md" for p in done.problems)
    assert b"id: kyky-20240823" in (site / "content/b.md").read_bytes()
    assert sorted(p.name for p in (site / "content").iterdir()) == ["a.md", "b.md"]
