#!/usr/bin/env bash
# The twin-cpu report (issue 11) in one command: the sweep configs/twin-cpu.yaml, then each backend's
# forward-time curve t(n) on the same twin (chart charts/cost-curve.png), copied into
# results/reports/twin-cpu/. Every number in it is a timing: run it on an otherwise idle machine (on a
# shared one, under its timing lock, e.g. `flock /work/timing.lock scripts/twin-cpu.sh`).
#   scripts/twin-cpu.sh [--limit n]     (extra arguments go to `trbench run`, e.g. --limit 1 for a smoke test)
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=$(sed -n 's/^  - model: \(twin:[^ ]*\).*/\1/p' configs/twin-cpu.yaml | head -1)
THREADS=2
RUN=results/runs/twin-cpu
REPORT=results/reports/twin-cpu

npx trbench run configs/twin-cpu.yaml --overwrite "$@"
npx tsx packages/runner/bench/cost-curve.ts --model "$MODEL" --backends llama.cpp,onnx --threads "$THREADS" \
  --context 64 --sizes 1,2,3,4,6,8,12,16,24,32,48,64,81 --repeats 5 --out "$RUN"
mkdir -p "$REPORT"
rm -rf "$REPORT/charts"
cp -r "$RUN/report.md" "$RUN/report.csv" "$RUN/summary.json" "$RUN/cost-curve.json" "$RUN/cost-curve.md" "$RUN/charts" "$REPORT/"
echo "report: $REPORT/report.md, t(n): $REPORT/cost-curve.md"
