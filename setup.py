"""Which packages the wheel holds: kexie_site and every sub-package it grows, found, not listed
by hand; and the default theme, which lives at themes/ in the repository (where the example
site and theme authors find it) and ships inside the package as kexie_site/themes/.
Everything else is in pyproject.toml."""
from setuptools import find_packages, setup

setup(packages=[*find_packages(include=["kexie_site", "kexie_site.*"]), "kexie_site.themes"],
      package_dir={"kexie_site.themes": "themes"})
