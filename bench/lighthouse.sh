#!/usr/bin/env bash
# Lighthouse (mobile, its default) on the example site's pages: performance, accessibility, best
# practices and SEO. Lighthouse is not a dependency of kexie-site: it is installed from npm into
# a folder of its own, and uses Debian's chromium.
#
#   npm install --prefix /tmp/lh lighthouse     # once
#   python build.py && bash bench/lighthouse.sh [/tmp/lh]
set -euo pipefail
LH="${1:-/tmp/lh}/node_modules/.bin/lighthouse"
cd "$(dirname "$0")/../public"
python3 -m http.server 8765 --bind 127.0.0.1 > /dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER' EXIT
sleep 1
OUT=$(mktemp -d)
for page in "" "2024/10/25/yimuliaoran-tieqiu-he-yumao-shui-xian-luodi/" "columns/kyky/" "search/" "stats/" "hot/"; do
  name=$(echo "${page:-home}" | tr '/' '_')
  CHROME_PATH=/usr/bin/chromium "$LH" "http://127.0.0.1:8765/$page" --quiet \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu" --output=json --output-path="$OUT/$name.json" \
    --only-categories=performance,accessibility,best-practices,seo
  python3 - "$OUT/$name.json" "/$page" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
scores = {k: round(v["score"] * 100) for k, v in report["categories"].items()}
print(f"| {sys.argv[2]} | " + " | ".join(str(scores[k]) for k in ("performance", "accessibility", "best-practices", "seo")) + " |")
for category in ("accessibility", "seo", "best-practices"):
    for ref in report["categories"][category]["auditRefs"]:
        audit = report["audits"][ref["id"]]
        if audit.get("score") is not None and audit["score"] < 1 and ref["weight"] > 0:
            print(f"  {category}: {ref['id']}: {audit['title']}")
PY
done
