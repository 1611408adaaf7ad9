"""kexie-site: a static site generator for the daily science-popularization columns of 科协."""

__version__ = "0.1.0"
