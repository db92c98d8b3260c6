# Sourced by netraf's benchmark scripts: paths, the machine line, waiting for
# a quiet machine, medians.
# shellcheck shell=bash

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
# Built with `cargo build --release --workspace`; the plugins sit beside it.
HOST=${HOST:-$ROOT/target/release/netraf-host}
# Where generated captures and results go: never inside the repository.
DATA=${DATA:-/tmp/netraf-bench}
OUT=${OUT:-$DATA/results}

need_host() {
    if [ ! -x "$HOST" ]; then
        echo "netraf-host not found at $HOST: run \`cargo build --release --workspace\` (or set HOST)" >&2
        exit 1
    fi
}

# % of CPU time idle over the last second, all cores, from /proc/stat.
idle_pct() {
    local a b
    a=$(awk '/^cpu /{print $5+$6, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
    sleep 1
    b=$(awk '/^cpu /{print $5+$6, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat)
    echo "$a $b" | awk '{d=$4-$2; print (d>0) ? int(100*($3-$1)/d) : 100}'
}

# Waits (at most QUIET_WAIT s) for the machine to be at least QUIET_IDLE % idle,
# then prints the load it starts with: figures are only as good as the quiet.
QUIET_IDLE=${QUIET_IDLE:-85}
QUIET_WAIT=${QUIET_WAIT:-120}
wait_quiet() {
    local waited=0 idle
    idle=$(idle_pct)
    while [ "$idle" -lt "$QUIET_IDLE" ] && [ "$waited" -lt "$QUIET_WAIT" ]; do
        echo "# waiting for a quiet machine: ${idle}% idle, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
        sleep 4
        waited=$((waited + 5))
        idle=$(idle_pct)
    done
    echo "# load: ${idle}% idle, loadavg $(cut -d' ' -f1-3 /proc/loadavg) at $(date -u +%H:%M:%SZ)"
}

machine_line() {
    echo "# machine: nproc=$(nproc), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), kernel $(uname -r)"
}

# Median of the numbers on standard input (one per line; "-" ignored).
median() {
    grep -v '^-$' | sort -g | awk '{a[NR]=$1} END {
        if (NR == 0) { print "-"; exit }
        print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2 }'
}

# A `[[plugin]]` table for the sample plugin NAME (library netraf_NAME), with
# the `key = value` lines that follow as its config.
plugin_block() {
    local name=$1
    shift
    printf '\n[[plugin]]\nname = "%s"\npath = "netraf_%s"\n' "$name" "$name"
    if [ $# -gt 0 ]; then
        echo "[plugin.config]"
        printf '%s\n' "$@"
    fi
}
