#!/usr/bin/env bash
# Renders the payroll report page and an instructor statement in a real
# browser (headless Chromium) and checks that they rendered: a desktop and a
# phone screenshot and an A4 PDF of each, all non-trivial.
#
#   apt-get update && apt-get install -y chromium     # Debian's package, once
#   tests/render_report.sh [OUT_DIR]                   # default: target/render
#
# Environment: CHROMIUM (default: chromium), SESSIONPAY (default: the debug
# binary, built first). Exits 0 when everything rendered, 1 otherwise; look at
# the PNGs it names to judge the layout. The pages load nothing from the
# network, and Chromium is told it cannot resolve any host to prove it.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
out="${1:-$root/target/render}"
chromium="${CHROMIUM:-chromium}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

if ! command -v "$chromium" >/dev/null 2>&1; then
    echo "render_report: $chromium not found; install it with: apt-get update && apt-get install -y chromium" >&2
    exit 1
fi
if [[ -z "${SESSIONPAY:-}" ]]; then
    cargo build --quiet --manifest-path "$root/Cargo.toml" -p sessionpay-cli
    SESSIONPAY="$root/target/debug/sessionpay"
fi

fixtures="$root/fixtures/conformance"
"$SESSIONPAY" payroll --quiet --rates "$fixtures/rates.toml" --format html -o "$out/report.html" \
    --statements "$out/statements" "$fixtures/report.csv"
statements=("$out"/statements/*_1010_*.html)   # Ana Nakamura's, in name (period) order
cp "${statements[0]}" "$out/statement.html"

profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT

# One Chromium run: the page, then what to make of it.
render() {
    "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --hide-scrollbars --host-resolver-rules="MAP * ~NOTFOUND" \
        --user-data-dir="$profile" "$@" >/dev/null 2>&1
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

for page in report statement; do
    for screen in desktop:1200,1600 phone:390,844; do
        name="${screen%%:*}"
        size="${screen#*:}"
        png="$out/$page-$name.png"
        rm -f "$png"
        render --screenshot="$png" --window-size="$size" "file://$out/$page.html"
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
    render --no-pdf-header-footer --print-to-pdf="$pdf" "file://$out/$page.html"
    check "$pdf" 10000 "$page printed"
    # Chromium writes each page's MediaBox in points: A4 is 595 x 842.
    if [[ -f "$pdf" ]] && ! grep -aq "MediaBox \[0 0 59[45]\.[0-9]* 84[12]\.[0-9]*\]" "$pdf"; then
        echo "FAIL  $pdf is not A4"
        failures=$((failures + 1))
    fi
done

if (( failures > 0 )); then
    echo "render_report: $failures check(s) failed" >&2
    exit 1
fi
echo "render_report: every page rendered; see $out/*.png and $out/*.pdf"
