"""`kexie-site new` never overwrites and writes front matter that builds; `check` reports
everything a build would plus the editor's pre-publication warnings, and writes nothing."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO, article, build_site, png_bytes, write_site
from kexie_site.config import load_config
from kexie_site.dates import get_zone
from kexie_site.model import SourceFile
from kexie_site.parse import parse_article
from kexie_site.sources import sha256


def cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "kexie_site", *args], capture_output=True, text=True, cwd=cwd or REPO)


@pytest.mark.parametrize("title", ['每日一问："冷"是什么？', "黑洞: 宇宙 # 吞噬 'x' “y”", "C:\\path\\ and \\n \"quotes\""])
def test_new_writes_front_matter_that_parses_and_builds(tmp_path, title):
    site = write_site(tmp_path / "site", {})
    proc = cli("new", title, "--column", "科言科语", "--site", str(site), "--date", "2024-08-22 08:00")
    assert proc.returncode == 0, proc.stderr
    path = next((site / "content").rglob("*.md"))
    assert proc.stdout.strip() == str(path)
    assert path.name.startswith("2024-08-22-") and path.name.isascii()
    config, _ = load_config((site / "site.toml").read_text("utf-8"))
    data = path.read_bytes()
    doc, problems = parse_article(SourceFile(path.relative_to(site).as_posix(), data, sha256(data)), config,
                                  get_zone("Asia/Shanghai"))
    assert problems == () and doc.meta.title == title.strip()
    assert doc.meta.column == "科言科语" and doc.meta.draft and doc.meta.id
    assert doc.meta.date.isoformat() == "2024-08-22T08:00:00+08:00"
    result, out = build_site(site, drafts=True)
    assert result.articles == 1


def test_new_refuses_to_overwrite_and_gives_fresh_ids(tmp_path):
    site = write_site(tmp_path / "site", {})
    first = cli("new", "每日一问", "--column", "kyky", "--site", str(site), "--date", "2024-08-22")
    path = next((site / "content").rglob("*.md"))
    path.write_text(path.read_text("utf-8") + "\n编辑写的正文。\n", "utf-8")
    before = path.read_bytes()
    again = cli("new", "每日一问", "--column", "kyky", "--site", str(site), "--date", "2024-08-22")
    assert first.returncode == 0 and again.returncode == 1
    assert "不会覆盖" in again.stderr and str(path.name) in again.stderr
    assert path.read_bytes() == before
    other = cli("new", "每日一问", "--column", "kyky", "--site", str(site), "--date", "2024-08-23")
    ids = sorted(p.read_text("utf-8").split("id: ")[1].split("\n")[0] for p in (site / "content").rglob("*.md"))
    assert other.returncode == 0 and len(set(ids)) == 2


def test_new_rejects_an_undeclared_column(tmp_path):
    site = write_site(tmp_path / "site", {})
    proc = cli("new", "标题", "--column", "科学辟谣", "--site", str(site))
    assert proc.returncode == 1 and "科言科语" in proc.stderr
    assert not (site / "content").exists() or not list((site / "content").rglob("*.md"))


def lint_site_files():
    body_links = "见[上一篇](a.md)和[不存在的](nope.md)、[草稿](draft.md)，还有[站内](/2024/08/01/none/)和[首页](/)。\n\n![](img/x.png)\n\n![有说明](img/x.png)"
    return {
        "content/a.md": article("甲", "2024-08-20", id="a-1", summary="好的摘要，写得完整。"),
        "content/b.md": article("乙" * 40, "2024-08-21", body=body_links),
        "content/later.md": article("以后的文章", "2024-09-30", id="later", summary="定时。"),
        "content/draft.md": article("草稿", "2024-08-21", id="d", draft=True, summary="草稿。"),
        "content/img/x.png": png_bytes(4, 3),
    }


def test_check_reports_each_lint_with_its_line_and_writes_nothing(tmp_path):
    site = write_site(tmp_path / "site", lint_site_files())
    proc = cli("check", "--site", str(site), "--now", "2024-08-25 12:00")
    assert proc.returncode == 0, proc.stderr
    err = proc.stderr
    b = "content/b.md"
    assert f"{b}:1: 警告 warning: 没有写 id" in err
    assert "标题有" not in err          # (a column not marked wechat = true: WeChat's title limit does not apply)
    assert f"{b}:7: 警告 warning: 链接指向的文章不存在 (link to a missing article): nope.md" in err
    assert "a.md" not in err.split("link to a missing article")[0].splitlines()[-1]
    # a draft is checked too, but a published article's link to it would be text once published
    assert f"{b}:7: 警告 warning: 链接指向的文章还没有发布 (link to an unpublished article): draft.md" in err
    assert f"{b}:7: 警告 warning: 站内链接指向的页面不存在 (internal link to a missing page): /2024/08/01/none/" in err
    assert f"{b}:9: 警告 warning: 图片没有替代文字" in err and f"{b}:11:" not in err
    # drafts and scheduled articles are listed (work in progress), not warned about: --strict passes with them
    assert "定时" not in err and "content/draft.md:6: 警告" not in err
    assert "定时 scheduled  1：content/later.md:3（" in proc.stdout and "草稿 drafts  1：content/draft.md:6" in proc.stdout
    assert "最近 30 天有" in err and "site.toml:" in err
    assert "content/a.md" not in err
    assert not (site / "public").exists()


def test_check_exit_codes(tmp_path):
    site = write_site(tmp_path / "site", lint_site_files())
    assert cli("check", "--site", str(site), "--now", "2024-08-25", "--strict").returncode == 1
    clean = write_site(tmp_path / "clean", {
        "content/a.md": article("好文章", "2024-08-25", id="a", summary="一句完整的摘要，说明文章讲什么。")})
    assert cli("check", "--site", str(clean), "--now", "2024-08-25 12:00", "--strict").returncode == 0   # a new column: no gap
    (clean / "content/b.md").write_text(article("更早的文章", "2024-08-20", id="b", summary="一句完整的摘要，说明文章讲什么。"), "utf-8")
    gaps = cli("check", "--site", str(clean), "--now", "2024-08-25 12:00", "--strict")
    assert gaps.returncode == 1 and "有 4 天没有文章" in gaps.stderr and "8月21日、8月22日、8月23日、8月24日" in gaps.stderr
    broken = write_site(tmp_path / "broken", {"content/a.md": "---\ntitle：坏\ndate: 2024-08-25\ncolumn: 科言科语\n---\n"})
    proc = cli("check", "--site", str(broken))
    assert proc.returncode == 1 and "content/a.md:2:" in proc.stderr and "Traceback" not in proc.stderr
    assert not (broken / "public").exists()


def test_check_on_a_complete_daily_column_is_clean(tmp_path):
    files = {f"content/d{i}.md": article(f"第{i}天的科普", f"2024-08-{i:02d} 08:00", id=f"d{i}",
                                         summary="一句完整的摘要，说明文章讲什么。")
             for i in range(1, 31)}
    site = write_site(tmp_path / "site", files, config="""
[site]
title = "t"
base_url = "https://kepu.example.cn/"
[[columns]]
name = "科言科语"
slug = "kyky"
""")
    proc = cli("check", "--site", str(site), "--now", "2024-08-30 12:00", "--strict")
    assert proc.returncode == 0, proc.stderr


def test_check_warns_at_a_heading_without_its_space_but_not_at_a_topic_or_in_code(tmp_path):
    body = "#标题没有空格\n\n正文第一行\n#也在段落里\n\n#科普中国#今天的话题\n\n## 正常标题\n\n```\n#不是标题\n```\n\n    #缩进代码"
    site = write_site(tmp_path / "site", {"content/a.md": article("好文章", "2024-08-25", id="a", body=body,
                                                                  summary="一句完整的摘要，说明文章讲什么。")})
    proc = cli("check", "--site", str(site), "--now", "2024-08-25 12:00")
    lines = [line for line in proc.stderr.splitlines() if "looks like a heading" in line]
    first = (site / "content/a.md").read_text("utf-8").splitlines().index("#标题没有空格") + 1
    assert [line.split(":")[1] for line in lines] == [str(first), str(first + 3)], proc.stderr
    assert all(line.startswith("content/a.md:") for line in lines)
    result, out = build_site(site)                    # and CommonMark publishes them as text
    from conftest import page
    body_el = page(out, "2024/08/25/hao-wenzhang/").xpath('//div[contains(@class, "article-body")]')[0]
    assert [h.text_content() for h in body_el.xpath(".//h1|.//h2")] == ["正常标题"]
    assert "#标题没有空格" in [p.text_content() for p in body_el.xpath(".//p")]


def test_check_says_where_a_video_or_iframe_was_taken_out_but_not_in_code(tmp_path):
    """The sanitizer publishes no <iframe>, <video> or form: check says so at their lines (they
    were dropped without a word before), not where they are shown as code."""
    body = ("看视频：\n\n<iframe src=\"https://v.qq.com/x/page/abc.html\"></iframe>\n\n<VIDEO src=\"a.mp4\" controls></VIDEO>\n\n"
            "```html\n<iframe src=\"x\"></iframe>\n```\n\n写成 `<audio>` 标签。\n")
    site = write_site(tmp_path / "site", {"content/a.md": article("视频", "2024-08-25", id="a", body=body,
                                                                  summary="一句完整的摘要，说明文章讲什么。")})
    proc = cli("check", "--site", str(site), "--now", "2024-08-25 12:00")
    lines = (site / "content/a.md").read_text("utf-8").splitlines()
    said = [line for line in proc.stderr.splitlines() if "(removed)" in line]
    iframe = lines.index('<iframe src="https://v.qq.com/x/page/abc.html"></iframe>') + 1
    video = lines.index('<VIDEO src="a.mp4" controls></VIDEO>') + 1
    assert said == [f"content/a.md:{iframe}: 警告 warning: <iframe>（视频或网页）不会显示：网站和公众号都不放这种内容，发布时去掉了 (removed)",
                    f"content/a.md:{video}: 警告 warning: <video>（视频）不会显示：网站和公众号都不放这种内容，发布时去掉了 (removed)"
                    ], proc.stderr


def test_the_example_site_passes_its_own_check_strict(example_site):
    """The example is what a new editor copies: every article has its id and slug, its folders
    are the column slugs `new` writes into, and check --strict passes (its draft and its
    scheduled article are listed, not failures)."""
    import shutil
    shutil.copytree(REPO / "data", example_site / "data")          # (the views and the default WeChat cover)
    proc = cli("check", "--strict", "--site", str(example_site))
    assert proc.returncode == 0, proc.stderr
    assert "草稿 drafts  1" in proc.stdout and "定时 scheduled  1" in proc.stdout
    from kexie_site.config import read_config
    config, _ = read_config(example_site)
    folders = {p.name for p in (example_site / "content").iterdir() if p.is_dir()}
    assert folders == {c.slug for c in config.columns}
    for md in (example_site / "content").rglob("*.md"):
        text = md.read_text("utf-8")
        assert "\nid: " in text and "\nslug: " in text, md
