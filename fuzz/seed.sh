#!/usr/bin/env bash
# Builds the fuzz targets' seed corpora in fuzz/corpus/<target>/ from the
# public capture files in ../shared/corpus/pcap (NETRAF_CORPUS overrides the
# folder) and netraf's own configs. Inputs already there stay.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
corpus="${NETRAF_CORPUS:-$root/../shared/corpus}"
pcap="$corpus/pcap"
if [ ! -d "$pcap" ]; then
    echo "fuzz/seed.sh: no capture corpus at $pcap: the reader, log and decoder seeds stay empty" >&2
    if [ "${CI:-}" = true ]; then
        exit 1
    fi
    pcap=-
fi
cargo run --release --quiet --manifest-path "$root/fuzz/Cargo.toml" -p netraf-fuzz-corpus -- \
    "$root" "$pcap" "$root/fuzz/corpus"
