"""`kexie-site init [DIR]`: a complete new site — site.toml with comments in Chinese, the columns
given (科言科语 and 一目了然科普汇 by default), one example article a column (written by `new`,
ready to publish), .gitignore, and a GitHub Actions workflow that checks, builds (keeping the
cache between runs) and publishes public/ to GitHub Pages. It never overwrites anything: a
folder with files in it is refused, and with --force only the files it lacks are added.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem, error

DEFAULT_COLUMNS = ("科言科语", "一目了然科普汇")
EXAMPLE_BODY = """## 写在前面

这是 kexie-site 为栏目“{column}”生成的示例文章。把它改成这个栏目的第一篇科普文章，或者删掉它。

- 文章用 Markdown 写：`## 小标题`、**加粗**、列表、表格都可以。
- 图片放在这篇文章旁边的 `images/` 文件夹里，用 `![说明](images/图片.png)` 插入。
- 写好后运行 `kexie-site check` 检查，再运行 `kexie-site build` 生成网站。
"""
GITIGNORE = """# kexie-site: what the build makes (never commit these)
public/
.kexie-cache/
.kexie-*/
.*.kexie-*
exports/
"""
WORKFLOW = """# 构建并发布到 GitHub Pages：每次推送到 main，先检查（有提醒也不发布），再构建并发布 public/。
# 在仓库的 Settings → Pages 里把 Source 选成 GitHub Actions。
name: 构建并发布网站
on:
  push:
    branches: [main]
  workflow_dispatch:
permissions:
  contents: read
  pages: write
  id-token: write
concurrency:
  group: pages
  cancel-in-progress: false
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: 安装 kexie-site
        run: pip install kexie-site
      - name: 缓存（只为加快构建，结果一样）
        uses: actions/cache@v4
        with:
          path: .kexie-cache
          key: kexie-cache-${{ github.sha }}
          restore-keys: kexie-cache-
      - name: 检查
        run: kexie-site check --strict
      - name: 构建
        run: kexie-site build
      - uses: actions/upload-pages-artifact@v3
        with:
          path: public
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


@dataclass(frozen=True)
class SiteAnswers:
    title: str
    publisher: str
    base_url: str
    columns: tuple[str, ...]


@dataclass(frozen=True)
class InitReport:
    created: tuple[str, ...]
    skipped: tuple[str, ...]          # (with --force) files that were there already: left as they are


def site_toml(answers: SiteAnswers) -> str:
    quote = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
    columns = "\n".join(f"[[columns]]\nname = {quote(name)}\ndescription = \"\"      # 栏目简介，显示在栏目页\n"
                        for name in answers.columns)
    return f"""# 站点设置。每一项的说明见 kexie-site 的 README（site.toml 一节）。
[site]
title = {quote(answers.title)}               # 网站名称
base_url = {quote(answers.base_url)}         # 网站的完整网址，可以带子路径，例如 https://www.example.gov.cn/kexie/kepu/
language = "zh-CN"
timezone = "Asia/Shanghai"          # 文章日期没写时区时按这个时区
description = ""                    # 首页的一句话介绍
publisher = {quote(answers.publisher)}           # 主办单位，显示在页脚
icp = ""                            # ICP 备案号，例如 "鲁ICP备12345678号-1"
police_beian = ""                   # 公安机关备案号，例如 "鲁公网安备 37160202000123号"
site_code = ""                      # 网站标识码（政府网站）

# 栏目：文章的 column 要写这里的名字。color 可以给栏目一个颜色（如 "#a3341d"）；
# wechat = true 表示这个栏目也发公众号（check 会按公众号的限制检查）。
{columns}
[feeds]
limit = 20                          # 订阅（RSS/Atom）里最新多少篇
"""


def init_site(target: Path, answers: SiteAnswers, force: bool = False, now: str | None = None,
              ) -> tuple[InitReport | None, Problem | None]:
    """The new site in `target` (created when missing). A folder with anything in it is refused
    unless `force`, and even then only the missing files are written."""
    from .newpost import new_article

    if target.exists() and not target.is_dir():
        return None, error(str(target), 1, "这是一个文件，不是文件夹 (not a folder)", "换一个文件夹名")
    if target.is_dir() and any(target.iterdir()) and not force:
        return None, error(str(target), 1, "这个文件夹里已经有文件，没有改动 (folder not empty: nothing changed)",
                           "换一个空文件夹；确实要在这里补上缺的文件，加 --force（已有的文件不会被改动）")
    problem = _check_answers(answers)
    if problem:
        return None, problem
    target.mkdir(parents=True, exist_ok=True)
    created, skipped = [], []
    for rel, text in (("site.toml", site_toml(answers)), (".gitignore", GITIGNORE),
                      (".github/workflows/build.yml", WORKFLOW)):
        (created if _write_new(target / rel, text) else skipped).append(rel)
    if "site.toml" in created and not any((target / "content").rglob("*.md")):   # (their own site.toml: their columns)
        for name in answers.columns:
            path, problem = new_article(target, f"欢迎来到{name}", name, now, draft=False,
                                        summary=f"{name}的第一篇文章：改成你自己的内容。",
                                        body=EXAMPLE_BODY.format(column=name))
            if problem:
                return None, problem
            created.append(path.relative_to(target).as_posix())
    return InitReport(tuple(created), tuple(skipped)), None


def _write_new(path: Path, text: str) -> bool:
    """Write a file that does not exist yet (exclusively); False when it is there already."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        return True
    except FileExistsError:
        return False


def _check_answers(answers: SiteAnswers) -> Problem | None:
    from urllib.parse import urlsplit

    parts = urlsplit(answers.base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return error("--base-url", 1, f"网址要写完整 (absolute URL): {answers.base_url!r}", "例如 --base-url https://kepu.example.cn/")
    if not answers.title.strip():
        return error("--title", 1, "网站名称是空的 (empty title)", "例如 --title \"品质滨州 · 每日科普\"")
    if not answers.columns or len(set(answers.columns)) != len(answers.columns):
        return error("--column", 1, "栏目名不能为空，也不能重复 (columns: none or repeated)", "例如 --column 科言科语 --column 一目了然科普汇")
    return None


def ask(answers: SiteAnswers, stream_in=sys.stdin, stream_out=sys.stdout) -> SiteAnswers:
    """The answers asked for on a terminal, the defaults shown in brackets (Enter keeps them)."""
    def prompt(question: str, default: str) -> str:
        stream_out.write(f"{question} [{default}]: ")
        stream_out.flush()
        line = stream_in.readline()
        return line.strip() or default
    title = prompt("网站名称 (title)", answers.title)
    publisher = prompt("主办单位 (publisher)", answers.publisher)
    base_url = prompt("网站网址 (base URL)", answers.base_url)
    columns = prompt("栏目，用空格或逗号分开 (columns)", " ".join(answers.columns))
    names = tuple(dict.fromkeys(n for n in columns.replace("，", " ").replace(",", " ").split() if n))
    return SiteAnswers(title, publisher, base_url, names)
