"""The per-article stage of a build: parse and render every Markdown file, from the cache where
it has the result, otherwise in the worker processes (articles.work, which send back everything
but the body; the body goes into the cache). Drafts and scheduled articles are rendered too:
what is wrong in them is shown (as warnings, when this build leaves them out) before they go out.

`Bodies` gives the outputs each article's HTML when they are made, from the cache, and renders
an article again when its entry is missing or damaged there.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, replace

from . import urls
from .articles import Done, Job, Settings, work
from .cache import CACHE_NAME, Cache
from .codec import doc_from_json, html_key, rendered_from_json
from .errors import Problem, error, left_out, warning
from .hashing import digest, key
from .inputs import Inputs
from .markup import MARKDOWN_SETTINGS
from .model import Article, ArticleDoc, Heading, Rendered
from .parallel import ordered_map
from .refs import Files, lookups_valid

SLOW_SECONDS = 1.0
HUGE_BYTES = 1024 * 1024
PARALLEL_MIN = 48          # fewer Markdown renders than this are faster in one process
BATCH = 1024               # articles in flight to the worker processes at a time

HEALED_IN_WORKER = "(rendered again in a page worker)"      # a note from a worker to the build, not shown
CACHE_HEALED = warning(CACHE_NAME, 1, "缓存里有缺失或损坏的记录，已重新排版 (damaged cache entries rebuilt)",
                       "不用处理：输出和不用缓存时一样；常出现的话检查磁盘")


@dataclass(frozen=True)
class ArticleStage:
    """What the per-article stage found, by path: documents without their bodies, the renders
    without their HTML (that is in the cache), and the problems of each."""
    docs: tuple[ArticleDoc, ...]                   # parsed, in file order
    parse_problems: dict[str, tuple[Problem, ...]]
    renders: dict[str, tuple[Rendered | None, tuple[Problem, ...]]]   # (None: could not be rendered)
    failed: dict[str, tuple[Problem, ...]]         # files that could not be parsed
    parse_keys: dict[str, str]
    render_keys: dict[str, str]
    settings: Settings
    markdown_renders: int = 0                      # rendered now, not taken from the cache
    heavy: tuple[str, ...] = ()                    # files that were huge or slow, with size and time


def keys_of(inputs: Inputs) -> tuple[dict[str, str], dict[str, str]]:
    """The cache keys of each file's parse and render results. The path is part of both: a parse
    result names its file, and relative links and images resolve from the file's folder (a file
    moved to another folder is parsed and rendered again)."""
    config = inputs.config
    parse_digest = digest(inputs.code, [(c.name, c.slug) for c in config.columns], config.timezone)
    render_digest = digest(inputs.code, MARKDOWN_SETTINGS, config.base_path, config.summary_length)
    return ({s.path: key(s.sha256, s.path, parse_digest) for s in inputs.sources.markdown},
            {s.path: key(s.sha256, s.path, render_digest) for s in inputs.sources.markdown})


def _from_cache(inputs: Inputs, cache: Cache, files: Files, parse_keys, render_keys):
    """The parse and render results the cache has, and the jobs for the rest."""
    cached_docs = cache.get_docs(list(parse_keys.values()))
    cached_renders = cache.get_renders(list(render_keys.values()))
    parsed: dict[str, tuple] = {}          # path -> (doc without body, parse problems)
    hits: dict[str, tuple] = {}            # path -> (rendered without html, render problems)
    jobs: list[Job] = []
    for source in inputs.sources.markdown:
        entry = cached_docs.get(parse_keys[source.path])
        got = doc_from_json(entry, inputs.zone) if entry else None
        if got is not None:
            parsed[source.path] = got
        entry = cached_renders.get(render_keys[source.path])
        hit = rendered_from_json(entry, render_keys[source.path]) if entry else None
        if hit is not None and lookups_valid(hit[1], files):
            hits[source.path] = (hit[0], hit[2])
        if got is None or source.path not in hits:
            jobs.append(Job(source, parse=got is None, render=source.path not in hits))
    return parsed, hits, jobs


def run(inputs: Inputs, cache: Cache, files: Files) -> ArticleStage:
    """Parse and render every article (see the module's docstring). `files` is what an article
    may name (inputs.read_files)."""
    parse_keys, render_keys = keys_of(inputs)
    cache.begin()
    parsed, hits, jobs = _from_cache(inputs, cache, files, parse_keys, render_keys)
    o = inputs.options
    settings = Settings(inputs.site_dir, inputs.config, inputs.zone, inputs.now, o.drafts, o.future, files,
                        inputs.config.summary_length, inputs.slugs.known)
    failed: dict[str, tuple] = {}
    heavy, fresh_docs, renders = [], [], 0
    done_all = ordered_map(_work, jobs, o.jobs or os.cpu_count() or 1, settings, minimum=PARALLEL_MIN, window=BATCH)
    for count, (job, done) in enumerate(zip(jobs, done_all), 1):
        path = job.source.path
        inputs.slugs.adopt(done.slugs)
        if done.doc is None:
            failed[path] = left_out(done.parse_problems, done.left_out) if done.left_out else done.parse_problems
            if done.changed:                       # its hash (maybe from the stats) is not the file's
                cache.forget_stats(path)
        elif job.parse:
            parsed[path] = (done.doc, done.parse_problems)
            fresh_docs.append((parse_keys[path], done.doc_json))
        if done.rendered is not None:
            renders += 1
            hits[path] = _keep_render(cache, render_keys[path], done)
            if done.seconds > SLOW_SECONDS or job.source.size > HUGE_BYTES:
                heavy.append(f"{path} ({job.source.size / 1024 / 1024:.1f} MiB, {done.seconds:.1f} s)")
        elif done.render_problems:               # the Markdown could not be rendered: an error
            hits[path] = (None, done.render_problems)
        if count % 200 == 0 and o.progress:
            o.progress("排版 markdown", count, len(jobs))
    cache.put_docs(fresh_docs)
    cache.commit()                            # the Markdown done is kept, whatever happens next
    cache.begin()
    docs = tuple(parsed[s.path][0] for s in inputs.sources.markdown if s.path not in failed and s.path in parsed)
    return ArticleStage(docs, {p: v[1] for p, v in parsed.items()}, hits, failed, parse_keys, render_keys,
                        settings, renders, tuple(heavy))


def _keep_render(cache: Cache, key: str, done: Done) -> tuple[Rendered, tuple[Problem, ...]]:
    """Store a fresh render; what the stage keeps of it is what the cache would give."""
    cache.put_render(key, done.render_json, done.rendered.html, done.rendered.headings, done.rendered.text)
    return replace(done.rendered, body=None, key=html_key(key, done.lookups)), done.render_problems


def _work(settings: Settings, job: Job) -> Done:
    return work(job, settings)


class Bodies:
    """`bodies(article)`: the article's HTML, with the URLs of the articles it links to, and its
    headings, loaded from the cache only for the page or feed that shows them (a worker process
    reads through its own connection). Missing or damaged there, the article is rendered again
    (and said once, in `notes`); if even that fails it is an error: a page is never published
    with an empty body."""

    def __init__(self, stage: ArticleStage, cache: Cache, inputs: Inputs, notes: list[Problem]):
        self.stage, self.cache, self.notes = stage, cache, notes
        self.sources = {s.path: s for s in inputs.sources.markdown}
        self.base_path = inputs.config.base_path
        self.pid = os.getpid()               # another pid: a forked worker, which reads on its own
        self.reader: Cache | None = None

    def __call__(self, article: Article) -> tuple[str, tuple[Heading, ...]]:
        path = article.doc.path
        found = self._cached(self.stage.render_keys[path])
        if found is None:
            found = self._again(path)
        html, headings = found
        if article.rendered.link_token:        # links to other articles: their URLs, known now
            html = urls.fill_links(html, article.rendered.link_token,
                                   [urls.href(self.base_path, h) if h else "" for h in article.links])
        return html, headings

    def html(self, article: Article) -> str:
        return self(article)[0]

    def text(self, article: Article) -> tuple[str, str]:
        """The article's headings (one a line) and plain text, for the search index; from the
        cache like its HTML."""
        path = article.doc.path
        found = self._cached(self.stage.render_keys[path], "get_text")
        return found if found is not None else self._again(path, text=True)

    def _cached(self, key: str, how: str = "get_body"):
        try:
            if os.getpid() == self.pid:
                return getattr(self.cache, how)(key)
            if self.reader is None:
                self.reader = Cache.reader(self.cache.path)
            return getattr(self.reader, how)(key)
        except Exception:                      # a cache file that cannot even be opened: render again
            return None

    def _again(self, path: str, text: bool = False):
        done = work(Job(self.sources[path], parse=True, render=True), self.stage.settings)
        if done.rendered is None:
            self.notes.append(error(path, 1, "这篇文章排版失败，不能发布 (article could not be rendered)",
                                    "再构建一次；文件在构建时被改动过的话，保存完再构建"))
            return ("", "") if text else ("", ())
        if os.getpid() != self.pid:            # its connection reads only: the build stores it
            self.notes.append(warning(path, 1, HEALED_IN_WORKER))
        else:
            self.notes.append(CACHE_HEALED)
            self.cache.put_render(self.stage.render_keys[path], done.render_json, done.rendered.html,
                                  done.rendered.headings, done.rendered.text)
        if text:
            return "\n".join(h.text for h in done.rendered.headings), done.rendered.text
        return done.rendered.html, done.rendered.headings

    def store_healed(self) -> list[Problem]:
        """Store the articles a page worker rendered again (its connection only reads); the
        notes without those between-process ones."""
        healed = sorted({p.path for p in self.notes if p.message == HEALED_IN_WORKER})
        for path in healed:
            done = work(Job(self.sources[path], parse=True, render=True), self.stage.settings)
            if done.rendered is not None:
                self.cache.put_render(self.stage.render_keys[path], done.render_json, done.rendered.html,
                                      done.rendered.headings, done.rendered.text)
        self.cache.damaged += len(healed)
        return [p for p in self.notes if p.message != HEALED_IN_WORKER]


def cache_problems(cache: Cache, problems: list[Problem]) -> list[Problem]:
    """`problems` with what went wrong with the cache said once (it never fails a build): the
    trouble it had, else that damaged entries were rebuilt (found reading rows, or pages)."""
    healed = cache.damaged or CACHE_HEALED in problems
    rest = [p for p in problems if p != CACHE_HEALED]
    if cache.trouble:
        return rest + [warning(CACHE_NAME, 1, cache.trouble[0], "不用处理：这次构建照常完成，输出和不用缓存时一样")]
    return rest + [CACHE_HEALED] if healed else rest
