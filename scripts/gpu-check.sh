#!/usr/bin/env bash
# GPU check in one command (issue 11), for a Linux machine with an NVIDIA GPU:
#   1. installs (npm ci),
#   2. runs llama.cpp's tree-vs-linear logits tests on the CUDA build (stories260K),
#   3. measures t(n) on the vicuna-7b and vicuna-13b twins (F16, CUDA),
#   4. runs configs/twin-gpu.yaml (AR, TR 2.2.2, chains, tuned tree, baselines),
#   5. measures the host cost per step on CUDA (forward vs logits transfer, ranking, drafter, verify,
#      update, rest; host and engine ranking; V = 512 / 32,000 / 128,256 and the vicuna-7b twin),
#   6. writes everything into results/reports/twin-gpu/.
# Needs ~45 GB of free disk for the two twins (TRBENCH_CACHE may point elsewhere) and network access to
# the npm registry and Hugging Face (stories260K), or TRBENCH_MIRROR.
#   scripts/gpu-check.sh [extra trbench run arguments, e.g. --limit 2]
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "gpu-check: $*" >&2; exit 1; }
command -v nvidia-smi >/dev/null 2>&1 || fail "no NVIDIA GPU found: nvidia-smi is not installed (this check needs an NVIDIA GPU with its driver)"
GPUS=$(nvidia-smi -L 2>/dev/null || true)
[ -n "$GPUS" ] || fail "no NVIDIA GPU found: nvidia-smi lists no device"
echo "gpu-check: $GPUS"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true

RUN=results/runs/twin-gpu
REPORT=results/reports/twin-gpu
mkdir -p "$REPORT"
LOG="$REPORT/gpu-check.log"
: > "$LOG"
step() { echo; echo "== $*" | tee -a "$LOG"; }

step "install"
npm ci --no-audit --no-fund 2>&1 | tail -3 | tee -a "$LOG"

step "llama.cpp tree attention on CUDA: each tree node's logits equal its path evaluated linearly (stories260K)"
# A failure is recorded and reported at the end; the measurements still run (the sweep checks every
# method against plain decoding of the same model anyway).
TREE_TEST=passed
# engine-topk.test.ts: top-k ranked in the CUDA graph (--rank engine) equals host ranking at every node.
(cd packages/backend-llama-cpp && TRBENCH_TEST_DEVICE=cuda npx vitest run src/llama-model.e2e.test.ts src/engine-topk.test.ts) 2>&1 | tee -a "$LOG" || TREE_TEST=FAILED

for SHAPE in vicuna-7b vicuna-13b; do
  step "t(n) on twin:$SHAPE (F16, CUDA)"
  npx tsx packages/runner/bench/cost-curve.ts --model "twin:$SHAPE" --backends llama.cpp --device cuda --threads 1 \
    --context 256 --sizes 1,2,4,8,16,32,48,64,81,96,128 --repeats 7 --out "$RUN/cost-$SHAPE" 2>&1 | tee -a "$LOG"
done

step "sweep configs/twin-gpu.yaml"
npx trbench run configs/twin-gpu.yaml --overwrite "$@" 2>&1 | tee -a "$LOG"

step "host cost per step on CUDA: small wide-vocabulary twins (V = 512 / 32,000 / 128,256), host and engine ranking"
# Same split as results/reports/host-cost.md (CPU). T=1 samples with top-k 50 here, which the engine path
# serves exactly (top-k 0 needs whole rows: the engine path refuses it).
npx tsx packages/runner/bench/host-cost.ts --backends llama.cpp --ranks host,engine --device cuda --threads 1 \
  --sampling-top-k 50 --out "$RUN/host-cost.md" 2>&1 | tee -a "$LOG"
step "host cost per step on CUDA: twin:vicuna-7b (a real forward beside the host work)"
npx tsx packages/runner/bench/host-cost.ts --backends llama.cpp --ranks host,engine --device cuda --threads 1 \
  --models twin:vicuna-7b --sampling-top-k 50 --out "$RUN/host-cost-vicuna-7b.md" 2>&1 | tee -a "$LOG"

step "report"
rm -rf "$REPORT/charts" "$REPORT"/cost-*
cp -r "$RUN/report.md" "$RUN/report.csv" "$RUN/summary.json" "$RUN/charts" "$REPORT/"
cp "$RUN"/host-cost*.md "$RUN"/host-cost*.json "$REPORT/"
for SHAPE in vicuna-7b vicuna-13b; do
  mkdir -p "$REPORT/cost-$SHAPE"
  cp -r "$RUN/cost-$SHAPE/." "$REPORT/cost-$SHAPE/"
done
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$REPORT/gpu.csv" || true
echo "gpu-check: done; report in $REPORT/ (report.md, cost-vicuna-7b/cost-curve.md, cost-vicuna-13b/cost-curve.md, host-cost.md, host-cost-vicuna-7b.md, gpu-check.log)"
echo "gpu-check: tree-vs-linear logits tests on CUDA: $TREE_TEST" | tee -a "$LOG"
[ "$TREE_TEST" = passed ] || exit 1
