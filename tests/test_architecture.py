"""The shape of the code, checked: short functions and a build that reads as its recipe, imports
that only go down, no module-level state changed at run time, templates that get their URLs from
urls.py, and a code digest that covers the whole package."""
from __future__ import annotations

import ast
import re
from pathlib import Path

from kexie_site import hashing

from conftest import REPO

PACKAGE = REPO / "kexie_site"
MODULES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
MUTATORS = {"append", "extend", "insert", "add", "update", "clear", "pop", "popitem", "remove", "discard",
            "setdefault", "sort", "reverse"}
# set once per worker process by the process pool's initializer: how a pool hands data to a worker
ALLOWED_STATE = {("parallel.py", "_Worker")}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text("utf-8"), str(path))


def _functions(tree):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def test_no_function_is_over_80_lines_and_build_is_a_recipe_on_one_screen():
    long = [f"{p.relative_to(REPO)}:{f.lineno} {f.name} ({f.end_lineno - f.lineno + 1} lines)"
            for p in MODULES for f in _functions(_tree(p)) if f.end_lineno - f.lineno + 1 > 80]
    assert long == []
    build = next(f for f in _functions(_tree(PACKAGE / "pipeline.py")) if f.name == "build")
    assert build.end_lineno - build.lineno + 1 <= 40


def _imports(path: Path) -> set[str]:
    """The package's modules path imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.update([node.module.split(".")[0]] if node.module else [a.name for a in node.names])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kexie_site."):
            found.add(node.module.split(".")[1])
    return found


def test_imports_only_go_down():
    names = {p.stem for p in MODULES}
    graph = {p.stem: _imports(p) & names for p in MODULES}
    order: list[str] = []
    visiting: list[str] = []

    def visit(name):
        if name in order:
            return
        assert name not in visiting, "import cycle: " + " → ".join(visiting[visiting.index(name):] + [name])
        visiting.append(name)
        for dep in sorted(graph[name]):
            visit(dep)
        visiting.pop()
        order.append(name)
    for name in sorted(graph):
        visit(name)
    assert order.index("pipeline") > order.index("perarticle") and order.index("check") > order.index("pipeline")


def _module_state_changed(path: Path) -> list[str]:
    """Module-level names that functions change: `global`, an item or attribute set, a mutating
    method called on them."""
    tree = _tree(path)
    top = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        top.update(t.id for t in targets if isinstance(t, ast.Name))
        if isinstance(node, ast.ClassDef):
            top.add(node.name)
    found = []
    for func in _functions(tree):
        for node in ast.walk(func):
            if isinstance(node, ast.Global):
                found += [f"global {n}" for n in node.names]
            elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
                for target in getattr(node, "targets", None) or [node.target]:
                    base = target.value if isinstance(target, (ast.Subscript, ast.Attribute)) else None
                    if isinstance(base, ast.Name) and base.id in top:
                        found.append(f"{base.id} changed")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
                base = node.func.value
                if isinstance(base, ast.Name) and base.id in top:
                    found.append(f"{base.id}.{node.func.attr}()")
    return [f"{path.name}: {what}" for what in found
            if (path.name, what.split()[0].split(".")[0].split("global ")[-1]) not in ALLOWED_STATE]


def test_no_module_level_state_is_changed_at_run_time():
    assert [what for p in MODULES for what in _module_state_changed(p)] == []


def test_the_state_check_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("_MEMO = {}\nCOUNT = 0\n\ndef f(x):\n    global COUNT\n    _MEMO[x] = 1\n    _MEMO.update(a=1)\n", "utf-8")
    assert _module_state_changed(sample) == ["sample.py: global COUNT", "sample.py: _MEMO changed",
                                             "sample.py: _MEMO.update()"]


def test_templates_get_their_urls_and_never_build_them():
    built = []
    for template in sorted((REPO / "themes/default/templates").glob("*.html")):
        text = template.read_text("utf-8")
        built += [f"{template.name}: {m.group(0)}" for m in re.finditer(
            r"'[^']*'\s*\|\s*href|~\s*'[^']*/'|'/'\s*~|}}/|(?:href|src)=\"https?:", text)]
    assert built == []


def test_the_code_digest_covers_every_module_of_the_package_sub_packages_too(tmp_path, monkeypatch):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.py").write_text("A = 1\n", "utf-8")
    (tmp_path / "sub" / "b.py").write_text("B = 1\n", "utf-8")
    monkeypatch.setattr(hashing, "PACKAGE", tmp_path)
    before = hashing.code_digest(1)
    (tmp_path / "sub" / "b.py").write_text("B = 2\n", "utf-8")
    assert hashing.code_digest(1) != before
    assert hashing.code_digest(2) != hashing.code_digest(1)


def test_a_theme_that_reads_an_articles_html_from_the_site_gets_an_error_at_its_line(tmp_path):
    """The assembled site carries no article HTML (pages get it as `content`): a theme that reads
    `article.rendered.html` in a list must get an error naming its template and line, never a
    page with an empty body."""
    from conftest import article, problems_of, write_site

    listing = (REPO / "themes/default/templates/index.html").read_text("utf-8")
    site = write_site(tmp_path / "site", {
        "content/kyky/a.md": article("黑洞是什么", "2024-08-20", id="kyky-a"),
        "themes/default/templates/index.html": listing.replace(
            "{% block main %}", "{% block main %}\n{% for a in articles %}{{ a.rendered.html }}{% endfor %}", 1),
    })
    problems = problems_of(site)
    line = listing.split("\n").index("{% block main %}") + 2
    assert [(Path(p.path).name, p.line) for p in problems] == [("index.html", line)]
    assert "template error" in problems[0].message and "content" in problems[0].hint
