#!/usr/bin/env bash
# Renders the payroll report page (with and without a ledger) and an
# instructor statement in a real browser (headless Chromium) and checks that
# they rendered: a desktop (1280 px) and a phone (390 px) screenshot and an A4
# PDF of each, all non-trivial; that nothing on a page needs a sideways scroll
# at 1280 px; and that the report page prints on a few pages.
#
#   apt-get update && apt-get install -y chromium     # Debian's package, once
#   tests/render_report.sh [OUT_DIR]                   # default: target/render
#
# Environment: CHROMIUM (default: chromium), SESSIONPAY (default: the debug
# binary, built first), MAX_PRINTED_PAGES (default 6). Exits 0 when every
# check passed, 1 when one failed, and 0 with a note when Chromium is not
# installed (so a machine without it skips the check rather than fails). Look
# at the PNGs it names to judge the layout. The pages load nothing from the
# network, and Chromium is told it cannot resolve any host to prove it.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/target/render}"
chromium="${CHROMIUM:-chromium}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if ! command -v "$chromium" >/dev/null 2>&1; then
    echo "render_report: skipped: $chromium not found; install it with: apt-get update && apt-get install -y chromium" >&2
    exit 0
fi
max_pages="${MAX_PRINTED_PAGES:-6}"
if [[ -z "${SESSIONPAY:-}" ]]; then
    cargo build --quiet --manifest-path "$root/Cargo.toml" -p sessionpay-cli
    SESSIONPAY="$root/target/debug/sessionpay"
fi

fixtures="$root/fixtures/conformance"
"$SESSIONPAY" payroll --quiet --rates "$fixtures/rates.toml" --format html -o "$out/report.html" \
    --statements "$out/statements" "$fixtures/report.csv"
statements=("$out"/statements/*_1010_*.html)   # Ana Nakamura's, in name (period) order
cp "${statements[0]}" "$out/statement.html"

# With a ledger: May closed, then two sessions edited, so June's page and
# statements carry adjustments and the total due.
work="$(mktemp -d)"
profile="$(mktemp -d)"
trap 'rm -rf "$profile" "$work"' EXIT
"$SESSIONPAY" close --quiet --ledger "$work/pay.db" --rates "$fixtures/rates.toml" --through 2026-05-31 \
    "$fixtures/report.csv" >/dev/null
# Sessions 500000 (May, 11 attended) and 500005 (February) attended two more.
sed -e 's/^\(500000,.*,1\.5,\)11,/\113,/' -e 's/^\(500005,.*,0\.5,\)0,/\12,/' "$fixtures/report.csv" >"$work/edited.csv"
if cmp -s "$fixtures/report.csv" "$work/edited.csv"; then
    echo "render_report: the edit of the export changed nothing" >&2
    exit 1
fi
"$SESSIONPAY" payroll --quiet --ledger "$work/pay.db" --rates "$fixtures/rates.toml" --format html \
    -o "$out/ledger.html" --statements "$out/ledger-statements" "$work/edited.csv"
ledger_statements=("$out"/ledger-statements/*_1010_*.html)
cp "${ledger_statements[0]}" "$out/ledger-statement.html"

# One Chromium run: the page, then what to make of it (--dump-dom writes to stdout).
render() {
    "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --host-resolver-rules="MAP * ~NOTFOUND" \
        --user-data-dir="$profile" "$@" 2>/dev/null
}

failures=0
check() { # FILE MIN_BYTES WHAT
    local size=0
    [[ -f "$1" ]] && size=$(stat -c %s "$1")
    if (( size >= $2 )); then
        echo "ok    $3: $1 ($size bytes)"
    else
        echo "FAIL  $3: $1 ($size bytes, expected at least $2)"
        failures=$((failures + 1))
    fi
}

png_size() { # the width and height in a PNG's IHDR chunk
    od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'
}

# A copy of PAGE.html with a script that writes, once laid out, the widest
# thing that overflows its box (the document, or a table's scrolling box) into
# the DOM, for --dump-dom to read. The page itself has no script.
overflow() { # PAGE WIDTH
    local probe="$out/$1-probe.html"
    sed 's|</body>|<script>addEventListener("load", () => { const bad = []; const w = document.documentElement; if (w.scrollWidth > w.clientWidth) bad.push("page " + w.scrollWidth + " > " + w.clientWidth); for (const e of document.querySelectorAll(".scroll")) { if (e.scrollWidth > e.clientWidth) bad.push((e.closest("section") \|\| {}).id + " table " + e.scrollWidth + " > " + e.clientWidth); } const p = document.createElement("pre"); p.id = "overflow"; p.textContent = ["verdict", bad.join("; ") \|\| "none", "end"].join("="); document.body.append(p); });</script></body>|' \
        "$out/$1.html" >"$probe"
    render --dump-dom --window-size="$2,900" "file://$probe" | sed -n 's/.*verdict=\(.*\)=end.*/\1/p'
}

for page in report ledger statement ledger-statement; do
    got="$(overflow "$page" 1280)"
    if [[ "$got" == none ]]; then
        echo "ok    $page: nothing scrolls sideways at 1280 px"
    else
        echo "FAIL  $page at 1280 px: ${got:-no answer from the probe}"
        failures=$((failures + 1))
    fi
    for screen in desktop:1280,1600 phone:390,844; do
        name="${screen%%:*}"
        size="${screen#*:}"
        png="$out/$page-$name.png"
        rm -f "$png"
        render --screenshot="$png" --window-size="$size" "file://$out/$page.html" >/dev/null
        check "$png" 20000 "$page on a $name ($size)"
        if [[ -f "$png" ]]; then
            got="$(png_size "$png")"
            if [[ "$got" != "${size/,/x}" ]]; then
                echo "FAIL  $png is $got, expected ${size/,/x}"
                failures=$((failures + 1))
            fi
        fi
    done
    pdf="$out/$page.pdf"
    rm -f "$pdf"
    render --no-pdf-header-footer --print-to-pdf="$pdf" "file://$out/$page.html" >/dev/null
    check "$pdf" 10000 "$page printed"
    # Chromium writes each page's MediaBox in points: A4 is 595 x 842.
    if [[ -f "$pdf" ]] && ! grep -aq "MediaBox \[0 0 59[45]\.[0-9]* 84[12]\.[0-9]*\]" "$pdf"; then
        echo "FAIL  $pdf is not A4"
        failures=$((failures + 1))
    fi
    if [[ -f "$pdf" && "$page" == report ]]; then
        pages=$(grep -ac "/Type /Page\b" "$pdf" || true)
        if (( pages >= 1 && pages <= max_pages )); then
            echo "ok    $page prints on $pages A4 pages (at most $max_pages)"
        else
            echo "FAIL  $page prints on $pages A4 pages, more than $max_pages"
            failures=$((failures + 1))
        fi
    fi
done

if (( failures > 0 )); then
    echo "render_report: $failures check(s) failed" >&2
    exit 1
fi
echo "render_report: every page rendered; see $out/*.png and $out/*.pdf"
