#!/usr/bin/env bash
# Runs a command with netraf's metrics endpoint scraped every second, as
# Prometheus would: `bench/scraped.sh ADDR:PORT COMMAND...` (the command
# serves --metrics ADDR:PORT). The command replaces this script (same
# process id: a benchmark reads its CPU time and signals it as if it had
# started it itself); a scraper in the background curls the endpoint
# every $SCRAPE_EVERY seconds (1) from $SCRAPE_FIRST seconds (0.2) on,
# until the command ends, each answer's HTTP status appended to
# $SCRAPE_LOG (default /dev/null).
set -u
addr=$1
shift
log=${SCRAPE_LOG:-/dev/null}
target=$$
(
    sleep "${SCRAPE_FIRST:-0.2}"
    while kill -0 "$target" 2>/dev/null; do
        curl -s -m 2 -o /dev/null -w '%{http_code}\n' "http://$addr/metrics" >>"$log" 2>/dev/null
        sleep "${SCRAPE_EVERY:-1}"
    done
) &
exec "$@"
