#!/usr/bin/env bash
# MYCAP from C against MYCAP from Rust: a capture file replayed through a C
# handler (mycap-capi/examples/sum_caplen.c, via libmycap.so) and through a
# Rust closure over mycap-core (mycap-capi/examples/sum_caplen.rs), both
# counting packets and summing captured lengths. Release builds; runs
# alternate C, Rust, C, Rust... so both see the same machine; the file is read
# from the page cache (a warm-up `cat` first). Prints every run's wall time,
# the medians and the C / Rust ratio.
#
#   bench/capi.sh                     # builds what it needs
#
# Environment: PCAP [$DATA/mixed-1g.pcap] (bench/replay.sh or
# bench/genpcap.py makes it); RUNS [10] runs of each; OUT as in common.sh.
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RUNS=${RUNS:-10}
PCAP=${PCAP:-$DATA/mixed-1g.pcap}
[ -s "$PCAP" ] || { echo "no $PCAP: run bench/replay.sh once, or set PCAP" >&2; exit 1; }
command -v cc >/dev/null || { echo "capi.sh needs a C compiler (cc)" >&2; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/netraf-bench-capi.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

(cd "$ROOT" && cargo build --release -q -p mycap-capi --example sum_caplen)
LIB=$ROOT/target/release
ln -s "$LIB/libmycap.so" "$WORK/libmycap.so.1"
cc -O2 -I"$ROOT/mycap-capi/include" "$ROOT/mycap-capi/examples/sum_caplen.c" \
    -L"$LIB" -lmycap -Wl,-rpath,"$WORK" -o "$WORK/sum_caplen_c"
C_PROG=$WORK/sum_caplen_c
RUST_PROG=$LIB/examples/sum_caplen

cat "$PCAP" >/dev/null
want=$("$RUST_PROG" "$PCAP")
[ "$("$C_PROG" "$PCAP")" = "$want" ] || { echo "C and Rust disagree" >&2; exit 1; }
machine_line
echo "# $PCAP: $want"
wait_quiet

# Wall time of one run in milliseconds.
time_ms() {
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}

: >"$OUT/capi-c.txt"
: >"$OUT/capi-rust.txt"
for i in $(seq 1 "$RUNS"); do
    c=$(time_ms "$C_PROG" "$PCAP")
    r=$(time_ms "$RUST_PROG" "$PCAP")
    echo "$c" >>"$OUT/capi-c.txt"
    echo "$r" >>"$OUT/capi-rust.txt"
    echo "run $i: C ${c} ms, Rust ${r} ms"
done
mc=$(median <"$OUT/capi-c.txt")
mr=$(median <"$OUT/capi-rust.txt")
echo "median: C handler via libmycap.so ${mc} ms, Rust closure over mycap-core ${mr} ms, C / Rust $(awk -v c="$mc" -v r="$mr" 'BEGIN {printf "%.3f", c / r}')"
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
