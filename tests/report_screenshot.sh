#!/bin/sh
# The report opened in headless Chromium and screenshotted (issue #5): `mtok report` into a fresh
# directory and database, then Chromium loads index.html (with its SVG charts) and writes a PNG.
# The screenshot is kept as BUILD/report-screenshot.png for a person to look at.
# Usage: report_screenshot.sh MTOK BUILD_DIR.  Exit 77 (skipped) when chromium is not installed.
set -eu
mtok=$1
build=$2
browser=""
for b in chromium chromium-browser google-chrome; do
    if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
done
if [ -z "$browser" ]; then
    echo "report_screenshot: chromium not installed (apt-get install -y chromium): skipped"
    exit 77
fi
work=$(mktemp -d /tmp/mtok-shot-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$mtok" report --out "$work/report" --db "$work/mtok.db"
for f in index.html report.md chart1_cost_output.svg chart2_pareto.svg chart3_roofline.svg \
         chart4_history.svg chart5_breakeven.svg table_cost_8k-1k.csv table_ceilings.csv \
         table_kernels.csv table_accuracy.csv table_accuracy_kernels.csv; do
    [ -s "$work/report/$f" ] || { echo "report_screenshot: $f missing"; exit 1; }
done
# the measured kernels against the simulator: the three prediction schemes
[ "$(tail -n +2 "$work/report/table_accuracy.csv" | wc -l)" -eq 3 ] ||
    { echo "report_screenshot: table_accuracy.csv does not have its three rows"; exit 1; }
HOME=$work timeout 180 "$browser" --headless=new --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$work/profile" --window-size=1280,2600 \
    --screenshot="$work/shot.png" "file://$work/report/index.html" >"$work/chromium.log" 2>&1 || {
    echo "report_screenshot: $browser failed:"; tail -5 "$work/chromium.log"; exit 1; }
[ -s "$work/shot.png" ] || { echo "report_screenshot: no screenshot"; exit 1; }
# a PNG, and not a blank page: a rendered report with charts compresses to well over 100 kB
sig=$(od -An -tx1 -N8 "$work/shot.png" | tr -d ' \n')
[ "$sig" = "89504e470d0a1a0a" ] || { echo "report_screenshot: not a PNG"; exit 1; }
size=$(wc -c <"$work/shot.png")
[ "$size" -gt 100000 ] || { echo "report_screenshot: screenshot only $size bytes"; exit 1; }
cp "$work/shot.png" "$build/report-screenshot.png"
echo "report_screenshot: ok ($size bytes): $build/report-screenshot.png"
