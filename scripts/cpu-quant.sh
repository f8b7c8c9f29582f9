#!/usr/bin/env bash
# The CPU-quant measurements (issue 32): t(n) of the V = 32,000 twin in F16, Q8_0, Q4_0 and Q4_K_M on llama.cpp's
# CPU build, then the small paired sweep configs/cpu-quant.yaml on the Q4_K_M twin. The twins are generated
# first (not timed); every timed part runs under the timing lock when TIMING_LOCK names one
# (e.g. TIMING_LOCK=/work/timing.lock on a shared machine). Results: results/runs/cpu-quant/ (t(n) per type
# in tn-<type>/, the sweep in results/runs/cpu-quant/), summarised by hand in results/reports/cpu-quant.md.
set -euo pipefail
cd "$(dirname "$0")/.."
SHAPE=d2048-l8-h32-kv16-f5632-v32000
TYPES=${TYPES:-f16 q8_0 q4_0 q4_k_m}
OUT=${TN_OUT:-results/runs/cpu-quant-tn}  # a second pass: TN_OUT=results/runs/cpu-quant-tn-2 SKIP_SWEEP=1
locked() { if [ -n "${TIMING_LOCK:-}" ]; then flock "$TIMING_LOCK" "$@"; else "$@"; fi; }
for t in $TYPES; do npx trbench generate --model "twin:$SHAPE:$t" --prompt Once --max-new-tokens 1 > /dev/null; done
for t in $TYPES; do
  locked npx tsx packages/runner/bench/cost-curve.ts --model "twin:$SHAPE:$t" --backends llama.cpp --threads 2 \
    --context 64 --sizes 1,2,3,4,6,8,12,16,24,32,48,64,81 --repeats 5 --out "$OUT/$t"
done
[ "${SKIP_SWEEP:-0}" = 1 ] || locked npx trbench run configs/cpu-quant.yaml --overwrite
