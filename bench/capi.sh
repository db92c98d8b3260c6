#!/usr/bin/env bash
# MYCAP from C against MYCAP from Rust: a capture file replayed through a C
# handler (mycap-capi/examples/sum_caplen.c, via libmycap.so) and through a
# Rust closure over mycap-core (mycap-capi/examples/sum_caplen.rs), both
# counting packets and summing captured lengths; and through the Rust closure
# that also reads every header field (`--whole-header`: what filling the C
# header costs, which the plain closure lets the compiler skip). Release
# builds; runs alternate C, Rust, Rust whole header, C, ... so all see the
# same machine; the file is read
# from the page cache (a warm-up `cat` first). Prints every run's wall and
# CPU (user + system) time, their medians and the C / Rust ratios.
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
for tool in cc /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "capi.sh needs $tool" >&2; exit 1; }
done
mkdir -p "$OUT"
WORK=$(mktemp -d /tmp/netraf-bench-capi.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

(cd "$ROOT" && cargo build --release -q -p mycap-capi --lib --example sum_caplen)
LIB=$ROOT/target/release
ln -s "$LIB/libmycap.so" "$WORK/libmycap.so.1"
cc -O2 -I"$ROOT/mycap-capi/include" "$ROOT/mycap-capi/examples/sum_caplen.c" \
    -L"$LIB" -lmycap -Wl,-rpath,"$WORK" -o "$WORK/sum_caplen_c"
C_PROG=$WORK/sum_caplen_c
RUST_PROG=$LIB/examples/sum_caplen

cat "$PCAP" >/dev/null
want=$("$RUST_PROG" "$PCAP")
[ "$("$C_PROG" "$PCAP")" = "$want" ] || { echo "C and Rust disagree" >&2; exit 1; }
[ "$("$RUST_PROG" "$PCAP" --whole-header)" = "$want" ] || { echo "--whole-header disagrees" >&2; exit 1; }
machine_line
echo "# $PCAP: $want"
wait_quiet

# Wall time and CPU time (user + system) of one run, in milliseconds.
time_ms() {
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" "$@" >/dev/null
    awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' "$WORK/time"
}

: >"$OUT/capi-c.txt"
: >"$OUT/capi-rust.txt"
: >"$OUT/capi-rust-whole.txt"
for i in $(seq 1 "$RUNS"); do
    read -r cw cc_ < <(time_ms "$C_PROG" "$PCAP")
    read -r rw rc < <(time_ms "$RUST_PROG" "$PCAP")
    read -r ww wc < <(time_ms "$RUST_PROG" "$PCAP" --whole-header)
    echo "$cw $cc_" >>"$OUT/capi-c.txt"
    echo "$rw $rc" >>"$OUT/capi-rust.txt"
    echo "$ww $wc" >>"$OUT/capi-rust-whole.txt"
    echo "run $i: C ${cw} ms (CPU ${cc_}), Rust ${rw} ms (CPU ${rc}), Rust whole header ${ww} ms (CPU ${wc})"
done
col() { cut -d' ' -f"$1" "$OUT/capi-$2.txt" | median; }
ratio() { awk -v c="$1" -v r="$2" 'BEGIN {printf "%.3f", c / r}'; }
for what in 1:wall 2:CPU; do
    n=${what%%:*}
    c=$(col "$n" c)
    r=$(col "$n" rust)
    w=$(col "$n" rust-whole)
    echo "median ${what#*:}: C handler via libmycap.so ${c} ms, Rust closure ${r} ms (C / Rust $(ratio "$c" "$r")), Rust closure reading the whole header ${w} ms (C / that $(ratio "$c" "$w"))"
done
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
