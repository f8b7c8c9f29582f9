#!/usr/bin/env bash
# The twin-cpu report (issue 11) in one command: the sweep configs/twin-cpu.yaml, then each backend's
# forward-time curve t(n) on the same twin (chart charts/cost-curve.png), copied into
# results/reports/twin-cpu/. Every number in it is a timing: run it on an otherwise idle machine (on a
# shared one, under its timing lock, e.g. `flock /work/timing.lock scripts/twin-cpu.sh`).
#   scripts/twin-cpu.sh [--limit n]     (extra arguments go to `trbench run`, e.g. --limit 1 for a smoke test)
# TWIN_CONFIG=<yaml> runs another config of the same layout (its name gives the run and report folders).
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${TWIN_CONFIG:-configs/twin-cpu.yaml}
NAME=$(sed -n 's/^name: *\([^ ]*\).*/\1/p' "$CONFIG" | head -1)
MODEL=$(sed -n 's/^  - model: *\(twin:[^ ]*\).*/\1/p' "$CONFIG" | head -1)
THREADS=$(sed -n 's/^    threads: *\([0-9]*\).*/\1/p' "$CONFIG" | head -1)
[ -n "$NAME" ] && [ -n "$MODEL" ] && [ -n "$THREADS" ] || { echo "twin-cpu: $CONFIG needs a name, a twin model and threads" >&2; exit 2; }
RUN=results/runs/$NAME
REPORT=results/reports/$NAME

npx trbench run "$CONFIG" --overwrite "$@"
npx tsx packages/runner/bench/cost-curve.ts --model "$MODEL" --backends llama.cpp,onnx --threads "$THREADS" \
  --context 64 --sizes 1,2,3,4,6,8,12,16,24,32,48,64,81 --repeats 5 --out "$RUN"
mkdir -p "$REPORT"
rm -rf "$REPORT/charts"
cp -r "$RUN/report.md" "$RUN/report.csv" "$RUN/summary.json" "$RUN/cost-curve.json" "$RUN/cost-curve.md" "$RUN/charts" "$REPORT/"
echo "report: $REPORT/report.md, t(n): $REPORT/cost-curve.md"
