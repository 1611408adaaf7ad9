"""`kexie-site init`: a brand-new site that works at once — `new`, `check --strict` (exit 0) and
`build` on it, its pages valid HTML — and that never changes a folder already in use."""
from __future__ import annotations

import io
import subprocess
import sys

import yaml

from conftest import REPO, html_files, read_tree
from test_html_validity import run_vnu

NOW = "2026-12-01 09:00"


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kexie_site", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=300, stdin=subprocess.DEVNULL)


def test_init_then_new_check_strict_and_build_give_a_valid_site(tmp_path):
    site = tmp_path / "新站点"
    done = cli("init", str(site), "--title", "某某市科协 · 每日科普", "--publisher", "某某市科学技术协会",
               "--base-url", "https://kepu.example.cn/", "--column", "科言科语", "--column", "健康科普", "--now", NOW)
    assert done.returncode == 0, done.stderr
    assert {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()} == {
        "site.toml", ".gitignore", ".github/workflows/build.yml",
        "content/keyankeyu/2026-12-01-huanying-laidao-keyankeyu.md",
        "content/jiankang-kepu/2026-12-01-huanying-laidao-jiankang-kepu.md"}
    toml = (site / "site.toml").read_text("utf-8")
    assert 'title = "某某市科协 · 每日科普"' in toml and "# 网站名称" in toml and 'name = "健康科普"' in toml
    assert {"public/", ".kexie-cache/"} <= set((site / ".gitignore").read_text("utf-8").split())
    workflow = yaml.safe_load((site / ".github/workflows/build.yml").read_text("utf-8"))
    steps = [s.get("run", s.get("uses", "")) for s in workflow["jobs"]["build"]["steps"]]
    assert "kexie-site check --strict" in steps and "kexie-site build" in steps
    assert any(s.startswith("actions/cache") for s in steps) and any(s.startswith("actions/upload-pages-artifact") for s in steps)

    assert cli("new", "第二篇文章", "--column", "健康科普", "--site", str(site), "--date", "2026-12-01 10:00").returncode == 0
    # a new article is a draft until its editor says so: listed by check, not a failure of --strict
    checked = cli("check", "--strict", "--site", str(site), "--now", "2026-12-01 12:00")
    assert checked.returncode == 0, checked.stderr
    assert "草稿 drafts  1：content/jiankang-kepu/2026-12-01-dierpian-wenzhang.md" in checked.stdout
    built = cli("build", "--site", str(site), "--now", "2026-12-01 12:00")
    assert built.returncode == 0, built.stderr
    files = html_files(site / "public")
    assert len(files) > 8
    errors, _ = run_vnu(files)
    assert errors == [], errors


def test_init_into_a_folder_in_use_changes_nothing(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "笔记.txt").write_text("编辑的文件", "utf-8")
    before = read_tree(site)
    done = cli("init", str(site), "--now", NOW)
    assert done.returncode == 1 and "已经有文件" in done.stderr and "--force" in done.stderr
    assert read_tree(site) == before

    (site / "site.toml").write_text("# 我自己的设置\n", "utf-8")                 # --force: only what is missing
    done = cli("init", str(site), "--force", "--now", NOW)
    assert done.returncode == 0, done.stderr
    assert (site / "site.toml").read_text("utf-8") == "# 我自己的设置\n"
    assert (site / "笔记.txt").read_text("utf-8") == "编辑的文件"
    assert "已有 kept     site.toml" in done.stdout and (site / ".gitignore").is_file()


def test_the_questions_asked_on_a_terminal():
    from kexie_site.init import SiteAnswers, ask
    answers = ask(SiteAnswers("每日科普", "", "https://kepu.example.cn/", ("科言科语", "一目了然科普汇")),
                  io.StringIO("滨州科普\n滨州市科协\n\n科言科语，健康 科普\n"), io.StringIO())
    assert answers == SiteAnswers("滨州科普", "滨州市科协", "https://kepu.example.cn/", ("科言科语", "健康", "科普"))
