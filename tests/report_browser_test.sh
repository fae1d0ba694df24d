#!/usr/bin/env bash
# Renders the HTML report of every shipped scenario and loads it in headless Chromium, as a reader
# would: the page must load without errors, its DOM must hold charts with drawn marks, and its
# screenshot must show more than a blank page.
#
#   report_browser_test.sh TOKENCAST_BINARY SOURCE_DIR   run each SOURCE_DIR/scenarios/*.toml, check its report
#   report_browser_test.sh --check FILE.html...          check existing report files
#
# Exit 0: all pass; 1: a check failed; 77: no Chromium (or python3) here, skipped (ctest SKIP_RETURN_CODE).
# REPORT_SCREENSHOT_DIR=DIR keeps each report's screenshot there as NAME.png.
set -u

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [[ ! -x "$CHROMIUM" ]]; then
  echo "SKIP: $CHROMIUM not found"
  exit 77
fi
if ! command -v python3 >/dev/null; then
  echo "SKIP: python3 not found"
  exit 77
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# DOM and screenshot checks; prints one line per problem, exits 1 if any.
cat >"$WORK/check.py" <<'PY'
import re, struct, sys, zlib

def png_pixels(path):
    """Decodes an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) with the standard library."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width, height, bpp = 8, b"", 0, 0, 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace != 0 or colour_type not in (2, 6):
                raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour_type}, interlace {interlace})")
            bpp = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    rows, at = [], 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        if kind == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif kind == 2:
            for x in range(stride):
                line[x] = (line[x] + previous[x]) & 255
        elif kind == 3:
            for x in range(stride):
                left = line[x - bpp] if x >= bpp else 0
                line[x] = (line[x] + (left + previous[x]) // 2) & 255
        elif kind == 4:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = previous[x]
                c = previous[x - bpp] if x >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows

def check_dom(path):
    problems = []
    dom = open(path, encoding="utf-8", errors="replace").read()
    charts = re.findall(r"<svg\b.*?</svg>", dom, re.S)
    if not charts:
        problems.append("DOM has no <svg>")
    for number, svg in enumerate(charts, 1):
        title = re.search(r"<title>(.*?)</title>", svg, re.S)
        name = title.group(1) if title else f"chart {number}"
        marks = re.search(r'<g class="marks"[^>]*>(.*?)</g>', svg, re.S)
        drawn = marks.group(1) if marks else ""
        paths = re.findall(r'<path d="M', drawn)
        rects = [w for w in re.findall(r'<rect\b[^>]*\bwidth="([0-9.]+)"', drawn) if float(w) > 0]
        if not paths and not rects:
            problems.append(f"SVG '{name}' draws no marks")
        if re.search(r'\s(?:x|y|x1|x2|y1|y2|width|height|d|viewBox|transform)="[^"]*(?i:nan|inf)', svg):
            problems.append(f"SVG '{name}' has a non-finite attribute")
    if "<script" in dom:
        problems.append("DOM has a <script>")
    # Headless Chromium does not log a missing file:// image or style sheet, so look for any
    # reference leaving the page: the report must be self-contained.
    for ref in re.findall(r'\b(?:src|href|xlink:href)="([^"]*)"', dom) + re.findall(r"url\(([^)]*)\)", dom):
        if not ref.strip("'\" ").startswith("#"):
            problems.append(f"reference outside the page: {ref}")
    return problems

def check_png(path):
    width, height, bpp, rows = png_pixels(path)
    colours = set()
    for row in rows[::8]:  # every 8th row is plenty to tell a page from a blank
        for x in range(0, width * bpp, bpp * 2):
            colours.add(row[x:x + 3])
        if len(colours) > 10:
            return []
    return [f"screenshot {width}x{height} has only {len(colours)} colours (blank page?)"]

problems = check_dom(sys.argv[1]) + check_png(sys.argv[2])
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

# Chromium without network, sync, first-run or GPU; each call gets a fresh profile.
chromium() {
  local profile
  profile=$(mktemp -d "$WORK/profile.XXXX")
  timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --user-data-dir="$profile" \
    --enable-logging=stderr --v=0 "$@"
}

failures=0
fail() {
  echo "FAIL: $1"
  failures=$((failures + 1))
}

# check_report FILE.html LABEL
check_report() {
  local html label base log status
  html=$(realpath "$1")
  label=$2
  base="$WORK/$(basename "$html" .html)"
  log="$base.stderr"

  chromium --screenshot="$base.png" --window-size=1280,4000 "file://$html" >"$log.screenshot" 2>&1
  status=$?
  [[ $status -eq 0 ]] || fail "$label: chromium --screenshot exited $status"
  chromium --dump-dom "file://$html" >"$base.dom.html" 2>"$log.dom"
  status=$?
  [[ $status -eq 0 ]] || fail "$label: chromium --dump-dom exited $status"

  # Console errors and failed loads concern the page; other ERROR lines (D-Bus, GPU) do not.
  local errors
  errors=$(cat "$log.screenshot" "$log.dom" | grep -E "Failed to load|net::ERR|(ERROR:|CONSOLE).*(file://|$(basename "$html"))" || true)
  [[ -z "$errors" ]] || fail "$label: errors in Chromium's log:"$'\n'"$errors"

  if [[ ! -s "$base.png" ]]; then
    fail "$label: no screenshot written"
  elif [[ ! -s "$base.dom.html" ]]; then
    fail "$label: empty DOM dump"
  else
    local problems
    if ! problems=$(python3 "$WORK/check.py" "$base.dom.html" "$base.png" 2>&1); then
      fail "$label: $problems"
    fi
  fi
  if [[ -n "${REPORT_SCREENSHOT_DIR:-}" && -s "$base.png" ]]; then
    mkdir -p "$REPORT_SCREENSHOT_DIR" && cp "$base.png" "$REPORT_SCREENSHOT_DIR/$(basename "$html" .html).png"
  fi
  local charts
  charts=$(grep -o "<svg" "$base.dom.html" 2>/dev/null | wc -l)
  echo "checked $label: $charts charts"
}

if [[ "${1:-}" == "--check" ]]; then
  shift
  for file in "$@"; do check_report "$file" "$file"; done
else
  if [[ $# -ne 2 ]]; then
    echo "usage: $0 TOKENCAST_BINARY SOURCE_DIR | $0 --check FILE.html..." >&2
    exit 2
  fi
  binary=$1
  source_dir=$2
  shopt -s nullglob
  scenarios=("$source_dir"/scenarios/*.toml)
  [[ ${#scenarios[@]} -gt 0 ]] || fail "no scenarios in $source_dir/scenarios"
  for scenario in "${scenarios[@]}"; do
    name=$(basename "$scenario" .toml)
    report="$WORK/$name.html"
    if ! "$binary" run "$scenario" --trials 400 --report "$report" >"$WORK/$name.run.log" 2>&1; then
      fail "$name: tokencast run failed:"$'\n'"$(tail -5 "$WORK/$name.run.log")"
      continue
    fi
    check_report "$report" "$name"
  done
fi

if [[ $failures -gt 0 ]]; then
  echo "report_browser: $failures failed"
  exit 1
fi
echo "report_browser: all reports passed"
exit 0
