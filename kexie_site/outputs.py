"""Every output of a build, planned: the registry of output kinds (KINDS), the Layout they are
all given, and the rule that no two outputs share a path.

To add an output kind: write a module with `KIND = OutputKind(name, label, plan)` (layout.py)
and add it to KINDS. `plan(layout)` returns the outputs it wants, each with its key (the same
key as last build: not made again), and the problems it found.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import archivejson, copies, feeds, pages, searchindex, sitemap
from .errors import Problem, error
from .hashing import digest
from .inputs import FilesRead, Inputs
from .layout import Layout, OutputKind
from .model import Output, Site
from .templates import theme_digest

KINDS: tuple[OutputKind, ...] = (pages.KIND, feeds.KIND, sitemap.KIND, archivejson.KIND, copies.KIND,
                                 searchindex.KIND)


@dataclass(frozen=True)
class Plan:
    outputs: tuple[Output, ...]
    problems: tuple[Problem, ...]
    kinds: tuple[OutputKind, ...]
    kind_of: dict[str, str] = field(default_factory=dict)      # output path -> its kind's name

    def count(self, name: str) -> int:
        return sum(1 for k in self.kind_of.values() if k == name)


def lay_out(inputs: Inputs, site: Site, read: FilesRead, bodies, notes: list[Problem], jobs: int = 1) -> Layout:
    """What every output kind is given. The site key changes with the code, the theme's
    templates, site.toml and whatever every page shows of the site. `jobs`: the processes the
    work shared by many outputs may use (their articles' text read from the cache file)."""
    site_ctx = pages.site_context(site, dev=inputs.options.dev)
    site_key = digest(inputs.code, theme_digest(list(inputs.layers)), inputs.config, site_ctx)
    return Layout(site, inputs.zone, pages.plan_pages(site), site_ctx, site_key, inputs.layers,
                  read.theme_static, read.site_static, bodies, notes, {}, bodies.text, inputs.out_dir, inputs.records,
                  jobs)


def plan_outputs(layout: Layout, kinds: tuple[OutputKind, ...]) -> Plan:
    """The outputs of every kind, in the order of the kinds, and the problems they found; two
    outputs for one path are an error."""
    outputs: list[Output] = []
    problems: list[Problem] = []
    kind_of: dict[str, str] = {}
    for kind in kinds:
        wanted, found = kind.plan(layout)
        outputs.extend(wanted)
        problems.extend(found)
        kind_of.update((o.path, kind.name) for o in wanted)
    problems.extend(find_collisions(outputs))
    return Plan(tuple(outputs), tuple(problems), tuple(kinds), kind_of)


def find_collisions(outputs: list[Output]) -> list[Problem]:
    """Two outputs for one path, also when they differ only in letter case, are an error, and so
    is an output where another one needs a folder (static/2024 and the articles of 2024)."""
    seen: dict[str, Output] = {}
    problems = []
    for out in outputs:
        key = out.path.casefold()
        if key in seen:
            first = seen[key]
            problems.append(error(out.origin or out.path, 1,
                                  f"输出文件 {out.path} 与 {first.origin or first.path} 生成的 {first.path} 冲突 (two outputs for one path)",
                                  "改掉其中一个的 slug 或文件名"))
        else:
            seen[key] = out
    folders: set[str] = set()                 # a file where another output needs a folder
    for out in outputs:
        parts = out.path.casefold().split("/")[:-1]
        for i in range(len(parts), 0, -1):
            folder = "/".join(parts[:i])
            if folder in folders:
                break                         # and so are the folders above it
            folders.add(folder)
            if folder in seen:
                file = seen[folder]
                problems.append(error(file.origin or file.path, 1,
                                      f"输出文件 {file.path} 与 {out.origin or out.path} 需要的文件夹 {folder}/ 冲突 (a file where a folder is needed)",
                                      "给其中一个换个名字"))
    return problems
