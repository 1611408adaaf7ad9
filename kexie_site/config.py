"""site.toml → Config. Every problem is reported at once, with the line of the key."""
from __future__ import annotations

import difflib
import re
import tomllib
from typing import Callable
from pathlib import Path
from urllib.parse import urlsplit

from .colors import HEX_RE, MIN_CONTRAST, PALETTE, contrast
from .dates import DateError, get_zone
from .decoding import decode
from .errors import Problem, error
from .model import Column, Config, WechatLimits
from .text import clean_text, sanitize_slug, slugify

CONFIG_NAME = "site.toml"

SITE_KEYS = {
    "title": str, "base_url": str, "language": str, "timezone": str, "description": str,
    "publisher": str, "icp": str, "theme": str, "paginate": int, "summary_length": int,
    "home_limit": int, "police_beian": str, "site_code": str,
}
COLUMN_KEYS = {"name": str, "slug": str, "description": str, "wechat": bool, "color": str}
FEED_KEYS = {"limit": int}
VIEW_KEYS = {"provider": str, "endpoint": str, "goatcounter": str}
PROVIDERS = ("none", "busuanzi", "goatcounter", "endpoint")
SEARCH_KEYS = {"enabled": bool}
WECHAT_KEYS = {"title_max_bytes": int, "digest_max_chars": int, "body_max_chars": int, "body_max_bytes": int,
               "image_max_bytes": int, "author": str, "cover": str}
TOP_KEYS = {"site": dict, "columns": list, "feeds": dict, "views": dict, "search": dict, "wechat": dict}
LIMITS = {"paginate": (1, 1000), "summary_length": (20, 2000), "home_limit": (1, 200), "limit": (1, 1000),
          "title_max_bytes": (1, 1000), "digest_max_chars": (1, 1000), "body_max_chars": (1, 10_000_000),
          "body_max_bytes": (1, 100_000_000), "image_max_bytes": (1, 100_000_000)}

TYPE_NAMES = {str: "字符串 string", int: "整数 integer", dict: "表 table", list: "表数组 array of tables",
              bool: "true 或 false (boolean)"}


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


class _Reader:
    """site.toml as it is checked: the line of each key, and the problems found so far."""

    def __init__(self, text: str, path: str):
        self.path, self.lines, self.problems = path, key_lines(text), []

    def line_of(self, table: str, key: str | None = None, index: int = 0) -> int:
        if key is not None and (table, index, key) in self.lines:
            return self.lines[(table, index, key)]
        return self.lines.get((table, index), 1)

    def error(self, line: int, message: str, hint: str = "") -> None:
        self.problems.append(error(self.path, line, message, hint))

    def table(self, table: str, values: dict, known: dict, index: int = 0) -> dict:
        """The values of a table whose keys are known and whose types and ranges are right;
        a problem for each of the others."""
        good = {}
        for key, value in values.items():
            where = self.line_of(table, key, index)
            label = f"[{table}] {key}" if table else key
            if key not in known:
                self.error(where, f"未知的配置项 unknown key {label}", _suggest(key, known))
                continue
            want = known[key]
            if want is int and isinstance(value, bool) or not isinstance(value, want):
                example = "\"…\"" if want is str else "true" if want is bool else "10"
                self.error(where, f"{label} 应该是{TYPE_NAMES[want]}", f"例如 {key} = {example}")
                continue
            if want is int and key in LIMITS:
                lo, hi = LIMITS[key]
                if not lo <= value <= hi:
                    self.error(where, f"{label} = {value} 超出范围 (out of range)", f"取值范围 {lo}–{hi}")
                    continue
            good[key] = value
        return good


def load_config(text: str, path: str = CONFIG_NAME, slug_of: Callable[[str], str] = slugify,
                ) -> tuple[Config | None, tuple[Problem, ...]]:
    """Parse and validate site.toml text. Returns (config, problems); config is None on errors.
    `slug_of` makes a column's slug from its name (a build passes its text.Slugs)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        line = int(m.group(1)) if m else 1
        return None, (error(path, line, f"site.toml 不是合法的 TOML：{exc}",
                            "检查这一行的引号、等号和方括号；字符串要用英文双引号 \"…\" 括起来"),)
    r = _Reader(text, path)
    top = r.table("", data, TOP_KEYS)
    site = r.table("site", top.get("site", {}), SITE_KEYS)
    feeds = r.table("feeds", top.get("feeds", {}), FEED_KEYS)
    search = r.table("search", top.get("search", {}), SEARCH_KEYS)
    wechat = r.table("wechat", top.get("wechat", {}), WECHAT_KEYS)
    provider, views_url = _views(r, r.table("views", top.get("views", {}), VIEW_KEYS))
    for key in ("title", "base_url"):
        if not site.get(key) and key not in top.get("site", {}):
            r.error(r.line_of("site"), f"[site] 缺少必填项 {key} (required key missing)", f"在 [site] 下加一行 {key} = \"…\"")
    base_url, base_path = _base_url(r, site)
    zone = site.get("timezone", "Asia/Shanghai")
    try:
        get_zone(zone)
    except DateError:
        r.error(r.line_of("site", "timezone"), f"[site] timezone 未知的时区 {zone!r}", "例如 timezone = \"Asia/Shanghai\"")
    columns = _columns(r, top.get("columns", []), slug_of)
    if r.problems:
        return None, tuple(r.problems)
    return Config(
        title=clean_text(site["title"]), base_url=base_url, base_path=base_path,
        language=site.get("language", "zh-CN"), timezone=zone,
        description=clean_text(site.get("description", "")), publisher=clean_text(site.get("publisher", "")),
        icp=clean_text(site.get("icp", "")), theme=site.get("theme", "default"), columns=tuple(columns),
        police_beian=clean_text(site.get("police_beian", "")), site_code=clean_text(site.get("site_code", "")),
        feed_limit=feeds.get("limit", 20),
        views_provider=provider, views_endpoint=views_url.rstrip("/") if provider == "goatcounter" else views_url,
        paginate=site.get("paginate", 10), summary_length=site.get("summary_length", 120),
        home_limit=site.get("home_limit", 10), search=search.get("enabled", True),
        wechat=WechatLimits(**{k: clean_text(v) if isinstance(v, str) else v for k, v in wechat.items()}),
    ), ()


def _views(r: _Reader, views: dict) -> tuple[str, str]:
    """[views]: the provider and its URL."""
    provider = views.get("provider", "none")
    views_url = ""
    if provider not in PROVIDERS:
        r.error(r.line_of("views", "provider"), f"[views] provider = {provider!r} 不认识 (unknown provider)",
                "可选 none、busuanzi、goatcounter、endpoint")
    elif provider in ("endpoint", "goatcounter"):
        key = "endpoint" if provider == "endpoint" else "goatcounter"
        views_url = views.get(key, "").strip()
        parts = urlsplit(views_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or (provider == "endpoint" and "{key}" not in views_url):
            example = "endpoint = \"https://stats.example.cn/hit?key={key}\"" if provider == "endpoint" \
                else "goatcounter = \"https://kepu.goatcounter.com\""
            r.error(r.line_of("views", key if key in views else "provider"),
                    f"[views] provider = \"{provider}\" 需要 {key} 网址 (needs a {key} URL)", f"例如 {example}")
    return provider, views_url


def _base_url(r: _Reader, site: dict) -> tuple[str, str]:
    """[site] base_url, normalized, and its path (the sub-path the site lives under)."""
    if not site.get("base_url"):
        return "", "/"
    base_url = site["base_url"].strip()
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        r.error(r.line_of("site", "base_url"), f"[site] base_url 必须是完整的网址 (absolute URL)：{base_url!r}",
                "例如 base_url = \"https://kepu.example.cn/\" 或带子路径 \"https://www.example.gov.cn/kexie/kepu/\"")
        return base_url, "/"
    base_path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc}{base_path}", base_path


def _columns(r: _Reader, raw_columns, slug_of: Callable[[str], str]) -> list[Column]:
    """[[columns]]: each with a name and a safe slug, neither of them used twice."""
    columns: list[Column] = []
    if not raw_columns:
        r.error(1, "没有声明任何栏目 (no [[columns]] declared)", "加上 [[columns]] 和 name = \"科言科语\"")
    seen_names: dict[str, int] = {}
    seen_slugs: dict[str, int] = {}
    for index, raw in enumerate(raw_columns):
        header = r.line_of("columns", None, index)
        if not isinstance(raw, dict):
            r.error(header, "[[columns]] 的每一项应该是一个表 (table)")
            continue
        col = r.table("columns", raw, COLUMN_KEYS, index)
        name = clean_text(col.get("name", ""))
        if not name:
            r.error(header, "[[columns]] 缺少 name (column name required)", "例如 name = \"科言科语\"")
            continue
        if name in seen_names:
            r.error(r.line_of("columns", "name", index),
                    f"栏目名 {name!r} 重复 (duplicate column name)，第一次在第 {seen_names[name]} 行")
            continue
        seen_names[name] = r.line_of("columns", "name", index)
        given = col.get("slug")
        slug = sanitize_slug(given) if given is not None else slug_of(name)
        where = r.line_of("columns", "slug" if given is not None else "name", index)
        if not slug:
            r.error(where, f"栏目 {name!r} 的 slug 为空 (empty slug)", "写一个英文或拼音的 slug，例如 slug = \"kyky\"")
        elif given is not None and slug != given:
            r.error(where, f"栏目 slug {given!r} 含有不能用在网址里的字符 (unsafe slug)",
                    f"改成 slug = \"{slug}\"（只用小写字母、数字和 -）")
        elif slug in seen_slugs:
            r.error(where, f"栏目 slug {slug!r} 重复 (duplicate column slug)，第一次在第 {seen_slugs[slug]} 行",
                    "给其中一个栏目写一个不同的 slug")
        else:
            seen_slugs[slug] = where
            columns.append(Column(name=name, slug=slug, description=clean_text(col.get("description", "")),
                                  wechat=col.get("wechat", False),
                                  color=_colour(r, col.get("color"), len(columns), r.line_of("columns", "color", index))))
    return columns


def _colour(r: _Reader, given: str | None, position: int, line: int) -> str:
    """A column's colour: the one given, if it is a colour text can be read on (white on it,
    and it on white: ≥ 4.5:1), else one of the palette's, in turn."""
    if given is None:
        return PALETTE[position % len(PALETTE)]
    if not HEX_RE.match(given.strip()):
        r.error(line, f"[[columns]] color {given!r} 不是颜色 (not a colour)", "写成 color = \"#0b5cad\" 这样的十六进制颜色")
        return PALETTE[0]
    ratio = contrast(given.strip(), "#ffffff")
    if ratio < MIN_CONTRAST:
        r.error(line, f"[[columns]] color {given} 和白色的对比度只有 {ratio:.1f}:1，低于 {MIN_CONTRAST}:1 (contrast too low)",
                "换一个更深的颜色，让栏目标签上的白字看得清，例如 #0b5cad、#a3341d、#1d6b3a")
    return given.strip().lower()


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

