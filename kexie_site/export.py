"""`kexie-site export wechat|xuexi`: articles made ready for the WeChat official account (公众号)
and for 学习强国, one folder an article, under exports/<channel>/ by default.

WeChat: article.html (one root <section>, the theme's wechat.css inlined, wechat.py's rules),
preview.html (the article as it will look, and a 复制到公众号 button that puts article.html on the
clipboard), meta.json (title, author, digest, content_source_url = the page's canonical URL, the
cover) and images/ (each image a JPG or PNG under the limit, wximages.py), cover.jpg|png.
学习强国: article.html without any style (a whole document: title, date, author, source),
meta.json and images/, and the folder again as a .zip; named by date and title.

Writing never loses an editor's work: a file is written only when it is new or still exactly as
this tool last wrote it (the exports folder's .kexie-export.json records what it wrote); a file
changed by hand is left alone and reported.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from . import urls, wechat, wxlint
from .errors import Problem, error, warning
from .writer import replace_file, write_ours
from .exportpages import folder_name, preview_page, xuexi_page, zip_of
from .lint import body_of, removed_problems
from .model import Article, Config
from .text import zh_date
from .wximages import ImageRefused, WxImage, for_wechat

CHANNELS = {"wechat": "微信公众号", "xuexi": "学习强国"}
RECORD = ".kexie-export.json"
EXTERNAL_IMAGE = "外部网站的图片，公众号不显示：把图片下载下来放进 content/，用 ![说明](images/xx.jpg) 引用"
DAYS = 7


@dataclass(frozen=True)
class ArticleExport:
    path: str                          # the article's source, content/…
    folder: str                        # its folder under the exports folder
    files: tuple[tuple[str, bytes], ...]   # (path in the folder, bytes)
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]             # what was done to its images
    meta: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Site:
    """What an export needs of a prepared site."""
    config: Config
    articles: tuple[Article, ...]      # published and scheduled ones, newest first
    drafts: tuple[tuple[str, str], ...]   # the drafts' (path, id)
    html_of: Callable[[Article], str]  # an article's body HTML, as published
    file_of: Callable[[str], bytes | None]   # a published URL path's bytes (images), None if not the site's
    site_dir: Path
    theme_css: str                     # the theme's wechat.css
    now: datetime

    def url_of(self, src: str) -> str:
        """A URL the site shows (root-relative) as an absolute one."""
        if src.startswith(("http://", "https://")):
            return src
        return self.config.base_url + src[len(self.config.base_path):] if src.startswith(self.config.base_path) else src


# ------------------------------------------------------------------ which articles

def select(site: Site, names: list[str], since: datetime | None, wechat_only: bool = False,
           ) -> tuple[list[Article], list[Problem]]:
    """The articles named (a path under content/ or relative to the site or here, an id, a
    slug), else those dated since `since` (default: the last 7 days) up to now — with
    `wechat_only`, of the columns marked `wechat = true` (when a column is)."""
    if not names:
        start = since or site.now - timedelta(days=DAYS)
        chosen = [a for a in site.articles if start <= a.date <= site.now and (a.column.wechat or not wechat_only)]
        return sorted(chosen, key=lambda a: (a.date, a.doc.path)), []
    chosen, problems = [], []
    for name in names:
        found = _find(site, name)
        if isinstance(found, Problem):
            problems.append(found)
        elif found not in chosen:
            chosen.append(found)
    return chosen, problems


def _find(site: Site, name: str) -> Article | Problem:
    wanted = name.replace("\\", "/").strip()
    try:
        here = Path(name).resolve().relative_to(site.site_dir.resolve()).as_posix()
    except (ValueError, OSError):
        here = wanted
    for article in site.articles:
        if wanted in (article.id, article.slug, article.doc.path, f"content/{wanted}") or here == article.doc.path:
            return article
    for path, draft_id in site.drafts:
        if wanted in (path, draft_id, f"content/{wanted}") or here == path:
            return error(path, 1, "这是草稿，还没有在网站上发布 (a draft)", "把 draft 改成 false 并构建发布网站后再导出：原文链接要能打开")
    import difflib
    known = [a.doc.path for a in site.articles] + [a.id for a in site.articles]
    close = difflib.get_close_matches(wanted, known, n=1, cutoff=0.6)
    return error(name, 1, "找不到这篇文章 (no such article)",
                 f"你是不是想写 {close[0]}？" if close else "写文章的文件路径（content/…md）、id 或 slug")


# ------------------------------------------------------------------ one article

def export_article(site: Site, article: Article, channel: str) -> ArticleExport:
    limits = site.config.wechat
    page_url = urls.absolute(site.config.base_url, article.url)
    images = _Images(site, limits.image_max_bytes, site_urls=channel == "wechat")
    css = site.theme_css if channel == "wechat" else None
    converted = wechat.convert(site.html_of(article), page_url, images.name, css)
    cover = _cover(site, article, images)
    meta = _meta(site, article, converted, page_url, cover) | {"images": images.sources}
    files = dict(images.files)
    if cover:
        files[cover] = images.cover_data
    meta_json = (json.dumps(meta, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    if channel == "wechat":
        files["article.html"] = converted.html.encode("utf-8")
        files["preview.html"] = preview_page(article.title, converted.html, images.sources).encode("utf-8")
    else:
        files["article.html"] = xuexi_page(article, converted.html, site.config).encode("utf-8")
    files["meta.json"] = meta_json
    try:
        text = (site.site_dir / article.doc.path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        text = ""
    problems = wxlint.lint_content(article, converted, text, images.refused)
    problems += removed_problems(article.doc.path, *body_of(text, article.doc.path)) if text else []
    if article.date > site.now:
        problems.append(warning(article.doc.path, article.meta.line_of("date"),
                                f"定时发布的文章：网站上到 {zh_date(article.date)} {article.date:%H:%M} 才有，在那之前“阅读原文”打不开 (scheduled)",
                                "在公众号发出的时间不要早于网站发布的时间"))
    if channel == "wechat":
        problems += wxlint.lint_limits(article, converted, limits, cover)
    return ArticleExport(article.doc.path, folder_name(article), tuple(sorted(files.items())), tuple(problems),
                         tuple(images.notes), meta)


class _Images:
    """The article's images as they are exported: images/NN-name.jpg|png, each converted once."""

    def __init__(self, site: Site, max_bytes: int, site_urls: bool):
        self.site, self.max_bytes, self.site_urls = site, max_bytes, site_urls
        self.files: dict[str, bytes] = {}
        self.names: dict[str, str] = {}
        self.refused: list[tuple[str, str]] = []
        self.notes: list[str] = []
        self.sources: list[dict] = []         # {"file": images/…, "src": as the article shows it}
        self.cover_data = b""

    def name(self, src: str) -> str:
        """The image's src in the exported article: the site's own URL when the site publishes
        it as it goes to WeChat (a JPG or PNG under the limit: the WeChat editor fetches such
        an image itself when the article is pasted), else the converted file's name (uploaded
        by hand, or by publish wechat-draft)."""
        if src in self.names:
            return self.names[src]
        made = self.convert(src)
        if made is None:
            self.names[src] = src
            return src
        stem = re.sub(r"[^A-Za-z0-9_-]+", "-", src.rsplit("/", 1)[-1].rsplit(".", 1)[0]).strip("-") or "image"
        name = f"images/{len(self.files) + 1:02d}-{stem}.{made.ext}"
        self.files[name] = made.data
        shown = self.site.url_of(src) if self.site_urls and not made.note else name
        self.names[src] = shown
        self.sources.append({"file": name, "src": shown})
        if made.note:
            self.notes.append(f"{src.rsplit('/', 1)[-1]} → {name}：{made.note}")
        return shown

    def convert(self, src: str) -> WxImage | None:
        data = self.site.file_of(src)
        if data is None:
            self.refused.append((src, EXTERNAL_IMAGE))
            return None
        try:
            return for_wechat(data, self.max_bytes)
        except ImageRefused as exc:
            self.refused.append((src, str(exc)))
            return None


def cover_source(site: Site, article: Article, first_image: bytes | None) -> tuple[bytes | None, str]:
    """The cover's bytes and where they come from: the article's cover: (a file of the site),
    else its first image that goes to WeChat, else [wechat] cover; (None, "") when none."""
    if article.cover_url:
        data = site.file_of(urls.href(site.config.base_path, article.cover_url))
        if data is not None:
            return data, article.cover_url
    if first_image is not None:
        return first_image, "first image"
    if site.config.wechat.cover:
        try:
            return (site.site_dir / site.config.wechat.cover).read_bytes(), site.config.wechat.cover
        except OSError:
            pass
    return None, ""


def _cover(site: Site, article: Article, images: _Images) -> str:
    """The cover's file name in the folder ("" when there is none)."""
    data, where = cover_source(site, article, next(iter(images.files.values()), None))
    if data is None:
        return ""
    try:
        made = for_wechat(data, site.config.wechat.image_max_bytes)
    except ImageRefused as exc:
        images.refused.append((where, f"封面：{exc}"))
        return ""
    images.cover_data = made.data
    return f"cover.{made.ext}"


def _meta(site: Site, article: Article, converted: wechat.Converted, page_url: str, cover: str) -> dict:
    return {
        "title": article.title,
        "author": article.meta.author or site.config.wechat.author,
        "digest": wxlint.digest_of(article),
        "content_source_url": page_url,
        "cover": cover or None,
        "id": article.id,
        "date": article.date.isoformat(),
        "column": article.column.name,
        "source": article.doc.path,
        "references": [{"url": url, "text": text} for url, text in converted.references],
    }


# ------------------------------------------------------------------ writing

@dataclass(frozen=True)
class Written:
    written: tuple[str, ...]
    unchanged: tuple[str, ...]
    kept: tuple[Problem, ...]          # files changed by hand (or not ours): left as they are


def write(out_dir: Path, files: dict[str, bytes]) -> Written:
    """Each file written when it is new or as this tool last wrote it; the others reported."""
    record_path = out_dir / RECORD
    try:
        record = json.loads(record_path.read_text("utf-8"))
        record = record if isinstance(record, dict) else {}
    except (OSError, ValueError):
        record = {}
    written, unchanged, kept = [], [], []
    edited: set[str] = set()                 # folders whose article.html was changed by hand
    for rel, data in sorted(files.items()):
        target = out_dir / rel
        folder, _, name = rel.rpartition("/")
        if name == "preview.html" and folder in edited:
            kept.append(warning(str(target), 1, "preview.html 没有更新：它复制的是 article.html，而 article.html 是你改过的版本 (kept with it)",
                                "要用新导出的版本，就把改过的 article.html 改名或删掉后再导出"))
            continue
        done, digest = write_ours(target, data, record.get(rel))
        if done == "kept":
            if name == "article.html":
                edited.add(folder)
            kept.append(warning(str(target), 1, "这个文件改动过（或不是 kexie-site 写的），没有覆盖 (changed by hand: kept)",
                                "要重新导出就先把它改名或删掉"))
            continue
        record[rel] = digest
        (written if done == "written" else unchanged).append(rel)
    replace_file(record_path, (json.dumps(dict(sorted(record.items())), indent=1) + "\n").encode("utf-8"))
    return Written(tuple(written), tuple(unchanged), tuple(kept))


def files_of(exports: list[ArticleExport], channel: str, articles: dict[str, Article]) -> dict[str, bytes]:
    """Every file of the export, by its path under the exports folder (two articles of one day
    and title: the second gets its id in the name)."""
    out: dict[str, bytes] = {}
    seen: set[str] = set()
    for item in exports:
        folder = item.folder if item.folder not in seen else f"{item.folder}-{articles[item.path].id}"
        seen.add(folder)
        for name, data in item.files:
            out[f"{folder}/{name}"] = data
        if channel == "xuexi":
            out[f"{folder}.zip"] = zip_of(folder, item.files, articles[item.path].date)
    return out


# ------------------------------------------------------------------ the command

@dataclass(frozen=True)
class ExportReport:
    out_dir: Path
    articles: tuple[ArticleExport, ...]
    written: Written
    problems: tuple[Problem, ...]


def export(site_dir: Path, channel: str, names: list[str], since: datetime | None = None,
           out_dir: Path | None = None, now: str | None = None) -> ExportReport:
    """The articles exported for `channel` into out_dir (default exports/<channel>/ in the
    site); BuildFailed when the site has errors or an article named is not found."""
    from .errors import BuildFailed

    out_dir = Path(out_dir) if out_dir is not None else Path(site_dir) / "exports" / channel
    refused = _refused_output(Path(site_dir), out_dir)
    if refused:
        raise BuildFailed([refused])
    with prepared(site_dir, now) as site:
        marked = channel == "wechat" and any(c.wechat for c in site.config.columns)
        chosen, problems = select(site, names, since, wechat_only=marked)
        if problems:
            raise BuildFailed(problems)
        exports = [export_article(site, article, channel) for article in chosen]
    files = files_of(exports, channel, {a.doc.path: a for a in chosen})
    written = write(out_dir, files)
    found = [p for item in exports for p in item.problems]
    return ExportReport(out_dir, tuple(exports), written, tuple(found) + written.kept)


def _refused_output(site_dir: Path, out_dir: Path) -> Problem | None:
    """An exports folder must not be the site, nor inside what the build reads or writes."""
    site, out = site_dir.resolve(), out_dir.resolve()
    for inner in ("content", "themes", "static", "data", "public", ".kexie-cache"):
        if out == site / inner or (site / inner) in out.parents:
            return error("--output", 1, f"不能导出到 {inner}/ 里 (export folder inside {inner}/)",
                         "导出到单独的文件夹，例如默认的 exports/wechat/")
    if out == site:
        return error("--output", 1, "不能直接导出到站点文件夹 (export folder is the site)", "例如 --output exports/wechat")
    return None


def prepared(site_dir: Path, now: str | None):
    """The site, prepared as `check` prepares it (nothing published), as an export's Site."""
    from contextlib import contextmanager

    from .inputs import read_inputs
    from .options import BuildOptions
    from .pipeline import Clock, prepare, session

    @contextmanager
    def context():
        out_dir = Path(site_dir) / "public"
        options = BuildOptions(now=now, future=True, record_dir=out_dir)
        with session(Path(site_dir), out_dir, options, writes=False) as cache:
            inputs = read_inputs(Path(site_dir), out_dir.resolve(), options, cache)
            yield site_of(prepare(inputs, cache, Clock()))
            cache.commit()
    return context()


def site_of(made) -> Site:
    """What an export (or check's WeChat lints) needs of a prepared site (pipeline.Prepared)."""
    from .writer import bytes_of

    inputs, config = made.inputs, made.inputs.config
    by_url = {urls.href(config.base_path, o.path): o for o in made.plan.outputs if o.source or o.data}

    def file_of(src: str) -> bytes | None:
        path = src.split("#")[0].split("?")[0]
        if path.startswith(config.base_url):
            path = config.base_path + path[len(config.base_url):]
        output = by_url.get(path)
        try:
            return bytes_of(output) if output is not None else None
        except OSError:
            return None
    css = next((layer / "wechat.css" for layer in inputs.layers if (layer / "wechat.css").is_file()), None)
    site = made.composed.site
    return Site(config, tuple(site.articles), tuple((d.path, d.meta.id) for d in site.drafts), made.layout.html_of, file_of,
                inputs.site_dir, css.read_text("utf-8") if css else "", inputs.now)
