"""Output kinds are peers, registered in one list (outputs.KINDS): a kind added from here, through
the registry, is built, cached by its key and listed in the build's summary."""
from __future__ import annotations

from kexie_site.cli import summary
from kexie_site.hashing import key
from kexie_site.layout import OutputKind
from kexie_site.model import Output
from kexie_site.outputs import KINDS

from conftest import article, build_site, write_site

MADE: list[str] = []


def _plan_ids(layout):
    """ids.txt: each published article's id and URL, a line each."""
    lines = [f"{a.id}\t{a.url}" for a in layout.site.articles]

    def produce() -> bytes:
        MADE.append("ids.txt")
        return ("\n".join(lines) + "\n").encode("utf-8")
    return [Output("ids.txt", origin="ids", key=key(layout.site_key, *lines), produce=produce)], []


IDS = OutputKind("ids", "编号 ids", _plan_ids)


def test_a_kind_added_through_the_registry_is_built_cached_and_listed(tmp_path):
    MADE.clear()
    site = write_site(tmp_path / "site", {
        "content/kyky/a.md": article("黑洞是什么", "2024-08-20", id="kyky-a"),
        "content/kyky/b.md": article("台风从哪里来", "2024-08-21", id="kyky-b"),
    })
    kinds = (*KINDS, IDS)
    first, out = build_site(site, kinds=kinds)
    assert (out / "ids.txt").read_text("utf-8").splitlines() == [
        "kyky-b\t2024/08/21/taifeng-cong-nali-lai/", "kyky-a\t2024/08/20/heidong-shi-shenme/"]
    assert MADE == ["ids.txt"]
    listed = {k.name: (k.label, k.outputs, k.made) for k in first.kinds}
    assert listed["ids"] == ("编号 ids", 1, 1) and listed["pages"][1] == first.pages
    assert "编号 ids 1（生成 made 1）" in "\n".join(summary(first))

    # nothing changed: nothing made, the kind still listed
    again, _ = build_site(site, kinds=kinds)
    assert again.fast and MADE == ["ids.txt"]
    assert {k.name: k.outputs for k in again.kinds}["ids"] == 1 and "编号 ids 1" in "\n".join(summary(again))

    # an edit that changes nothing the kind shows: its key is the same, it is not made again
    (site / "content/kyky/a.md").write_text(article("黑洞是什么", "2024-08-20", id="kyky-a", body="改过的正文。"), "utf-8")
    edited, _ = build_site(site, kinds=kinds)
    assert edited.pages_rendered > 0 and MADE == ["ids.txt"]
    assert {k.name: k.made for k in edited.kinds}["ids"] == 0 and "ids.txt" in edited.report.unchanged

    # one that does: made again
    (site / "content/kyky/c.md").write_text(article("北斗导航", "2024-08-22", id="kyky-c"), "utf-8")
    added, _ = build_site(site, kinds=kinds)
    assert MADE == ["ids.txt", "ids.txt"] and "ids.txt" in added.report.written
    assert (out / "ids.txt").read_text("utf-8").startswith("kyky-c\t")

    # and a build without the kind removes its output (it is the tool's own file)
    without, _ = build_site(site)
    assert "ids.txt" in without.report.removed and not (out / "ids.txt").exists()
    assert "ids" not in {k.name for k in without.kinds}
