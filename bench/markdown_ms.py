#!/usr/bin/env python3
"""Milliseconds of the Markdown stage per article: parse every article of a site once, then time
`markup.render` over all of them (the median of --repeat passes). Which kexie_site it measures is
whichever Python imports: run it with PYTHONPATH set to a checkout to measure that one.

    python bench/markdown_ms.py SITE_DIR [--limit N] [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", type=Path)
    ap.add_argument("--limit", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)

    from kexie_site.config import load_config
    from kexie_site.dates import get_zone
    from kexie_site.markup import render
    from kexie_site.model import SourceFile
    from kexie_site.parse import parse_article
    from kexie_site.sources import sha256

    config, _ = load_config((args.site / "site.toml").read_text("utf-8"))
    zone = get_zone(config.timezone)
    docs = []
    for path in sorted((args.site / "content").rglob("*.md"))[:args.limit]:
        data = path.read_bytes()
        doc, _ = parse_article(SourceFile(path.relative_to(args.site).as_posix(), data, sha256(data)), config, zone)
        if doc is not None:
            docs.append(doc)
    try:                              # the files an article may name: none here, for both versions
        from kexie_site.refs import Files

        def one(doc):
            return render(doc, Files({}, config.base_path), config.summary_length)
    except ImportError:               # before refs.py (0ff314c and older)
        def one(doc):
            return render(doc, {}, config.base_path, config.summary_length)
    one(docs[0])                      # the parser is built once
    passes = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        for doc in docs:
            one(doc)
        passes.append((time.perf_counter() - started) * 1000 / len(docs))
    print(f"{statistics.median(passes):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
