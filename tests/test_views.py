"""View-count-ready archive: counter keys, imported counts, Chinese totals, 热门, stats, archive.json."""
from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

import jsonschema
import pytest

from conftest import REPO, article, build_site, page, parse_html, site_toml, write_site
from kexie_site.views import normalize_url

FILES = {
    "content/a.md": article("黑洞", "2024-08-22", id="kyky-1", tags=["天文"]),
    "content/b.md": article("白洞", "2024-08-23", id="kyky-2"),
    "content/c.md": article("虫洞", "2024-09-01", column="一目了然科普汇", id="ymlr-1"),
}
A_URL = "2024/08/22/heidong/"


def views_site(tmp_path, csv: str, extra: dict | None = None, config: str | None = None):
    return write_site(tmp_path / "site", {**FILES, "data/views.csv": csv, **(extra or {})}, config=config)


def count_on(doc) -> str:
    return doc.xpath("string(//span[@class='view-count'])")


def test_counts_are_summed_per_article_column_site_and_source_and_shown_the_chinese_way(tmp_path):
    csv = ("id,url,source,views\n"
           "kyky-1,,site,12000\nkyky-1,,wechat,41000\n,https://kepu.example.cn/2024/08/22/heidong/,xuexi,2100000\n"
           "kyky-2,,wechat,9999\nymlr-1,,wechat,230000000\n")
    site = views_site(tmp_path, csv)
    result, out = build_site(site)
    assert result.problems == ()
    a = page(out, A_URL)
    assert count_on(a) == "215.3万"                                    # 12000 + 41000 + 2100000
    assert a.xpath("//span[@class='view-count']/@data-page-key") == ["kyky-1"]
    assert count_on(page(out, "2024/08/23/baidong/")) == "9999"
    col = page(out, "columns/kyky/").xpath("string(//p[@class='count'])")
    assert "215.3万" not in col and "216.3万" in col                   # 2153000 + 9999 = 2162999
    stats = page(out, "stats/")
    assert stats.xpath("string(//strong[@class='site-views'])") == "2.3亿"
    assert stats.xpath("//strong[@class='site-views']/@data-views") == [str(2153000 + 9999 + 230000000)]
    sources = {r.xpath("string(td[1])"): r.xpath("string(td[2])") for r in stats.xpath("//table[@id='by-source']/tbody/tr")}
    assert sources == {"微信公众号": "2.3亿", "学习强国": "210万", "网站": "1.2万"}
    months = {r.xpath("string(td[1])"): r.xpath("string(td[2]/@data-views)") for r in stats.xpath("//table[@id='by-month']/tbody/tr")}
    assert months == {"2024年9月": "230000000", "2024年8月": str(2153000 + 9999)}
    assert len(stats.xpath("//svg/rect")) == 2
    year = page(out, "archive/2024/")
    cells = {r.xpath("string(td[2])"): r.xpath("string(td[4])") for r in year.xpath("//table/tbody/tr")}
    assert cells == {"黑洞": "215.3万", "白洞": "9999", "虫洞": "2.3亿"}
    hot = page(out, "hot/")
    assert [a.text for a in hot.xpath("//section[1]//ol/li/a")] == ["虫洞", "黑洞", "白洞"]
    for name in ("feed.xml", "atom.xml"):
        assert "215.3万" not in (out / name).read_text("utf-8") and "浏览量" not in (out / name).read_text("utf-8")


@pytest.mark.parametrize("written", [
    "https://kepu.example.cn/2024/08/22/heidong/", "https://kepu.example.cn/2024/08/22/heidong",
    "/2024/08/22/heidong/index.html", "2024/08/22/heidong", "/2024/08/22/%68eidong/",
    "http://other.example/2024/08/22/heidong/?from=timeline#top",
])
def test_urls_match_however_they_are_written(tmp_path, written):
    site = views_site(tmp_path, f"id,url,source,views\n,{written},site,100\n")
    result, out = build_site(site)
    assert result.problems == ()
    assert count_on(page(out, A_URL)) == "100"


def test_urls_under_a_sub_path_match_with_or_without_it():
    base = "/kexie/kepu/"
    for written in ("https://www.example.gov.cn/kexie/kepu/2024/08/22/heidong/", "/kexie/kepu/2024/08/22/heidong/index.html",
                    "/2024/08/22/heidong", "%2Fkexie%2Fkepu%2F2024%2F08%2F22%2Fheidong%2F"):
        assert normalize_url(written, base) == A_URL, written


def test_bad_rows_are_warnings_with_file_and_line(tmp_path):
    csv = ("id,url,source,views\n"
           "kyky-1,,site,100\n"
           "nobody,,site,5\n"
           "kyky-1,,wechat,5.3万\n"
           "kyky-1,site\n"
           "\n"
           ",/2024/01/01/none/,site,7\n")
    site = views_site(tmp_path, csv, {"data/views/wechat.json": json.dumps([{"id": "kyky-2", "source": "wechat", "views": 300}]),
                                      "data/views/bad.json": "{not json"})
    result, out = build_site(site)
    found = [(p.path, p.line, p.severity) for p in result.problems]
    assert ("data/views.csv", 3, "warning") in found           # unknown article
    assert ("data/views.csv", 4, "warning") in found           # not a number
    assert ("data/views.csv", 5, "warning") in found           # malformed line
    assert ("data/views.csv", 7, "warning") in found           # unknown URL
    assert any(p == "data/views/bad.json" for p, _, _ in found)
    assert count_on(page(out, A_URL)) == "100"
    assert count_on(page(out, "2024/08/23/baidong/")) == "300"


def test_archive_json_validates_against_the_schema(tmp_path):
    site = views_site(tmp_path, "id,url,source,views\nkyky-1,,wechat,53000\nkyky-1,,site,7\n")
    _, out = build_site(site)
    data = json.loads((out / "archive.json").read_text("utf-8"))
    schema = json.loads((REPO / "schemas" / "archive.schema.json").read_text("utf-8"))
    jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())
    first = {a["id"]: a for a in data["articles"]}["kyky-1"]
    assert first["views"] == {"total": 53007, "by_source": {"site": 7, "wechat": 53000}}
    assert [a["id"] for a in data["articles"]] == ["ymlr-1", "kyky-2", "kyky-1"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**data, "articles": [{**first, "views": {"total": -1, "by_source": {}}}]}, schema)


def test_the_example_site_archive_json_validates(example_site, tmp_path):
    _, out = build_site(example_site, tmp_path / "out")
    schema = json.loads((REPO / "schemas" / "archive.schema.json").read_text("utf-8"))
    jsonschema.validate(json.loads((out / "archive.json").read_text("utf-8")), schema,
                        format_checker=jsonschema.FormatChecker())


def provider_config(provider: str, url: str = "") -> str:
    extra = {"endpoint": f'endpoint = "{url}"', "goatcounter": f'goatcounter = "{url}"'}.get(provider, "")
    return site_toml() + f'\n[views]\nprovider = "{provider}"\n{extra}\n'


def test_provider_none_emits_no_counting_script(tmp_path):
    site = views_site(tmp_path, "id,url,source,views\nkyky-1,,site,5\n", config=provider_config("none"))
    _, out = build_site(site)
    for path in out.rglob("*.html"):
        srcs = parse_html(path).xpath("//script/@src")
        assert all(s.endswith(("/static/a11y.js", "/static/search.js")) for s in srcs), (path, srcs)


def test_unknown_provider_or_missing_endpoint_is_a_config_error(tmp_path):
    from conftest import problems_of
    site = views_site(tmp_path, "", config=provider_config("endpoint", "https://stats.example.cn/hit"))
    problems = problems_of(site)
    assert problems[0].path == "site.toml" and "{key}" in problems[0].hint


class Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        Counter.hits.append(self.path)
        body = json.dumps({"count": 123456}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_endpoint_counter_updates_the_page_in_a_real_browser(tmp_path):
    from test_browser import ARGS, CHROMIUM
    from quality import require
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("playwright", "pip install playwright")
    if not Path(CHROMIUM).exists():
        require("chromium", "apt-get install chromium")
    counter = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=counter.serve_forever, daemon=True).start()
    endpoint = f"http://127.0.0.1:{counter.server_address[1]}/hit?key={{key}}"
    site = views_site(tmp_path, "id,url,source,views\nkyky-1,,site,5\n", config=provider_config("endpoint", endpoint))
    _, out = build_site(site)
    doc = parse_html(out / A_URL / "index.html")
    assert count_on(doc) == "5"
    static = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(http.server.SimpleHTTPRequestHandler,
                                                                                  directory=str(out)))
    threading.Thread(target=static.serve_forever, daemon=True).start()
    hosts = set()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page_ = browser.new_page()
            page_.on("request", lambda r: hosts.add(r.url.split("/")[2]))
            page_.goto(f"http://127.0.0.1:{static.server_address[1]}/{A_URL}")
            page_.wait_for_selector(".view-count[data-live='1']", timeout=10000)
            assert page_.locator(".view-count").inner_text() == "12.3万"
            counter.shutdown()                                 # unreachable: the static count stays
            page_.reload()
            page_.wait_for_timeout(1000)
            assert page_.locator(".view-count").inner_text() == "5"
            browser.close()
    finally:
        static.shutdown()
    assert Counter.hits and Counter.hits[0] == "/hit?key=kyky-1"
    assert hosts <= {f"127.0.0.1:{static.server_address[1]}", f"127.0.0.1:{counter.server_address[1]}"}
