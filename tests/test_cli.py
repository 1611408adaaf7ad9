"""The command line speaks Chinese first (English key in brackets), checks its option values,
and points at the place to fix: bare kexie-site gives an overview, every --help is Chinese,
--jobs 0 and a busy port are refused clearly, an unknown column names site.toml's line and the
nearest column, a missing date suggests now in the site's time zone."""
from __future__ import annotations

import re
import socket
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from conftest import REPO, article, write_site

HAN = re.compile(r"[\u4e00-\u9fff]")
COMMANDS = ["build", "new", "serve", "check", "pin", "export", "publish", "views"]


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kexie_site", *args], capture_output=True, text=True, cwd=cwd or REPO,
                          timeout=120)


def test_bare_kexie_site_gives_a_chinese_overview_and_exits_0():
    done = cli()
    assert done.returncode == 0, done.stderr
    assert "常用命令" in done.stdout and all(f"kexie-site {c}" in done.stdout for c in ("new", "serve", "check", "build"))


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_is_in_chinese(command):
    done = cli(*([command] if command else []), "--help")
    assert done.returncode == 0 and done.stdout.startswith("用法 (usage): ")
    assert "选项 (options):" in done.stdout and "positional arguments" not in done.stdout
    options = [line for line in done.stdout.splitlines() if line.lstrip().startswith("-")]
    english_only = [line for line in options if not HAN.search(line)
                    and not (line.strip().endswith(("SITE", "OUTPUT", "NOW", "JOBS", "HOST", "PORT", "DATE", "COLUMN",
                                                    "SINCE", "START", "END")))]
    assert not english_only, english_only


@pytest.mark.parametrize("value", ["0", "-2", "x"])
def test_jobs_below_1_is_refused(value):
    done = cli("build", "--jobs", value, "--site", str(REPO))
    assert done.returncode == 2 and "--jobs" in done.stderr and ("至少是 1" in done.stderr or "整数" in done.stderr)


def test_a_port_in_use_is_said_with_a_free_one(tmp_path):
    site = write_site(tmp_path / "site", {"content/a.md": article("文章", "2024-08-22", id="a")})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = cli("serve", "--site", str(site), "--port", str(port))
    assert done.returncode == 1
    assert f"端口 {port} 已经被占用" in done.stderr and re.search(r"kexie-site serve --port \d+", done.stderr), done.stderr


def test_an_unknown_column_names_site_toml_and_the_nearest(tmp_path):
    site = write_site(tmp_path / "site", {"content/a.md": article("文章", "2024-08-22", id="a")})
    done = cli("new", "新文章", "--column", "一目了然科普", "--site", str(site))
    assert done.returncode == 1
    lines = (site / "site.toml").read_text("utf-8").splitlines()
    first_column = next(n for n, line in enumerate(lines, 1) if line.strip().startswith("name ="))
    assert done.stderr.startswith(f"site.toml:{first_column}: 错误 error: 栏目 '一目了然科普' 没有在 site.toml 里声明")
    assert "你是不是想写 --column 一目了然科普汇？" in done.stderr
    assert "--column:1" not in done.stderr


def test_a_missing_date_suggests_now_in_the_site_s_time_zone(tmp_path):
    site = write_site(tmp_path / "site", {"content/a.md": "---\ntitle: 没有日期\ncolumn: 科言科语\n---\n正文。\n"})
    before = datetime.now(ZoneInfo("Asia/Shanghai"))
    done = cli("check", "--site", str(site))
    after = datetime.now(ZoneInfo("Asia/Shanghai"))
    assert done.returncode == 1
    days = {f"{before:%Y-%m-%d}", f"{after:%Y-%m-%d}"}
    assert any(f"date: {day}" in done.stderr for day in days), done.stderr
    assert "2024-08-22" not in done.stderr
