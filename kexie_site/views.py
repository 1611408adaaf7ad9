"""Imported view counts: data/views.csv and data/views/*.csv|*.json → views per article and source.

Rows are `id,url,source,views` (id or url may be empty; source such as site, wechat, xuexi).
A URL is matched however it is written: with or without the host, with or without the trailing
slash or `index.html`, percent-encoded or not, with or without the base URL's sub-path. A row
that names no known article, a count that is not a whole number and a malformed line are
warnings naming path:line; nothing is dropped silently.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from .errors import Problem, warning

SOURCE_LABELS = {"site": "网站", "web": "网站", "wechat": "微信公众号", "weixin": "微信公众号",
                 "xuexi": "学习强国", "toutiao": "今日头条", "weibo": "微博", "douyin": "抖音"}
HEADER = ("id", "url", "source", "views")


@dataclass(frozen=True)
class ViewRow:
    path: str
    line: int
    id: str
    url: str
    source: str
    views: str


def source_label(source: str) -> str:
    return SOURCE_LABELS.get(source.lower(), source)


def normalize_url(url: str, base_path: str) -> str:
    """The site-relative form of any way an article's URL may be written."""
    parts = urlsplit(url.strip())
    path = unquote(parts.path)
    if base_path != "/" and (path + "/").startswith(base_path):
        path = path[len(base_path) - 1:]
    path = re.sub(r"/index\.html?$", "/", path)
    path = path.strip("/")
    return path + "/" if path else ""


def read_rows(path: str, data: bytes) -> tuple[list[ViewRow], list[Problem]]:
    problems: list[Problem] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [warning(path, 1, "访问量文件不是 UTF-8 编码 (views file is not UTF-8)", "另存为 UTF-8 编码的 CSV")]
    rows = []
    if path.lower().endswith(".json"):
        try:
            items = json.loads(text)
        except ValueError as exc:
            return [], [warning(path, getattr(exc, "lineno", 1), f"访问量文件不是合法的 JSON (invalid JSON): {exc}")]
        if isinstance(items, dict):
            items = items.get("views", [])
        if not isinstance(items, list):
            return [], [warning(path, 1, "JSON 应该是一组记录 (a list of {id, url, source, views})")]
        for index, item in enumerate(items, 1):
            if not isinstance(item, dict):
                problems.append(warning(path, 1, f"第 {index} 条记录不是对象 (record {index} is not an object)"))
                continue
            rows.append(ViewRow(path, 1, str(item.get("id") or ""), str(item.get("url") or ""),
                                str(item.get("source") or "site"), str(item.get("views", ""))))
        return rows, problems
    reader = csv.reader(io.StringIO(text))
    header_seen = False
    for record in reader:
        line = reader.line_num
        if not record or all(not c.strip() for c in record):
            continue
        cells = [c.strip() for c in record]
        if not header_seen and [c.lower() for c in cells[:4]] == list(HEADER):
            header_seen = True
            continue
        header_seen = True
        if len(cells) != 4:
            problems.append(warning(path, line, f"这一行应该有 4 列 id,url,source,views，实际有 {len(cells)} 列 (malformed line)",
                                    "例如 kyky-2024-0822,,wechat,53000"))
            continue
        rows.append(ViewRow(path, line, cells[0], cells[1], cells[2] or "site", cells[3]))
    return rows, problems


def count_views(files: Iterable[tuple[str, bytes]], articles: Mapping[str, tuple[str, str]],
                base_path: str) -> tuple[dict[str, dict[str, int]], list[Problem]]:
    """{article path: {source: views}} from the view files; `articles` maps article path to
    (id, site-relative url)."""
    by_id = {aid: path for path, (aid, _) in articles.items()}
    by_url = {url: path for path, (_, url) in articles.items()}
    counts: dict[str, dict[str, int]] = {}
    problems: list[Problem] = []
    for name, data in files:
        rows, found = read_rows(name, data)
        problems.extend(found)
        for row in rows:
            value = row.views.replace(",", "").replace("，", "").strip()
            if not re.fullmatch(r"\d+", value):
                problems.append(warning(row.path, row.line, f"浏览量 {row.views!r} 不是整数 (views must be a whole number)",
                                        "写成不带单位的数字，例如 53000，而不是 5.3万"))
                continue
            target = by_id.get(row.id) if row.id else None
            if target is None and row.url:
                target = by_url.get(normalize_url(row.url, base_path))
            if target is None:
                problems.append(warning(row.path, row.line,
                                        f"找不到这篇文章 (no such article): id={row.id!r} url={row.url!r}",
                                        "id 要与文章 front matter 的 id 一致，或写文章的网址"))
                continue
            source = row.source.lower()
            bucket = counts.setdefault(target, {})
            bucket[source] = bucket.get(source, 0) + int(value)
    return counts, problems
