"""site.toml → Config. Every problem is reported at once, with the line of the key."""
from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from .dates import DateError, get_zone
from .decoding import decode
from .errors import Problem, error
from .model import Column, Config
from .text import clean_text, sanitize_slug, slugify

CONFIG_NAME = "site.toml"

SITE_KEYS = {
    "title": str, "base_url": str, "language": str, "timezone": str, "description": str,
    "publisher": str, "icp": str, "theme": str, "paginate": int, "summary_length": int,
    "home_limit": int,
}
COLUMN_KEYS = {"name": str, "slug": str, "description": str}
FEED_KEYS = {"limit": int}
VIEW_KEYS = {"provider": str, "endpoint": str, "goatcounter": str}
PROVIDERS = ("none", "busuanzi", "goatcounter", "endpoint")
TOP_KEYS = {"site": dict, "columns": list, "feeds": dict, "views": dict}
LIMITS = {"paginate": (1, 1000), "summary_length": (20, 2000), "home_limit": (1, 200), "limit": (1, 1000)}

TYPE_NAMES = {str: "字符串 string", int: "整数 integer", dict: "表 table", list: "表数组 array of tables"}


def _suggest(key: str, known) -> str:
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return f"你是不是想写 {close[0]}？(did you mean {close[0]}?)" if close else \
        "可用的键 known keys: " + ", ".join(sorted(known))


def missing_config(site_dir) -> Problem:
    """The problem to report when a site has no site.toml (build, check, serve and new alike)."""
    return error(CONFIG_NAME, 1, f"找不到配置文件 {site_dir / CONFIG_NAME} (site.toml not found)",
                 "在站点目录里建一个 site.toml，或用 --site 指向站点目录")


def key_lines(text: str) -> dict[tuple, int]:
    """Where each key stands: {(table, index, key): line} and {(table, index): header line}.

    tomllib gives no positions, so the lines are found again in the text (simple tables,
    arrays of tables and dotted keys are enough for site.toml)."""
    lines: dict[tuple, int] = {}
    table, index = "", 0
    counts: dict[str, int] = {}
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        m = re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", line)
        if m:
            table = m.group(1).strip("\"' ")
            index = counts.get(table, 0)
            counts[table] = index + 1
            lines.setdefault((table, index), no)
            continue
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", line)
        if m:
            table, index = m.group(1).strip("\"' "), 0
            lines.setdefault((table, index), no)
            continue
        m = re.match(r"^([A-Za-z0-9_\-\"'.]+)\s*=", line)
        if m:
            key = m.group(1).strip("\"'").split(".")[0]
            lines.setdefault((table, index, key), no)
    return lines


def load_config(text: str, path: str = CONFIG_NAME) -> tuple[Config | None, tuple[Problem, ...]]:
    """Parse and validate site.toml text. Returns (config, problems); config is None on errors."""
    problems: list[Problem] = []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else 1
        return None, (error(path, line, f"site.toml 不是合法的 TOML：{exc}",
                            "检查这一行的引号、等号和方括号；字符串要用英文双引号 \"…\" 括起来"),)
    lines = key_lines(text)

    def line_of(table: str, key: str | None = None, index: int = 0) -> int:
        if key is not None and (table, index, key) in lines:
            return lines[(table, index, key)]
        return lines.get((table, index), 1)

    def check_table(table: str, values: dict, known: dict, index: int = 0) -> dict:
        good = {}
        for key, value in values.items():
            where = line_of(table, key, index)
            label = f"[{table}] {key}" if table else key
            if key not in known:
                problems.append(error(path, where, f"未知的配置项 unknown key {label}", _suggest(key, known)))
                continue
            want = known[key]
            if want is int and isinstance(value, bool) or not isinstance(value, want):
                problems.append(error(path, where, f"{label} 应该是{TYPE_NAMES[want]}",
                                      f"例如 {key} = " + ("\"…\"" if want is str else "10")))
                continue
            if want is int and key in LIMITS:
                lo, hi = LIMITS[key]
                if not lo <= value <= hi:
                    problems.append(error(path, where, f"{label} = {value} 超出范围 (out of range)",
                                          f"取值范围 {lo}–{hi}"))
                    continue
            good[key] = value
        return good

    top = check_table("", data, TOP_KEYS)
    site = check_table("site", top.get("site", {}), SITE_KEYS)
    feeds = check_table("feeds", top.get("feeds", {}), FEED_KEYS)
    views = check_table("views", top.get("views", {}), VIEW_KEYS)
    provider = views.get("provider", "none")
    views_url = ""
    if provider not in PROVIDERS:
        problems.append(error(path, line_of("views", "provider"), f"[views] provider = {provider!r} 不认识 (unknown provider)",
                              "可选 none、busuanzi、goatcounter、endpoint"))
    elif provider in ("endpoint", "goatcounter"):
        key = "endpoint" if provider == "endpoint" else "goatcounter"
        views_url = views.get(key, "").strip()
        parts = urlsplit(views_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or (provider == "endpoint" and "{key}" not in views_url):
            example = "endpoint = \"https://stats.example.cn/hit?key={key}\"" if provider == "endpoint" \
                else "goatcounter = \"https://kepu.goatcounter.com\""
            problems.append(error(path, line_of("views", key if key in views else "provider"),
                                  f"[views] provider = \"{provider}\" 需要 {key} 网址 (needs a {key} URL)", f"例如 {example}"))

    for key in ("title", "base_url"):
        if not site.get(key) and key not in top.get("site", {}):
            problems.append(error(path, line_of("site"), f"[site] 缺少必填项 {key} (required key missing)",
                                  f"在 [site] 下加一行 {key} = \"…\""))

    base_url, base_path = "", "/"
    if site.get("base_url"):
        base_url = site["base_url"].strip()
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            problems.append(error(path, line_of("site", "base_url"),
                                  f"[site] base_url 必须是完整的网址 (absolute URL)：{base_url!r}",
                                  "例如 base_url = \"https://kepu.example.cn/\" 或带子路径 \"https://www.example.gov.cn/kexie/kepu/\""))
        else:
            base_path = parts.path if parts.path.endswith("/") else parts.path + "/"
            base_url = f"{parts.scheme}://{parts.netloc}{base_path}"

    zone = site.get("timezone", "Asia/Shanghai")
    try:
        get_zone(zone)
    except DateError:
        problems.append(error(path, line_of("site", "timezone"), f"[site] timezone 未知的时区 {zone!r}",
                              "例如 timezone = \"Asia/Shanghai\""))

    columns: list[Column] = []
    raw_columns = top.get("columns", [])
    if not raw_columns:
        problems.append(error(path, 1, "没有声明任何栏目 (no [[columns]] declared)",
                              "加上 [[columns]] 和 name = \"科言科语\""))
    seen_names: dict[str, int] = {}
    seen_slugs: dict[str, int] = {}
    for index, raw in enumerate(raw_columns):
        header = line_of("columns", None, index)
        if not isinstance(raw, dict):
            problems.append(error(path, header, "[[columns]] 的每一项应该是一个表 (table)"))
            continue
        col = check_table("columns", raw, COLUMN_KEYS, index)
        name = clean_text(col.get("name", ""))
        if not name:
            problems.append(error(path, header, "[[columns]] 缺少 name (column name required)",
                                  "例如 name = \"科言科语\""))
            continue
        if name in seen_names:
            problems.append(error(path, line_of("columns", "name", index),
                                  f"栏目名 {name!r} 重复 (duplicate column name)，第一次在第 {seen_names[name]} 行"))
            continue
        seen_names[name] = line_of("columns", "name", index)
        given = col.get("slug")
        slug = sanitize_slug(given) if given is not None else slugify(name)
        where = line_of("columns", "slug" if given is not None else "name", index)
        if not slug:
            problems.append(error(path, where, f"栏目 {name!r} 的 slug 为空 (empty slug)",
                                  "写一个英文或拼音的 slug，例如 slug = \"kyky\""))
            continue
        if given is not None and slug != given:
            problems.append(error(path, where, f"栏目 slug {given!r} 含有不能用在网址里的字符 (unsafe slug)",
                                  f"改成 slug = \"{slug}\"（只用小写字母、数字和 -）"))
            continue
        if slug in seen_slugs:
            problems.append(error(path, where, f"栏目 slug {slug!r} 重复 (duplicate column slug)，第一次在第 {seen_slugs[slug]} 行",
                                  "给其中一个栏目写一个不同的 slug"))
            continue
        seen_slugs[slug] = where
        columns.append(Column(name=name, slug=slug, description=clean_text(col.get("description", ""))))

    if problems:
        return None, tuple(problems)
    config = Config(
        title=clean_text(site["title"]),
        base_url=base_url,
        base_path=base_path,
        language=site.get("language", "zh-CN"),
        timezone=zone,
        description=clean_text(site.get("description", "")),
        publisher=clean_text(site.get("publisher", "")),
        icp=clean_text(site.get("icp", "")),
        theme=site.get("theme", "default"),
        columns=tuple(columns),
        feed_limit=feeds.get("limit", 20),
        views_provider=provider, views_endpoint=views_url.rstrip("/") if provider == "goatcounter" else views_url,
        paginate=site.get("paginate", 10),
        summary_length=site.get("summary_length", 120),
        home_limit=site.get("home_limit", 10),
    )
    return config, ()


COLUMN_NAME_RE = re.compile(r'\s*name\s*=\s*"([^"]*)"')


def read_config(site_dir: Path) -> tuple[Config | None, tuple[Problem, ...]]:
    """site.toml of site_dir, read and checked: for the commands that need only the
    configuration (a build reads it with the other sources, for its fingerprint)."""
    path = Path(site_dir) / CONFIG_NAME
    if not path.is_file():
        return None, (missing_config(Path(site_dir)),)
    text, problem = decode(path.read_bytes(), CONFIG_NAME)
    if problem:
        return None, (problem,)
    return load_config(text, CONFIG_NAME)


def column_lines(config_text: str) -> dict[str, int]:
    """The line of each column's name in site.toml (a quick look at the text, for messages and
    for the no-change path: load_config reads it properly)."""
    lines = {}
    for no, line in enumerate(config_text.splitlines(), 1):
        m = COLUMN_NAME_RE.match(line)
        if m:
            lines.setdefault(m.group(1), no)
    return lines

