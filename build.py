#!/usr/bin/env python3
"""Build the site: the same as `kexie-site build …` (python build.py --help lists the options)."""
import sys

if __name__ == "__main__":
    try:
        from kexie_site.cli import main
    except KeyboardInterrupt:            # Ctrl-C while Python is still starting
        sys.exit(130)
    sys.exit(main(["build", *sys.argv[1:]]))
