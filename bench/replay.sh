#!/usr/bin/env bash
# Replay of a ~1 GiB capture file, side by side, with hyperfine:
#   netraf-host -r F with count + broadcast (release build)
#   tcpdump -r F -w /dev/null
#   the same two with the filter expression FILTER (netraf compiles it and
#   runs it in its BPF interpreter; tcpdump runs libpcap's program)
#   netraf-host -r F with count + broadcast + flow (the conn log written to a
#   file, as a sensor writes it)
#   tshark -r F -q -z io,stat,0
#   cat F > /dev/null                 (the page-cache limit)
#
#   bench/replay.sh                   # after `cargo build --release --workspace`
#
# The file is generated once by bench/genpcap.py (deterministic: seed 1, mixed
# traffic) into $DATA (/tmp/netraf-bench), never into the repository, and read
# from the page cache (a warm-up `cat` precedes the timings). Before timing,
# netraf's own counts are checked against the generator's.
#
# Environment: FILTER ["ip6 and (tcp or udp)", ~10 % of the mixed file] the expression of the
# filtered runs ("" skips them); RUNS [5] runs per command; TSHARK_RUNS [1] (tshark needs 15 s
# to two minutes per run on 1 GiB, depending on the traffic; 0 skips it); SIZE
# [1073741824] bytes of the file; PCAP [$DATA/mixed-1g.pcap]; HOST, OUT as in
# common.sh. One untimed warm-up run precedes the timed runs of every command
# but tshark.
#
# PCAP may name any classic pcap that has a JSON sidecar PCAP.meta with its
# "bytes", "packets" and "broadcast" counts; such a file is used as it is,
# never regenerated. The reference harness's file, for instance, made by its
# own generator:
#   python3 ../shared/bench/helpers/genpcap.py /tmp/nrbench/mixed_1g.pcap 1024 1
#   PCAP=/tmp/nrbench/mixed_1g.pcap OUT=/tmp/netraf-bench/results-ref bench/replay.sh
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

RUNS=${RUNS:-5}
FILTER=${FILTER-ip6 and (tcp or udp)}
TSHARK_RUNS=${TSHARK_RUNS:-1}
SIZE=${SIZE:-1073741824}
PCAP=${PCAP:-$DATA/mixed-1g.pcap}
for tool in hyperfine tcpdump python3; do
    command -v "$tool" >/dev/null || { echo "replay.sh needs $tool" >&2; exit 1; }
done
need_host
mkdir -p "$DATA" "$OUT"
WORK=$(mktemp -d /tmp/netraf-bench-replay.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

meta_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$PCAP.meta" "$1"; }
if [ ! -s "$PCAP" ] || [ ! -s "$PCAP.meta" ] || [ "$(meta_field bytes)" != "$(stat -c %s "$PCAP")" ] \
    || [ "$(meta_field bytes)" -lt "$SIZE" ]; then
    echo "# generating $PCAP ($SIZE bytes of mixed traffic) ..."
    python3 "$BENCH_DIR/genpcap.py" "$PCAP" mixed --bytes "$SIZE" >/dev/null
fi
BYTES=$(meta_field bytes)
PACKETS=$(meta_field packets)
BROADCAST=$(meta_field broadcast)

{
    echo '[capture]'
    echo 'interface = "any"'
    plugin_block count 'interval = 0'
    plugin_block broadcast
} >"$WORK/cb.toml"
{
    cat "$WORK/cb.toml"
    plugin_block flow "output = \"$WORK/conn.jsonl\""
} >"$WORK/cbf.toml"

machine_line
echo "# $(tcpdump --version 2>&1 | head -1); $(tshark --version 2>/dev/null | head -1); $(hyperfine --version)"
echo "# file: $PCAP, $BYTES bytes, $PACKETS packets, $BROADCAST broadcast"

# Not timed: netraf counts what the generator wrote.
cat "$PCAP" >/dev/null
"$HOST" --config "$WORK/cb.toml" -r "$PCAP" --report-json "$WORK/report.json" 2>"$WORK/check.log"
python3 - "$WORK/report.json" "$PACKETS" "$BROADCAST" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
plugins = {p["name"]: p["report"] for p in r["plugins"]}
got = (plugins["count"]["packets"], plugins["broadcast"]["broadcast_frames"])
want = (int(sys.argv[2]), int(sys.argv[3]))
print(f"# check: netraf counted {got[0]} packets, {got[1]} broadcast (generator: {want[0]}, {want[1]})")
sys.exit(0 if got == want else 1)
EOF

wait_quiet
run() {
    local name=$1 runs=$2 cmd=$3 warmup=1
    [ "$name" = tshark ] && warmup=0
    hyperfine --style none --runs "$runs" --warmup "$warmup" --export-json "$OUT/replay-$name.json" \
        --command-name "$name" "$cmd" >/dev/null
}
run cat "$RUNS" "cat $PCAP > /dev/null"
run tcpdump "$RUNS" "tcpdump -r $PCAP -w /dev/null 2>/dev/null"
run netraf "$RUNS" "$HOST --config $WORK/cb.toml -r $PCAP 2>/dev/null"
run netraf-flow "$RUNS" "rm -f $WORK/conn.jsonl; $HOST --config $WORK/cbf.toml -r $PCAP 2>/dev/null"
# The same as netraf with the metrics endpoint on, scraped every 0.25 s
# (the run is shorter than Prometheus's usual second), each answer checked.
METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:19464}
run netraf-m "$RUNS" "SCRAPE_EVERY=0.25 SCRAPE_LOG=$WORK/scrapes.log $(dirname "$0")/scraped.sh $METRICS_ADDR $HOST --config $WORK/cb.toml -r $PCAP --metrics $METRICS_ADDR 2>/dev/null"
echo "# metrics scrapes: $(grep -c '^200$' "$WORK/scrapes.log" 2>/dev/null || echo 0) answered 200, $(grep -vc '^200$' "$WORK/scrapes.log" 2>/dev/null || echo 0) not"
NAMES="cat tcpdump netraf netraf-flow netraf-m"
if [ -n "$FILTER" ]; then
    # What each keeps, checked equal before timing.
    kept_tcpdump=$(tcpdump -r "$PCAP" -w - "$FILTER" 2>/dev/null | tcpdump -r - -n 2>/dev/null | wc -l)
    "$HOST" --config "$WORK/cb.toml" -r "$PCAP" --report-json "$WORK/report-f.json" "$FILTER" 2>/dev/null
    kept_netraf=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["capture"]["packets"])' "$WORK/report-f.json")
    echo "# filter '$FILTER': tcpdump keeps $kept_tcpdump, netraf $kept_netraf of $PACKETS packets"
    [ "$kept_tcpdump" = "$kept_netraf" ] || { echo "filtered counts differ" >&2; exit 1; }
    run tcpdump-f "$RUNS" "tcpdump -r $PCAP -w /dev/null '$FILTER' 2>/dev/null"
    run netraf-f "$RUNS" "$HOST --config $WORK/cb.toml -r $PCAP '$FILTER' 2>/dev/null"
    NAMES="$NAMES tcpdump-f netraf-f"
fi
if [ "$TSHARK_RUNS" -gt 0 ] && command -v tshark >/dev/null; then
    run tshark "$TSHARK_RUNS" "tshark -r $PCAP -q -z io,stat,0 >/dev/null"
    NAMES="$NAMES tshark"
else
    echo "# tshark skipped (TSHARK_RUNS=0 or not installed)"
fi
echo "# load at the end: loadavg $(cut -d' ' -f1-3 /proc/loadavg)"

echo
printf '%-8s %5s %9s %9s %9s %9s %9s %9s\n' tool runs median_s min_s max_s cpu_s MB/s Mpkt/s
for name in $NAMES; do
    python3 - "$OUT/replay-$name.json" "$BYTES" "$PACKETS" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
b, p = int(sys.argv[2]), int(sys.argv[3])
m = r["median"]
print(f'{r["command"]:<8} {len(r["times"]):5d} {m:9.3f} {r["min"]:9.3f} {r["max"]:9.3f} '
      f'{r["user"] + r["system"]:9.3f} {b / 1e6 / m:9.1f} {p / 1e6 / m:9.3f}')
EOF
done
echo
python3 - "$OUT" $NAMES <<'EOF'
import json, sys
out, names = sys.argv[1], sys.argv[2:]
med = {n: json.load(open(f"{out}/replay-{n}.json"))["results"][0]["median"] for n in names}
n = med["netraf"]
print(f"netraf / tcpdump wall: {n / med['tcpdump']:.2f}x   (target <= 1.0x)")
print(f"netraf / cat wall:     {n / med['cat']:.2f}x   (target <= 3x)")
print(f"with the flow plugin: netraf / tcpdump wall: {med['netraf-flow'] / med['tcpdump']:.2f}x   (target <= 1.0x)")
print(f"metrics on, scraped every 0.25 s: {med['netraf-m'] / n:.3f}x netraf without   (target <= 1.03x)")
if "netraf-f" in med:
    print(f"filtered: netraf / tcpdump wall: {med['netraf-f'] / med['tcpdump-f']:.2f}x   (target <= 1.0x)")
if "tshark" in med:
    print(f"tshark / netraf wall:  {med['tshark'] / n:.0f}x faster   (target >= 100x)")
EOF
