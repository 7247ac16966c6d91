#!/usr/bin/env bash
# Run every atheris fuzz target for N minutes each (default 10), one after the other, at the lowest CPU
# priority. Logs go to $TIDINGS_FUZZ_LOGS (default /tmp/fuzz-logs), one per target; crashing inputs to
# $TIDINGS_FUZZ_DIR/crashes (default /tmp/tidings-fuzz). Exits non-zero when any target failed.
#   scripts/fuzz.sh 10            # all targets, 10 minutes each
#   scripts/fuzz.sh 1 warc api    # only these targets
set -u
cd "$(dirname "$0")/.."
minutes="${1:-10}"
shift || true
logs="${TIDINGS_FUZZ_LOGS:-/tmp/fuzz-logs}"
mkdir -p "$logs"
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(.venv/bin/python -m fuzz.targets --list)
fi
failed=()
for target in "${targets[@]}"; do
    started=$(date +%s)
    nice -n 19 .venv/bin/python -m fuzz.targets "$target" --seconds $((minutes * 60)) >"$logs/$target.log" 2>&1
    code=$?
    execs=$(grep -a -o 'number_of_executed_units: *[0-9]*' "$logs/$target.log" | grep -o '[0-9]*$')
    rss=$(grep -a -o 'peak_rss_mb: *[0-9]*' "$logs/$target.log" | grep -o '[0-9]*$')
    echo "$target seconds=$(($(date +%s) - started)) execs=${execs:-?} peak_rss_mb=${rss:-?} exit=$code"
    [ "$code" -eq 0 ] || failed+=("$target")
done
echo "failed: ${failed[*]:-none}"
[ ${#failed[@]} -eq 0 ]
