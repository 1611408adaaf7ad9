"""What every output kind is given (Layout) and what an output kind is (OutputKind).

An output kind — the pages, the feeds, the sitemap, archive.json, the copied files, and any kind
added later — is a module with a `KIND`: a name, a label for the build's summary, and
`plan(layout)`, which returns the outputs it wants (each with its cache key and how to make its
bytes) and the problems it found. The registry is one list (outputs.KINDS); the build never
learns about a particular kind.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Callable, Sequence

from .errors import Problem
from .model import Article, Heading, Output, PageSpec, Site


@dataclass(frozen=True)
class Layout:
    site: Site
    zone: tzinfo
    pages: tuple[PageSpec, ...]          # every page of the site (the sitemap lists them)
    site_ctx: dict                       # the templates' `site`, the same on every page
    site_key: str                        # changes with the code, the theme, site.toml and site_ctx
    layers: tuple[Path, ...]             # the theme's folders, the site's own first
    theme_static: dict[str, Path]        # the theme's static files, by path under static/
    site_static: dict[str, Path]         # the site's own static/ files, published at the root
    bodies: Callable[[Article], tuple[str, tuple[Heading, ...]]]   # an article's HTML and headings
    notes: list[Problem]                 # problems found while making the outputs (a template's error …)
    memo: dict                           # keys.shown's: each article's and group's key is made once
    texts: Callable[[Article], tuple[str, str]] = lambda article: ("", "")   # its headings and plain text
    published: Path | None = None        # the output folder, as the last build left it (locked: ours to read)
    records: dict = field(default_factory=dict)   # {output path: [key, size, mtime]} of the last publish there
    jobs: int = 1                        # processes a kind may use for work shared by many outputs (the search index)

    def html_of(self, article: Article) -> str:
        return self.bodies(article)[0]


Planned = tuple[Sequence[Output], Sequence[Problem]]


@dataclass(frozen=True)
class OutputKind:
    name: str                            # e.g. "pages"
    label: str                           # in the summary, e.g. "页面 pages"
    plan: Callable[[Layout], Planned]    # the outputs it wants, and the problems it found
