#!/usr/bin/env bash
# Live capture, side by side: tcpdump and netraf-host on the same veth pair in
# the same run.
#
#   sudo bench/live.sh            # after `cargo build --release --workspace`
#
# Two network namespaces joined by a veth pair (names unique to this run,
# addresses only inside them, IPv6 off, ICMP errors muted) are removed on exit,
# even on failure or Ctrl-C. trafgen (netsniff-ng) blasts N UDP frames with a
# 64-byte payload (106-byte frames) from one side; the other side captures
# with, in turn:
#   tcpdump        tcpdump -i IF -w /dev/null -n
#   netraf-empty   netraf-host with no plugin
#   netraf-cb      netraf-host with count + broadcast
#   netraf-cbm     the same with --metrics METRICS_ADDR, scraped every second
#                  (bench/scraped.sh; not in the default TOOLS)
#   netraf-cbf     count + broadcast + flow, the conn log written to a file
#                  (not in the default TOOLS). The process is pinned to one
#                  CPU, so the flow table's thread shares the capture's core:
#                  CPU per frame is the whole plugin's, none of it hidden on
#                  another core.
#   netraf-w1/-w2  the same with [capture] workers = 1 / 2 (fanout "hash": the
#                  blast is one UDP flow, so one worker gets all of it)
#   netraf-w2lb    workers = 2, fanout "lb" (frames dealt in turn)
# Every worker has a ring of the mode's size; the process is pinned to one CPU,
# so two workers share one core.
# in these modes:
#   normal     sender on CPU 0, capturer on CPU 1, each tool's default ring
#              (tcpdump 2 MiB, netraf 4 MiB)
#   small-ring the same 256 KiB ring for both (tcpdump -B 256, which libpcap
#              cuts as one 256 KiB block at its 262144 snap length; netraf
#              ring_size = 262144 with snaplen 65535, i.e. two 128 KiB blocks)
#   same-core  capturer pinned on the sender's core (CPU 0), 4 MiB rings both
#   filtered   as normal, with a mix of ten frames sent in turn, one of which
#              (UDP to port 53) the filter expression FILTER keeps: every tool
#              gets FILTER on its command line (libpcap compiles tcpdump's,
#              netraf-filter netraf's; both run in the kernel). Here loss is
#              counted against the frames the filter keeps (a tenth of those
#              sent) and ns/frame is CPU per frame *sent*.
# Per run: frames sent (tx counter of the sending veth), captured and dropped
# by the kernel (the capturer's exit lines), loss %, captured packets/s over
# the sender's run, and the capturer's CPU seconds (user+sys from
# /proc/PID/stat, from the sender's start to the end of the run), and its
# wake-ups (voluntary context switches of all its threads over the same span:
# each is a sleep in poll until the kernel hands over a block). Medians of
# REPS runs, then the ratios netraf/tcpdump.
#
# Environment: N [5000000] frames per run, METRICS_ADDR [127.0.0.1:19464], REPS [3], MODES ["normal small-ring
# same-core filtered"], FILTER ["udp dst port 53"], TOOLS ["tcpdump netraf-empty netraf-cb", plus netraf-w1,
# netraf-w2 and netraf-w2lb (count + broadcast on 1 worker, on 2 workers in a
# hash fanout group, on 2 in a load-balancing one) when TOOLS is not given and
# netraf-host has the workers option], SMALL_SNAPLEN [65535] netraf's snap
# length in small-ring mode, MAX_SECS [60] bound
# of one sender run, HOST [target/release/netraf-host], OUT [/tmp/netraf-bench/results].
# trafgen -P 1 binds its one process to CPU 0 itself, hence the sender's core.
set -uo pipefail
# shellcheck source=bench/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

N=${N:-5000000}
METRICS_ADDR=${METRICS_ADDR:-127.0.0.1:19464}
REPS=${REPS:-3}
MODES=${MODES:-normal small-ring same-core filtered}
FILTER=${FILTER:-udp dst port 53}
# An explicit TOOLS is taken as is; by default netraf-w1 and netraf-w2 are
# added when netraf-host has the workers option.
TOOLS_GIVEN=${TOOLS:+1}
TOOLS=${TOOLS:-tcpdump netraf-empty netraf-cb}
SMALL_SNAPLEN=${SMALL_SNAPLEN:-65535}
MAX_SECS=${MAX_SECS:-60}
TX_CPU=0
RX_CPU=1

[ "$(id -u)" = 0 ] || { echo "live.sh needs root (network namespaces, packet sockets)" >&2; exit 1; }
for tool in ip trafgen tcpdump taskset timeout; do
    command -v "$tool" >/dev/null || { echo "live.sh needs $tool (apt-get install iproute2 netsniff-ng tcpdump)" >&2; exit 1; }
done
need_host
[ "$(nproc)" -ge 2 ] || { echo "live.sh pins sender and capturer to two cores; this machine has $(nproc)" >&2; exit 1; }

TAG=$$
NS_TX=netraf-bench-tx-$TAG
NS_RX=netraf-bench-rx-$TAG
IF_TX=nbt$TAG
IF_RX=nbr$TAG
MAC_TX=02:00:0a:4d:00:01
MAC_RX=02:00:0a:4d:00:02
IP_TX=10.77.0.1
IP_RX=10.77.0.2
WORK=$(mktemp -d /tmp/netraf-bench-live.XXXXXX)
mkdir -p "$OUT"
CAPTURER=

cleanup() {
    if [ -n "$CAPTURER" ] && kill -0 "$CAPTURER" 2>/dev/null; then
        kill -INT "$CAPTURER" 2>/dev/null
        sleep 1
        kill -KILL "$CAPTURER" 2>/dev/null
    fi
    ip netns del "$NS_TX" 2>/dev/null
    ip netns del "$NS_RX" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the namespaces: nothing is configured outside them -----------------------
set -e
ip netns add "$NS_TX"
ip netns add "$NS_RX"
ip -n "$NS_TX" link add "$IF_TX" address "$MAC_TX" type veth peer name "$IF_RX" netns "$NS_RX" address "$MAC_RX"
for side in "$NS_TX $IF_TX $IP_TX" "$NS_RX $IF_RX $IP_RX"; do
    set -- $side
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
    ip netns exec "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1"
    # The frames go to a UDP port nobody listens on: no port-unreachable replies.
    ip netns exec "$1" sysctl -qw net.ipv4.icmp_msgs_per_sec=0 net.ipv4.icmp_msgs_burst=0
    ip -n "$1" addr add "$3/24" dev "$2"
    ip -n "$1" link set lo up
    ip -n "$1" link set "$2" up
done
ip -n "$NS_TX" neigh replace "$IP_RX" lladdr "$MAC_RX" dev "$IF_TX" nud permanent
ip -n "$NS_RX" neigh replace "$IP_TX" lladdr "$MAC_TX" dev "$IF_RX" nud permanent
set +e

cat >"$WORK/udp.trafgen" <<EOF
{ eth(da=$MAC_RX, sa=$MAC_TX), ipv4(saddr=$IP_TX, daddr=$IP_RX, ttl=64), udp(sport=40000, dport=9), fill(0x41, 64) }
EOF
# The filtered mode's mix: ten frames of the same size sent in turn, the last
# one to port 53 (what FILTER keeps).
for port in 9 9 9 9 9 9 9 9 9 53; do
    echo "{ eth(da=$MAC_RX, sa=$MAC_TX), ipv4(saddr=$IP_TX, daddr=$IP_RX, ttl=64), udp(sport=40000, dport=$port), fill(0x41, 64) }"
done >"$WORK/mix.trafgen"

# netraf-host configs: $1 = ring_size, $2 = snaplen, $3 = plugins (toml)
netraf_config() {
    local file=$WORK/netraf-$1-$2-${4:-x}.toml
    cat >"$file" <<EOF
[capture]
interface = "$IF_RX"
ring_size = $1
snaplen = $2
$3
EOF
    echo "$file"
}
PLUGINS_CB="$(plugin_block count 'interval = 0')$(plugin_block broadcast)"
PLUGINS_CBF="$PLUGINS_CB$(plugin_block flow "output = \"$WORK/conn.jsonl\"")"

# The command line of TOOL in MODE.
capture_cmd() {
    local tool=$1 mode=$2 ring snap tcpdump_b=() expr=
    case $mode in
        normal) ring=4194304 snap=262144 ;;
        small-ring) ring=262144 snap=$SMALL_SNAPLEN tcpdump_b=(-B 256) ;;
        same-core) ring=4194304 snap=262144 tcpdump_b=(-B 4096) ;;
        filtered) ring=4194304 snap=262144 expr=$FILTER ;;
    esac
    case $tool in
        tcpdump) echo tcpdump -i "$IF_RX" -w /dev/null -n "${tcpdump_b[@]}" $expr ;;
        netraf-empty) echo "$HOST" --config "$(netraf_config $ring $snap '' empty)" $expr ;;
        netraf-cb) echo "$HOST" --config "$(netraf_config $ring $snap "$PLUGINS_CB" cb)" $expr ;;
        netraf-cbf) echo "$HOST" --config "$(netraf_config $ring $snap "$PLUGINS_CBF" cbf)" $expr ;;
        # netraf-cb with its metrics endpoint, scraped every second.
        netraf-cbm) echo "$(dirname "$0")/scraped.sh" "$METRICS_ADDR" "$HOST" --config "$(netraf_config $ring $snap "$PLUGINS_CB" cb)" --metrics "$METRICS_ADDR" $expr ;;
        netraf-w1 | netraf-w2) echo "$HOST" --config "$(netraf_config $ring $snap "workers = ${tool#netraf-w}
$PLUGINS_CB" "$tool")" $expr ;;
        netraf-w2lb) echo "$HOST" --config "$(netraf_config $ring $snap "workers = 2
fanout = \"lb\"
$PLUGINS_CB" "$tool")" $expr ;;
    esac
}

# Capture with several workers is measured once netraf-host has the option
# (a config with an unknown key is refused, so --check-config tells).
if [ -n "$TOOLS_GIVEN" ]; then
    :
elif "$HOST" --help 2>&1 | grep -qi workers \
    || "$HOST" --check-config --config "$(netraf_config 4194304 262144 'workers = 2' probe)" >/dev/null 2>&1; then
    TOOLS="$TOOLS netraf-w1 netraf-w2 netraf-w2lb"
else
    echo "# note: this netraf-host has no [capture] workers option; 1 vs 2 workers not measured"
fi

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
wakeups() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/^voluntary_ctxt_switches/ {n += $2} END {print n + 0}'; }
tx_packets() { ip netns exec "$NS_TX" cat "/sys/class/net/$IF_TX/statistics/tx_packets"; }
pktsockets() { ip netns exec "$NS_RX" awk 'NR > 1' /proc/net/packet | wc -l; }
HZ=$(getconf CLK_TCK)

# One run; sets RESULT to "sent captured dropped send_s cpu_s wakeups" (no subshell,
# so that the exit trap knows the capturer).
run_once() {
    local tool=$1 mode=$2 log=$WORK/capture.log cpu=$RX_CPU cmd traffic=$WORK/udp.trafgen
    [ "$mode" = same-core ] && cpu=$TX_CPU
    [ "$mode" = filtered ] && traffic=$WORK/mix.trafgen
    read -r -a cmd <<<"$(capture_cmd "$tool" "$mode")"
    # Job control for this launch only: the capturer then gets SIGINT's default
    # disposition (a background job of a script would start with it ignored).
    set -m
    ip netns exec "$NS_RX" taskset -c "$cpu" "${cmd[@]}" >"$log" 2>&1 &
    CAPTURER=$!
    set +m
    # Ready: tcpdump says "listening on", netraf-host logs "capturing from";
    # else a packet socket exists in the namespace.
    local i
    for i in $(seq 1 150); do
        grep -qE 'listening on|capturing from' "$log" && break
        [ "$i" -gt 30 ] && [ "$(pktsockets)" -gt 0 ] && break
        kill -0 "$CAPTURER" 2>/dev/null || break
        sleep 0.1
    done
    sleep 0.3
    if ! kill -0 "$CAPTURER" 2>/dev/null; then
        echo "$tool exited before the run:" >&2
        cat "$log" >&2
        exit 1
    fi
    local tx0 tx1 c0 c1 t0 t1 w0 w1
    tx0=$(tx_packets)
    c0=$(cpu_ticks "$CAPTURER")
    w0=$(wakeups "$CAPTURER")
    t0=$(date +%s.%N)
    timeout --signal=INT --kill-after=5 "$MAX_SECS" \
        ip netns exec "$NS_TX" taskset -c "$TX_CPU" \
        trafgen -o "$IF_TX" -i "$traffic" -n "$N" -P 1 --no-sock-mem -Q -q >"$WORK/trafgen.log" 2>&1
    t1=$(date +%s.%N)
    # Let the ring drain: tcpdump's last, partly filled block is handed over
    # after libpcap's 1 s block timeout; then wait until the CPU time stops moving.
    sleep 1.2
    local prev=-1
    c1=$(cpu_ticks "$CAPTURER")
    for i in $(seq 1 20); do
        [ "$c1" = "$prev" ] && break
        prev=$c1
        sleep 0.2
        c1=$(cpu_ticks "$CAPTURER")
    done
    tx1=$(tx_packets)
    w1=$(wakeups "$CAPTURER")
    kill -INT "$CAPTURER"
    for i in $(seq 1 100); do
        kill -0 "$CAPTURER" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$CAPTURER" 2>/dev/null && echo "$tool did not end on SIGINT; killed" >&2
    wait "$CAPTURER" 2>/dev/null
    CAPTURER=
    local captured dropped
    captured=$(awk '/ packets captured$/ {n=$1} END {print n+0}' "$log")
    dropped=$(awk '/ packets dropped by kernel$/ {n=$1} END {print n+0}' "$log")
    if ! grep -q ' packets captured$' "$log"; then
        echo "no exit lines from $tool:" >&2
        tail -5 "$log" >&2
    fi
    RESULT="$((tx1 - tx0)) $captured $dropped $(echo "$t0 $t1" | awk '{printf "%.3f", $2-$1}') $(awk -v c=$((c1 - c0)) -v hz="$HZ" 'BEGIN{printf "%.2f", c/hz}') $((w1 - w0))"
}
RESULT=

CSV=$OUT/live.csv
echo "mode,tool,rep,sent,captured,dropped,loss_pct,send_s,captured_pps,cpu_s,cpu_ns_per_frame,wakeups,wakeups_per_1k" >"$CSV"
machine_line
echo "# trafgen $(trafgen -v 2>&1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1), $(tcpdump --version 2>&1 | head -1), $(tcpdump --version 2>&1 | sed -n 2p)"
echo "# N=$N frames of 106 bytes per run, $REPS runs per tool and mode"
wait_quiet
printf '%-10s %-13s %3s %9s %9s %8s %7s %9s %6s %8s %7s %6s\n' mode tool rep sent captured dropped loss% capt_pps cpu_s ns/frame wakeups w/1k
for mode in $MODES; do
    for rep in $(seq 1 "$REPS"); do
        for tool in $TOOLS; do
            run_once "$tool" "$mode"
            read -r sent captured dropped send_s cpu_s wakes <<<"$RESULT"
            awk -v m="$mode" -v t="$tool" -v r="$rep" -v s="$sent" -v c="$captured" -v d="$dropped" \
                -v dt="$send_s" -v cpu="$cpu_s" -v w="$wakes" -v csv="$CSV" 'BEGIN {
                # filtered: the filter keeps one frame in ten; CPU per frame sent.
                k = (m == "filtered") ? int(s / 10) : s; per = (m == "filtered") ? s : c
                loss = k ? 100 * (k - c) / k : 0; pps = dt > 0 ? c / dt : 0; ns = per ? 1e9 * cpu / per : 0
                wk = c ? 1000 * w / c : 0
                printf "%-10s %-13s %3d %9d %9d %8d %7.2f %9.0f %6.2f %8.1f %7d %6.2f\n", m, t, r, s, c, d, loss, pps, cpu, ns, w, wk
                printf "%s,%s,%d,%d,%d,%d,%.3f,%.3f,%.0f,%.2f,%.1f,%d,%.3f\n", m, t, r, s, c, d, loss, dt, pps, cpu, ns, w, wk >> csv }'
            sleep 0.3
        done
    done
done
echo "# load at the end: loadavg $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== medians of $REPS runs"
printf '%-10s %-13s %9s %9s %8s %7s %9s %6s %8s %6s\n' mode tool sent captured dropped loss% capt_pps cpu_s ns/frame w/1k
col() { awk -F, -v m="$1" -v t="$2" -v c="$3" '$1 == m && $2 == t {print $c}' "$CSV" | median; }
for mode in $MODES; do
    for tool in $TOOLS; do
        printf '%-10s %-13s %9s %9s %8s %7s %9s %6s %8s %6s\n' "$mode" "$tool" \
            "$(col "$mode" "$tool" 4)" "$(col "$mode" "$tool" 5)" "$(col "$mode" "$tool" 6)" \
            "$(col "$mode" "$tool" 7)" "$(col "$mode" "$tool" 9)" "$(col "$mode" "$tool" 10)" "$(col "$mode" "$tool" 11)" \
            "$(col "$mode" "$tool" 13)"
    done
done

echo
echo "== netraf / tcpdump (medians): CPU per captured frame, and loss"
for mode in $MODES; do
    base_ns=$(col "$mode" tcpdump 11)
    base_loss=$(col "$mode" tcpdump 7)
    for tool in $TOOLS; do
        [ "$tool" = tcpdump ] && continue
        awk -v m="$mode" -v t="$tool" -v ns="$(col "$mode" "$tool" 11)" -v b="$base_ns" \
            -v l="$(col "$mode" "$tool" 7)" -v bl="$base_loss" 'BEGIN {
            r = (b > 0) ? sprintf("%.2fx", ns / b) : "-"
            lr = (bl > 0) ? sprintf("%.2fx", l / bl) : (l > 0 ? "worse (tcpdump lost 0)" : "equal (both 0)")
            printf "%-10s %-13s cpu/frame %s (%s vs %s ns)   loss %s (%s%% vs %s%%)\n", m, t, r, ns, b, lr, l, bl }'
    done
done
echo "# csv: $CSV"
