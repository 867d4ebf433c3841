#!/usr/bin/env bash
# Compare sessionpay with an independent DuckDB implementation (benches/payroll.sql) on a
# synthetic export: same payroll figures, and wall time, CPU time and peak RSS of each.
#
# usage: benches/compare.sh [N]          N sessions (default 1000000; or N=10000000 in the env)
# env:   SEED=1                          generator seed
#        TOOLS="sessionpay duckdb"       which tools to run (e.g. TOOLS=duckdb for the baseline only)
#        SESSIONPAY=/path/to/sessionpay  use this binary instead of building sessionpay-cli
#        FORCE_GEN=1                     regenerate the data even if present
#        SHAPES="pages json"             the other JSON shapes sessionpay is run on (empty: none)
# Exit: 0 when every figure agrees, 1 when they differ or a tool fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
n="${1:-${N:-1000000}}"
n="${n//_/}"
seed="${SEED:-1}"
tools="${TOOLS:-sessionpay duckdb}"
target="$here/target"
data="$target/data"
venv="$target/venv"
run="$target/runs/n$n-seed$seed"
mkdir -p "$data" "$run"

log() { printf '== %s\n' "$*" >&2; }

# --- tools -----------------------------------------------------------------------------------
if [[ ! -x /usr/bin/time ]]; then
    log "installing GNU time (/usr/bin/time)"
    if [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && apt-get install -y -qq time >/dev/null
    else
        sudo apt-get update -qq && sudo apt-get install -y -qq time >/dev/null
    fi
fi

if [[ " $tools " == *" duckdb "* ]] && ! "$venv/bin/python" -c 'import duckdb' 2>/dev/null; then
    log "creating $venv with duckdb"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "duckdb>=1.3"   # payroll.sql uses the `lambda x:` syntax
fi
py="$venv/bin/python"
[[ -x "$py" ]] || py=python3   # compare_payroll.py and rates_to_csv.py need only the stdlib

log "building gen-export"
cargo build --quiet --release --manifest-path "$here/Cargo.toml" --bin gen-export
gen="$here/target/release/gen-export"

if [[ " $tools " == *" sessionpay "* ]]; then
    if [[ -n "${SESSIONPAY:-}" ]]; then
        sessionpay="$SESSIONPAY"
    else
        log "building sessionpay-cli (release)"
        (cd "$root" && cargo build --quiet --release -p sessionpay-cli)
        sessionpay="$root/target/release/sessionpay"
    fi
fi

# --- data --------------------------------------------------------------------------------------
base="$data/sessions-n$n-seed$seed"
csv="$base.csv"
rates="$base.rates.toml"
expected="$base.expected-payroll.csv"
rm -f "$run/gen.time"   # figures of the generator are shown only when it ran now
if [[ -n "${FORCE_GEN:-}" || ! -s "$csv" || ! -s "$rates" || ! -s "$expected" ]]; then
    log "generating $n sessions (seed $seed) into $csv"
    /usr/bin/time -v -o "$run/gen.time" \
        "$gen" --sessions "$n" --seed "$seed" --format csv --out "$csv.tmp" \
        --rates-out "$rates" --payroll-out "$expected"
    mv "$csv.tmp" "$csv"
else
    log "reusing $csv"
fi
"$py" "$here/scripts/rates_to_csv.py" "$rates" "$run/rates.csv" "$run/venues.csv"

# --- runs --------------------------------------------------------------------------------------
# figures FILE: "wall_s cpu_s maxrss_mib" from a `/usr/bin/time -v` report
figures() {
    awk -F': ' '
        /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
        /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident set size/ { r = $2 }
        END { printf "%.2f %.2f %.0f", w, u + s, r / 1024 }' "$1"
}

declare -A out
status=0
summary=()
plain_out=()
for tool in $tools; do
    case "$tool" in
        sessionpay) cmd=("$sessionpay" payroll --period month --rates "$rates" "$csv") ;;
        duckdb) cmd=("$py" "$here/scripts/run_duckdb.py" "$csv" "$run/rates.csv" "$run/venues.csv" "$here/payroll.sql") ;;
        *) echo "compare.sh: unknown tool $tool (sessionpay, duckdb)" >&2; exit 2 ;;
    esac
    out[$tool]="$run/$tool.payroll.csv"
    log "running $tool: ${cmd[*]}"
    rc=0
    /usr/bin/time -v -o "$run/$tool.time" "${cmd[@]}" >"${out[$tool]}" 2>"$run/$tool.stderr" || rc=$?
    if [[ $rc -ne 0 ]]; then
        echo "compare.sh: $tool exited with $rc; its stderr ($run/$tool.stderr):" >&2
        tail -n 20 "$run/$tool.stderr" >&2
        status=1
        continue
    fi
    read -r wall cpu rss <<<"$(figures "$run/$tool.time")"
    summary+=("$(printf '%-10s wall %8.2f s   cpu %8.2f s   peak RSS %7d MiB   rows %d' \
        "$tool" "$wall" "$cpu" "$rss" "$(($(wc -l <"${out[$tool]}") - 1))")")
done

# --- plain queries: the race against what a data person would write ---------------------------
# benches/plain_<shape>.sql, when present, runs on the same sessions in that shape, beside
# sessionpay on that shape; each adds a row. A plain query that prints
# instructor_id,currency,period_start,... is checked against the generator's payroll on the
# columns it has (sessions, hours, counted_customers, computed_pay; see README.md).
for shape in csv ndjson; do
    sql="$here/plain_$shape.sql"
    [[ -f "$sql" && " $tools " == *" duckdb "* ]] || continue
    file="$base.$shape"
    if [[ "$shape" != csv && ( -n "${FORCE_GEN:-}" || ! -s "$file" ) ]]; then
        log "generating $n sessions (seed $seed) as $shape into $file"
        "$gen" --sessions "$n" --seed "$seed" --format "$shape" --out "$file.tmp" --quiet
        mv "$file.tmp" "$file"
    fi
    runs=("duckdb-plain-$shape" "$py" "$here/scripts/run_duckdb.py" "$file" "$run/rates.csv" "$run/venues.csv" "$sql")
    if [[ " $tools " == *" sessionpay "* && "$shape" != csv ]]; then
        runs+=("|" "sessionpay-$shape" "$sessionpay" payroll --period month --rates "$rates" "$file")
    fi
    while ((${#runs[@]})); do
        name="${runs[0]}"; cmd=(); runs=("${runs[@]:1}")
        while ((${#runs[@]})) && [[ "${runs[0]}" != "|" ]]; do cmd+=("${runs[0]}"); runs=("${runs[@]:1}"); done
        ((${#runs[@]})) && runs=("${runs[@]:1}")
        log "running $name: ${cmd[*]}"
        if /usr/bin/time -v -o "$run/$name.time" "${cmd[@]}" >"$run/$name.out" 2>"$run/$name.stderr"; then
            read -r wall cpu rss <<<"$(figures "$run/$name.time")"
            summary+=("$(printf '%-10s wall %8.2f s   cpu %8.2f s   peak RSS %7d MiB   rows %d' \
                "$name" "$wall" "$cpu" "$rss" "$(($(wc -l <"$run/$name.out") - 1))")")
            plain_out+=("$run/$name.out")
        else
            echo "compare.sh: $name failed; its stderr ($run/$name.stderr):" >&2
            tail -n 20 "$run/$name.stderr" >&2
            status=1
        fi
    done
done

# --- the other JSON shapes: a folder of pages and one response, sessionpay only -----------------
# SHAPES="pages json" by default; SHAPES= (empty) skips them. Each is checked against the
# generator's payroll like the CSV run.
shapes="${SHAPES-pages json}"
if [[ " $tools " == *" sessionpay "* ]]; then
    for shape in $shapes; do
        file="$base.$shape"
        if [[ -n "${FORCE_GEN:-}" || ! -e "$file" ]]; then
            log "generating $n sessions (seed $seed) as $shape into $file"
            rm -rf "$file.tmp"
            "$gen" --sessions "$n" --seed "$seed" --format "$shape" --out "$file.tmp" --quiet
            mv "$file.tmp" "$file"
        fi
        name="sessionpay-$shape"
        cmd=("$sessionpay" payroll --period month --rates "$rates" "$file")
        out[$name]="$run/$name.payroll.csv"
        log "running $name: ${cmd[*]}"
        if /usr/bin/time -v -o "$run/$name.time" "${cmd[@]}" >"${out[$name]}" 2>"$run/$name.stderr"; then
            read -r wall cpu rss <<<"$(figures "$run/$name.time")"
            summary+=("$(printf '%-10s wall %8.2f s   cpu %8.2f s   peak RSS %7d MiB   rows %d' \
                "$name" "$wall" "$cpu" "$rss" "$(($(wc -l <"${out[$name]}") - 1))")")
        else
            echo "compare.sh: $name failed; its stderr ($run/$name.stderr):" >&2
            tail -n 20 "$run/$name.stderr" >&2
            status=1
        fi
    done
fi

# --- figures -----------------------------------------------------------------------------------
echo
echo "sessions: $n (seed $seed), input $(du -h "$csv" | cut -f1), machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
if [[ -s "$run/gen.time" ]]; then
    read -r wall cpu rss <<<"$(figures "$run/gen.time")"
    printf '%-10s wall %8.2f s   cpu %8.2f s   peak RSS %7d MiB\n' gen-export "$wall" "$cpu" "$rss"
fi
for line in "${summary[@]}"; do echo "$line"; done
if [[ -f "$run/duckdb.stderr" ]]; then grep -h 'duckdb-query-seconds' "$run/duckdb.stderr" | sed 's/^/           /' || true; fi
echo

# Every tool that ran must agree with the generator's own payroll (and so with each other).
for tool in $tools $(for shape in $shapes; do echo "sessionpay-$shape"; done); do
    [[ -s "${out[$tool]:-/nonexistent}" ]] || continue
    if ! "$py" "$here/scripts/compare_payroll.py" "$expected" "${out[$tool]}"; then
        status=1
    fi
done
# The plain queries leave out the name and the reported-figure columns.
plain_ignore=instructor_name,period_end,reported_pay,difference,mismatched_sessions,pending_sessions,unrated_sessions
for file in "${plain_out[@]}"; do
    if [[ "$(head -c 36 "$file")" == instructor_id,currency,period_start ]]; then
        "$py" "$here/scripts/compare_payroll.py" "$expected" "$file" --ignore "$plain_ignore" || status=1
    fi
done
if [[ -s "${out[sessionpay]:-/nonexistent}" && -s "${out[duckdb]:-/nonexistent}" ]]; then
    "$py" "$here/scripts/compare_payroll.py" "${out[duckdb]}" "${out[sessionpay]}" --totals || status=1
fi
if [[ $status -eq 0 ]]; then echo "OK: all figures agree"; else echo "FAILED: see above ($run)"; fi
exit "$status"
