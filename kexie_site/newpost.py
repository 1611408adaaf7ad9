"""`kexie-site new`: today's article with complete front matter, created exclusively (never
overwriting a file), named in pinyin, with a fresh immutable id and its slug written out (so its
identity never depends on the order of files)."""
from __future__ import annotations

import json
import secrets
from datetime import datetime
from pathlib import Path

from .config import read_config
from .dates import DateError, FORMS, get_zone, parse_date
from .errors import Problem, error
from .text import clean_text, slugify

BODY = "## 小标题\n\n在这里写正文。写完后把 draft 改成 false（或删掉这一行）再发布。\n"


def front_matter(title: str, date: datetime, column: str, article_id: str, slug: str,
                 summary: str = "", body: str = BODY, draft: bool = True) -> str:
    """Values are written as JSON strings, which YAML reads as double-quoted text: a colon, a
    quote or a # in a title cannot break the front matter."""
    quote = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
    return "\n".join([
        "---",
        f"title: {quote(title)}",
        f"date: {date:%Y-%m-%d %H:%M}",
        f"column: {quote(column)}",
        "tags: []",
        f"summary: {quote(summary)}",
        'author: ""',
        f"id: {quote(article_id)}",
        f"slug: {quote(slug)}",
        f"draft: {'true' if draft else 'false'}",
        "---",
        "",
        body,
    ])


def unknown_column(site_dir: Path, config, column: str) -> Problem:
    """A column not declared: at site.toml's [[columns]], with the nearest name suggested."""
    import difflib

    from .config import CONFIG_NAME, column_lines

    try:
        lines = column_lines((site_dir / CONFIG_NAME).read_text("utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        lines = {}
    names = [c.name for c in config.columns] + [c.slug for c in config.columns]
    close = difflib.get_close_matches(clean_text(column), names, n=1, cutoff=0.5)
    by_slug = {c.slug: c.name for c in config.columns}
    nearest = by_slug.get(close[0], close[0]) if close else ""
    declared = "、".join(c.name for c in config.columns)
    hint = (f"你是不是想写 --column {nearest}？" if nearest else "") + f"已声明的栏目 declared columns: {declared}"
    line = min(lines.values(), default=1)
    return error(CONFIG_NAME, line, f"栏目 {column!r} 没有在 site.toml 里声明 (column not declared)", hint)


def new_article(site_dir: Path, title: str, column: str, when: str | None, summary: str = "", body: str = BODY,
                draft: bool = True) -> tuple[Path | None, Problem | None]:
    config, problems = read_config(site_dir)
    if config is None:
        return None, problems[0]
    col = config.column(clean_text(column))
    if col is None:
        return None, unknown_column(site_dir, config, column)
    title = clean_text(title)
    if not title:
        return None, error("title", 1, "标题是空的 (empty title)", "kexie-site new \"文章标题\" --column …")
    zone = get_zone(config.timezone)
    try:
        date = parse_date(when, zone).astimezone(zone) if when else datetime.now(zone).replace(second=0, microsecond=0)
    except DateError as exc:
        return None, error("--date", 1, str(exc), f"可用的写法：{FORMS}")
    article_id = f"{col.slug}-{date:%Y%m%d}-{secrets.token_hex(3)}"
    slug = slugify(title) or "article"
    name = f"{date:%Y-%m-%d}-{slug}.md"
    target = site_dir / "content" / col.slug / name
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with open(target, "x", encoding="utf-8", newline="\n") as handle:   # exclusive: never overwrite
            handle.write(front_matter(title, date, col.name, article_id, slug, summary, body, draft))
    except FileExistsError:
        return None, error(str(target), 1, "文件已存在，不会覆盖 (file exists; not overwritten)",
                           "换一个标题或日期，或直接编辑这个文件")
    return target, None
