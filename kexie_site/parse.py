"""SourceFile → ArticleDoc: decode, split the front matter ourselves, read it as YAML, check it.

The splitter keeps line numbers exact (python-frontmatter does not), so each problem points at
the line of the key an editor has to fix. Nothing here raises: problems are returned.
"""
from __future__ import annotations

import difflib
import re
from datetime import datetime, tzinfo

import yaml

from .dates import FORMS, DateError, parse_date
from .decoding import decode
from .errors import Problem, error, warning
from .model import ArticleDoc, Config, Meta, SourceFile
from .text import clean_text, sanitize_slug, strip_controls

MAX_FRONT_MATTER = 64 * 1024
MAX_DEPTH = 20
MAX_NODES = 5000
REQUIRED = ("title", "date", "column")
KNOWN = ("title", "date", "column", "tags", "summary", "author", "id", "slug", "draft", "updated", "cover",
         "wechat_digest")
CHINESE_KEYS = {
    "标题": "title", "题目": "title", "日期": "date", "时间": "date", "发布时间": "date", "栏目": "column",
    "标签": "tags", "摘要": "summary", "简介": "summary", "作者": "author", "草稿": "draft",
    "更新": "updated", "更新时间": "updated", "封面": "cover", "编号": "id", "公众号摘要": "wechat_digest",
}
STRING_KEYS = ("title", "column", "summary", "author", "id", "slug", "cover", "wechat_digest")
TAG_SPLIT_RE = re.compile(r"\s*[,，、;；]\s*")
FENCE_RE = re.compile(r"^---[ \t]*$")
END_RE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
KEY_FULLWIDTH_COLON_RE = re.compile(r"^[ \t]*(?:-[ \t]+)?[A-Za-z_\u4e00-\u9fff][\w\u4e00-\u9fff-]*[ \t\u3000]*：")
CURLY_VALUE_RE = re.compile(r"^[ \t]*([A-Za-z_][\w-]*)[ \t]*:[ \t]*([“‘]).*([”’])[ \t]*$")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):   # libyaml when there, same results
    """SafeLoader that leaves dates as text: we parse them ourselves, with the site's time zone."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# ------------------------------------------------------------------ splitting

def split_front_matter(text: str, path: str) -> tuple[tuple[str, int, str, int] | None, Problem | None]:
    """(front matter text, its first line, body, body's first line) or a problem."""
    lines = text.split("\n")
    if not lines or not FENCE_RE.match(lines[0]):
        return None, error(path, 1, "文件开头没有 front matter (missing front matter)",
                           "第一行写 ---，接着写 title: …、date: …、column: …，再用一行 --- 结束")
    for index in range(1, len(lines)):
        if END_RE.match(lines[index]):
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1:])
            return (front, 2, body, index + 2), None
    return None, error(path, 1, "front matter 没有结束的 --- (closing --- missing)",
                       "在最后一个键值之后单独写一行 ---，再写正文")


DRAFT_LINE_RE = re.compile(r"^[ \t]*(?:draft|草稿)[ \t]*[:：][ \t]*[\"']?(?:true|yes|on|是)[\"']?[ \t]*(?:#.*)?$",
                           re.I | re.M)
DATE_LINE_RE = re.compile(r"^[ \t]*date[ \t]*[:：][ \t]*[\"']?([^\"'#\n]*?)[\"']?[ \t]*(?:#.*)?$", re.M)


def unpublished_by_lines(data: bytes, zone: tzinfo) -> tuple[bool, datetime | None]:
    """For a file whose front matter could not be read: whether one of its lines says
    `draft: true`, and the date its `date:` line gives (None when there is none to read). So a
    draft with a mistake in its YAML is left out with a warning instead of stopping the build."""
    lines = data.decode("utf-8-sig", "replace").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or not FENCE_RE.match(lines[0]):
        return False, None
    end = next((i for i in range(1, len(lines)) if END_RE.match(lines[i])), min(len(lines), 60))
    head = "\n".join(lines[1:end])
    date = None
    found = DATE_LINE_RE.search(head)
    if found:
        try:
            date = parse_date(found.group(1).strip(), zone)
        except (DateError, OverflowError, ValueError):
            pass
    return DRAFT_LINE_RE.search(head) is not None, date


# ------------------------------------------------------------------ YAML

def _lint_lines(front: str, first_line: int, path: str) -> tuple[list[Problem], str]:
    """Mistakes of Chinese keyboards that YAML would answer with a confusing error or a wrong
    value. Returns the problems and the text with those mistakes mended, so that the rest of
    the front matter can still be checked and every problem reported in one run."""
    problems = []
    mended = []
    for offset, line in enumerate(front.split("\n")):
        no = first_line + offset
        indent = re.match(r"^[ \t\u3000]*", line).group(0)
        if "\u3000" in indent:
            problems.append(error(path, no, "行首用了全角空格 (full-width space U+3000 used for indentation)",
                                  "删除行首的全角空格，缩进只用半角空格"))
        elif "\t" in indent and line.strip():
            problems.append(error(path, no, "行首用了制表符 Tab (tab used for indentation)",
                                  "YAML 的缩进只能用空格，把 Tab 换成两个空格"))
        line = indent.replace("\u3000", "  ").replace("\t", "  ") + line[len(indent):]
        if KEY_FULLWIDTH_COLON_RE.match(line) and not re.match(r"^[ \t]*[\w-]+[ \t]*:", line):
            key = re.split(r"[ \t\u3000]*：", line.strip().lstrip("- "), maxsplit=1)[0]
            problems.append(error(path, no, f"键 {key} 后面用了全角冒号 “：” (full-width colon after key)",
                                  f"把 “{key}：” 改成半角冒号加空格 “{key}: ”"))
            line = re.sub(r"[ \t\u3000]*：[ \t\u3000]*", ": ", line, count=1)
        m = CURLY_VALUE_RE.match(line)
        if m and {"“": "”", "‘": "’"}[m.group(2)] == m.group(3):
            key = m.group(1)
            problems.append(error(path, no, f"{key} 的值两边是中文引号 {m.group(2)}…{m.group(3)} (curly quotes around value)",
                                  f"YAML 只认英文引号：写成 {key}: \"…\"；如果引号本来就是标题的一部分，写成 {key}: \"{m.group(2)}…{m.group(3)}\""))
        mended.append(line)
    return problems, "\n".join(mended)


def _yaml_problem(exc: Exception, path: str, first_line: int, front: str = "") -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    context = getattr(exc, "context_mark", None)
    if mark is not None and context is not None and mark.line >= front.count("\n"):
        mark = context      # an error at the very end: blame where the unclosed thing began
    line = first_line + mark.line if mark is not None else first_line
    what = getattr(exc, "problem", None) or str(exc).split("\n")[0]
    return error(path, line, f"front matter 不是合法的 YAML (invalid YAML)：{what}",
                 "每行写成 key: value（半角冒号后加空格）；值里有冒号、# 或引号时，用英文双引号把整个值括起来")


def _to_python(node, loader, seen: set, depth: int, budget: list):
    """Plain Python values from a node tree, refusing aliases, deep nesting and huge trees."""
    if id(node) in seen:
        raise _Refused(node, "front matter 里不能用 YAML 别名 (aliases * and anchors & are not allowed)", alias=True)
    if depth > MAX_DEPTH:
        raise _Refused(node, "front matter 嵌套太深 (nested too deeply)")
    budget[0] -= 1
    if budget[0] < 0:
        raise _Refused(node, "front matter 太大 (too many values)")
    seen.add(id(node))
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_object(node, deep=False)
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(item, loader, seen, depth + 1, budget) for item in node.value]
    if isinstance(node, yaml.MappingNode):
        return {_hashable(_to_python(k, loader, seen, depth + 1, budget)): _to_python(v, loader, seen, depth + 1, budget)
                for k, v in node.value}
    raise _Refused(node, "front matter 里有无法识别的内容")


def _hashable(value):
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)


def _refused_line(exc: "_Refused", front: str) -> int:
    """The line to blame: for an alias, where the alias (*name) is written, not its anchor."""
    if exc.alias:
        try:
            for event in yaml.parse(front, Loader=_Loader):
                if isinstance(event, yaml.AliasEvent):
                    return event.start_mark.line
        except yaml.YAMLError:
            pass
    return exc.node.start_mark.line


class _Refused(Exception):
    def __init__(self, node, message, alias=False):
        super().__init__(message)
        self.node = node
        self.alias = alias


def read_yaml(front: str, first_line: int, path: str):
    """(list of (key, key line, value node, python value), problems) for a YAML mapping."""
    if len(front.encode("utf-8")) > MAX_FRONT_MATTER:
        return None, [error(path, first_line, f"front matter 超过 {MAX_FRONT_MATTER // 1024} KiB (too large)",
                            "front matter 只放标题、日期等几行元数据，正文写在结束的 --- 之后")]
    problems, front = _lint_lines(front, first_line, path)
    loader = _Loader(front)
    try:
        try:
            root = loader.get_single_node()
        except (yaml.YAMLError, ValueError, RecursionError, TypeError) as exc:
            return None, problems + [_yaml_problem(exc, path, first_line, front)]
        if root is None:
            return [], problems
        if not isinstance(root, yaml.MappingNode):
            return None, problems + [error(path, first_line + root.start_mark.line,
                                "front matter 应该是 “键: 值” 的列表 (front matter is not a mapping)",
                                "每行写成 key: value，冒号用半角 “:” 并在后面加一个空格")]
        entries, seen_keys = [], {}
        budget, seen_nodes = [MAX_NODES], set()
        for key_node, value_node in root.value:
            line = first_line + key_node.start_mark.line
            if not isinstance(key_node, yaml.ScalarNode):
                problems.append(error(path, line, "front matter 的键必须是简单的名字 (key must be a plain name)"))
                continue
            key = key_node.value
            if key in seen_keys:
                problems.append(error(path, line, f"键 {key} 重复出现 (duplicate key)，第一次在第 {seen_keys[key]} 行",
                                      "删掉其中一个"))
                continue
            seen_keys[key] = line
            try:
                value = _to_python(value_node, loader, seen_nodes, 1, budget)
            except _Refused as exc:
                problems.append(error(path, first_line + _refused_line(exc, front), str(exc)))
                continue
            except (yaml.YAMLError, ValueError, RecursionError, TypeError, OverflowError) as exc:
                problems.append(_yaml_problem(exc, path, first_line, front))
                continue
            entries.append((key, line, value_node, value))
        return entries, problems
    finally:
        loader.dispose()


# ------------------------------------------------------------------ checking

def _as_text(node, value) -> str | None:
    """A scalar as the editor wrote it (so `title: 2024` or `title: no` stay text)."""
    if isinstance(node, yaml.ScalarNode):
        return node.value if value is not None else ""
    return None


def parse_article(source: SourceFile, config: Config, zone: tzinfo) -> tuple[ArticleDoc | None, tuple[Problem, ...]]:
    path = source.path
    text, problem = decode(source.data, path)
    if problem:
        return None, (problem,)
    text = strip_controls(text)
    split, problem = split_front_matter(text, path)
    if problem:
        return None, (problem,)
    front, first_line, body, body_line = split
    entries, problems = read_yaml(front, first_line, path)
    if entries is None:
        return None, tuple(problems)
    f = _Front(path, problems)
    f.take(entries)
    for key in REQUIRED:
        if key not in f.lines:
            example = {"title": "title: \"文章标题\"", "date": f"date: {datetime.now(zone):%Y-%m-%d %H:%M}（现在）",
                       "column": "column: " + (config.columns[0].name if config.columns else "科言科语")}[key]
            f.error(1, f"缺少必填的键 {key} (required key missing)", f"在 front matter 里加一行 {example}")
    title = clean_text(f.values.get("title", ""))
    if "title" in f.values and not title:
        f.error(f.lines["title"], "title 是空的 (empty title)", "写上文章标题")
    column, date, updated = f.column(config), f.date("date", zone), f.date("updated", zone)
    tags, draft, slug, article_id = f.tags(), f.draft(), f.slug(), f.id()
    cover = clean_text(f.values.get("cover", ""))       # looked up with the other files (refs.py)
    if any(p.is_error for p in problems):
        return None, tuple(problems)
    meta = Meta(
        title=title, date=date, column=column, tags=tuple(tags),
        summary=clean_text(f.values.get("summary", "")), author=clean_text(f.values.get("author", "")),
        id=article_id, slug=slug, draft=draft, updated=updated,
        cover=cover, lines=tuple(sorted(f.lines.items())), wechat_digest=clean_text(f.values.get("wechat_digest", "")),
    )
    return ArticleDoc(path=path, sha256=source.sha256, meta=meta, body=body, body_line=body_line), tuple(problems)


class _Front:
    """The front matter's values as they are read and checked: by key, with their lines, and
    the problems found (added to `problems`)."""

    def __init__(self, path: str, problems: list[Problem]):
        self.path, self.problems = path, problems
        self.values: dict = {}
        self.lines: dict[str, int] = {}

    def error(self, line: int, message: str, hint: str = "") -> None:
        self.problems.append(error(self.path, line, message, hint))

    def take(self, entries) -> None:
        """The known keys' values (text for the text keys, (node, value) for the others)."""
        for key, line, node, value in entries:
            self.lines[key] = line
            if key not in KNOWN:
                if key in CHINESE_KEYS:
                    hint = f"front matter 的键要用英文：把 {key} 改成 {CHINESE_KEYS[key]}"
                else:
                    close = difflib.get_close_matches(key, KNOWN, n=1, cutoff=0.6)
                    hint = (f"你是不是想写 {close[0]}？(did you mean {close[0]}?)" if close
                            else "可用的键 known keys: " + ", ".join(KNOWN))
                self.error(line, f"未知的键 unknown key {key!r}", hint)
                continue
            if key in STRING_KEYS:
                as_text = _as_text(node, value)
                if as_text is None:
                    self.error(line, f"{key} 应该是一段文字 (must be a string)", f"写成 {key}: \"…\"")
                    continue
                self.values[key] = as_text
            else:
                self.values[key] = (node, value)

    def column(self, config: Config) -> str:
        if "column" not in self.values:
            return ""
        col = config.column(clean_text(self.values["column"]))
        if col is None:
            declared = "、".join(c.name for c in config.columns)
            self.error(self.lines["column"], f"栏目 {self.values['column']!r} 没有在 site.toml 里声明 (column not declared)",
                       f"已声明的栏目 declared columns: {declared}；或在 site.toml 里加一个 [[columns]]")
            return ""
        return col.name

    def date(self, key: str, zone: tzinfo):
        if key not in self.values:
            return None
        node, value = self.values[key]
        raw = node.value if isinstance(node, yaml.ScalarNode) else None
        if raw is None or raw == "":
            self.error(self.lines[key], f"{key} 应该是日期 (must be a date)", f"可用的写法：{FORMS}")
            return None
        try:
            return parse_date(raw, zone).astimezone(zone)
        except (DateError, OverflowError) as exc:
            self.error(self.lines[key], f"{key}: {exc}", f"可用的写法：{FORMS}")
            return None

    def tags(self) -> list[str]:
        tags: list[str] = []
        if "tags" not in self.values:
            return tags
        node, value = self.values["tags"]
        if isinstance(value, str):
            items = TAG_SPLIT_RE.split(value)
            if len([t for t in items if t.strip()]) > 1 or re.search(r"[,，、;；]", value):
                self.problems.append(warning(self.path, self.lines["tags"],
                                             "tags 写成了一段文字，已按逗号/顿号拆成列表 (tags given as a string)",
                                             "建议写成列表：tags: [科普, 健康]"))
        elif isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
            items = [str(sub.value) for sub in node.value]
        else:
            items = []
            if value is not None:
                self.error(self.lines["tags"], "tags 应该是标签列表 (tags must be a list of words)", "写成 tags: [科普, 健康]")
        for item in items:
            tag = clean_text(item)
            if tag and tag not in tags:
                tags.append(tag)
        return tags

    def draft(self) -> bool:
        if "draft" not in self.values:
            return False
        value = self.values["draft"][1]
        if isinstance(value, bool):
            return value
        self.error(self.lines["draft"], "draft 只能是 true 或 false (must be a boolean)",
                   "写成 draft: true（草稿）或 draft: false")
        return False

    def slug(self) -> str:
        if "slug" not in self.values:
            return ""
        slug = sanitize_slug(self.values["slug"])
        if not slug:
            self.error(self.lines["slug"], f"slug {self.values['slug']!r} 里没有可用于网址的字符 (empty slug after sanitizing)",
                       "slug 只用小写字母、数字和 -，例如 slug: heidong")
        return slug

    def id(self) -> str:
        if "id" not in self.values:
            return ""
        article_id = clean_text(self.values["id"])
        if not article_id or re.search(r"\s", article_id) or len(article_id) > 128:
            self.error(self.lines["id"], f"id {self.values['id']!r} 不可用 (id must be non-empty, without spaces, ≤ 128 characters)",
                       "例如 id: kyky-2024-0822；id 一经发布就不要再改")
        return article_id
