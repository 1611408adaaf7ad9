"""The per-file work of a build, one article at a time: read the file, parse it, render its
Markdown when it is published. It runs in the worker processes of a big build (parallel.py), so
the bodies never reach the main process, and it returns plain data the cache can store.

Nothing here depends on other articles: ids, URLs and neighbours are worked out afterwards, over
the whole site, by assemble.py.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Mapping

from .codec import doc_to_json, rendered_to_json
from .config import Config
from .errors import Problem, error
from .model import ArticleDoc, Rendered, SourceFile
from .parse import parse_article, unpublished_by_lines
from .refs import Files
from .hashing import sha256
from .text import Slugs


# Past this, an article is refused at its first line: a 20 MB one took 33 s and 0.9 GiB to build,
# and a daily article is some 10 KB (what makes one huge is pictures pasted in as base64).
MAX_ARTICLE_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Job:
    source: SourceFile
    parse: bool          # the parse result is wanted (it is not in the cache)
    render: bool         # the Markdown is wanted, if the article turns out to be published


@dataclass(frozen=True)
class Settings:
    """Everything the per-file work depends on besides the file itself."""
    site_dir: Path
    config: Config
    zone: tzinfo
    now: datetime
    drafts: bool
    future: bool
    files: Files             # what an article may name (images, attachments, static files)
    summary_length: int
    slugs: Mapping[tuple[str, int], str] = field(default_factory=dict)   # worked out by earlier builds


@dataclass(frozen=True)
class Done:
    path: str
    doc: ArticleDoc | None = None          # without its body
    doc_json: str = ""                     # the parse result, for the cache (when parsed)
    parse_problems: tuple[Problem, ...] = ()
    rendered: Rendered | None = None       # with its body (html, headings, plain text)
    render_json: str = ""                  # the render result without html, for the cache
    render_problems: tuple[Problem, ...] = ()
    lookups: list = field(default_factory=list)   # the file lookups the render depends on
    seconds: float = 0.0                   # time spent rendering
    slugs: tuple = ()                      # slugs worked out here: ((text, limit), slug) pairs
    changed: bool = False                  # the file's bytes are not the ones hashed
    left_out: str = ""                     # a file that could not be parsed but says it is a
                                           # "draft" (or "scheduled"): this build leaves it out


def _left_out(data: bytes, settings: Settings) -> str:
    """For a file that cannot be made an article: "draft" or "scheduled" when its lines say it
    is one this build would leave out anyway (then its problems are warnings), else ""."""
    draft, date = unpublished_by_lines(data, settings.zone)
    if draft and not settings.drafts:
        return "draft"
    return "scheduled" if date is not None and date > settings.now and not settings.future else ""


def work(job: Job, settings: Settings) -> Done:
    """Parse (and render, if wanted and published) one article. Never raises for bad content:
    problems are returned."""
    source = job.source
    try:
        data = (settings.site_dir / source.path).read_bytes()
    except OSError as exc:
        return Done(source.path, parse_problems=(
            error(source.path, 1, f"无法读取 (cannot read): {exc.strerror or exc}", "检查文件权限"),))
    if len(data) > MAX_ARTICLE_BYTES:
        return Done(source.path, left_out=_left_out(data[:64 * 1024], settings), parse_problems=(error(
            source.path, 1, f"文章文件太大 (article too large): {len(data) / 1024 / 1024:.1f} MB，"
                            f"上限 {MAX_ARTICLE_BYTES // 1024 // 1024} MB",
            "多半是粘贴进来的 base64 图片：在 Typora 里用“格式 → 图像 → 将图片转移到文件夹”另存为图片文件；"
            "或者把文章拆成几篇"),))
    if sha256(data) != source.sha256:
        return Done(source.path, changed=True, parse_problems=(
            error(source.path, 1, "文件在构建过程中被改动了 (file changed during the build)", "保存完毕后再构建一次"),))
    doc, found = parse_article(replace(source, data=data), settings.config, settings.zone)
    if doc is None:
        return Done(source.path, parse_problems=found, left_out=_left_out(data, settings))
    # the slugs assemble will want, worked out here where the pinyin dictionary is loaded anyway
    slugs = Slugs(settings.slugs)
    for text in (doc.meta.title, *doc.meta.tags):
        slugs(text)
    done = Done(source.path, doc=replace(doc, body=""), parse_problems=found,
                doc_json=doc_to_json(doc, found) if job.parse else "")
    if job.render:              # drafts too: their problems are shown (as warnings) before they go out
        from .markup import MAX_NESTING, render
        from .mdext import NestingTooDeep

        tick = time.perf_counter()
        try:
            out, problems, lookups = render(doc, settings.files, settings.summary_length, slugs)
        except (NestingTooDeep, RecursionError) as exc:
            line = doc.body_line + exc.line if isinstance(exc, NestingTooDeep) else doc.body_line
            done = replace(done, render_problems=(error(
                source.path, line, "列表或引用嵌套太深，无法排版 (nesting too deep to render)",
                f"减少列表或引用的嵌套层数（最多约 {MAX_NESTING // 2} 层）"),))
        except Exception as exc:  # a Markdown or extension bug: name the article, do not stop the others
            done = replace(done, render_problems=(error(
                source.path, doc.body_line, f"排版出错 (Markdown failed): {type(exc).__name__}: {exc}",
                "请报告这个问题，并附上这篇文章"),))
        else:
            done = replace(done, rendered=out, render_json=rendered_to_json(out, lookups, problems),
                           render_problems=problems, lookups=lookups, seconds=time.perf_counter() - tick)
    return replace(done, slugs=tuple(slugs.learned.items()))
