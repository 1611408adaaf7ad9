#!/usr/bin/env python3
"""Build the site: the same as `kexie-site build …` (python build.py --help lists the options)."""
import sys

from kexie_site.cli import main

if __name__ == "__main__":
    sys.exit(main(["build", *sys.argv[1:]]))
