#!/usr/bin/env bash
# Peak memory of `netraf-host -r` with the sample chain (count, broadcast, log
# to a file) on 1 M and on 10 M packets: it must not grow with the length of
# the capture.
#
#   bench/memory.sh                   # after `cargo build --release --workspace`
#
# The files are generated once by bench/genpcap.py, profile "small" (60-byte
# frames, 10 % ARP broadcasts from sources drawn among 2^24 MAC addresses, so
# that the broadcast plugin meets far more sources than its max_sources cap)
# into $DATA (/tmp/netraf-bench): about 76 MB and 760 MB. Peak RSS is
# /usr/bin/time's "Maximum resident set size". The log goes to a temporary
# file, deleted at the end.
#
# Environment: SIZES ["1000000 10000000"] packet counts; MAX_SOURCES [65536]
# broadcast's cap; HOST, OUT as in common.sh.
set -euo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

SIZES=${SIZES:-1000000 10000000}
MAX_SOURCES=${MAX_SOURCES:-65536}
[ -x /usr/bin/time ] || { echo "memory.sh needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
need_host
mkdir -p "$DATA" "$OUT"
WORK=$(mktemp -d /tmp/netraf-bench-memory.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

{
    echo '[capture]'
    echo 'interface = "any"'
    plugin_block count 'interval = 0'
    plugin_block broadcast "max_sources = $MAX_SOURCES"
    plugin_block log "output = \"$WORK/packets.log\""
} >"$WORK/sample.toml"

machine_line
wait_quiet
printf '%10s %12s %10s %9s %8s %12s %14s\n' packets file_MB peak_RSS_KiB wall_s cpu_s log_MB tracked_sources
for n in $SIZES; do
    pcap=$DATA/small-$n.pcap
    if [ ! -s "$pcap" ] || [ ! -s "$pcap.meta" ]; then
        python3 "$BENCH_DIR/genpcap.py" "$pcap" small --packets "$n" >/dev/null
    fi
    rm -f "$WORK/packets.log"
    /usr/bin/time -f '%M %e %U %S' -o "$WORK/time" \
        "$HOST" --config "$WORK/sample.toml" -r "$pcap" --report-json "$WORK/report.json" 2>"$WORK/err" \
        || { cat "$WORK/err" >&2; exit 1; }
    read -r rss wall user sys <"$WORK/time"
    sources=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print({p["name"]: p["report"] for p in r["plugins"]}["broadcast"]["sources"])' "$WORK/report.json")
    printf '%10d %12.0f %10d %9.2f %8.2f %12.0f %14d\n' "$n" "$(($(stat -c %s "$pcap") / 1000000))" "$rss" "$wall" \
        "$(echo "$user $sys" | awk '{print $1+$2}')" "$(($(stat -c %s "$WORK/packets.log") / 1000000))" "$sources"
done
echo "# load at the end: loadavg $(cut -d' ' -f1-3 /proc/loadavg)"
