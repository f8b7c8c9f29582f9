#!/usr/bin/env bash
# trbench offline kit (made by `npm run kit`): builds llama.cpp's libllama on this machine and measures
# trbench on it, with no network and no Node.js installed.
#
#   bash kit/run.sh [--budget-min 9] [--out DIR] [--cpu] [--work DIR] [--jobs N] [--cuda-arch 90]
#                   [--target T] [--libllama-dir DIR] [--model FILE.gguf | --hf DIR [--python PATH]]
#                   [--dataset spec_bench|FILE.jsonl] [--config FILE.yaml] [--template raw|vicuna|chatml]
#
#   --budget-min M   wall-clock budget for everything, build included (default 9); the cost curve's repeats
#                    and the sweep's size are cut to what is left, the sweep is stopped at the deadline
#   --out DIR        results (default ./trbench-kit-out-<time>): report.md, summary.json, sweep/ (records.jsonl,
#                    report.md, summary.json), check-backend.json, cost-curve/, gpu.csv, build.json, run.log
#   --cpu            CPU build of libllama and a small twin: the self-test on a machine without a GPU
#   --work DIR       unpacked runtime, llama.cpp source, build folder and generated models (default kit/work);
#                    a second run with the same folder reuses the build and the models
#   --jobs N         parallel compile jobs (default: all cores)
#   --target T       CMake target (default llama: libllama and the ggml libraries it links)
#   --cuda-arch A    CUDA architecture (default: the GPU's compute capability from nvidia-smi, e.g. 90)
#   --libllama-dir D use this already built libllama folder instead of building (node-llama-cpp's prebuilt
#                    folder, or a kit build with its libllama-build.json)
#   --model FILE     measure this GGUF (e.g. Vicuna-7B v1.3 in F16) instead of the vicuna-7b twin: tree check,
#                    t(n) and the sweep run on it (the sweep: PLD instead of SpS, whose draft is a twin)
#   --hf DIR         a Hugging Face checkpoint, converted here first with llama.cpp's converter carried in the
#                    kit and this node's Python (torch, transformers, sentencepiece, safetensors, numpy) into
#                    WORK/models/<name>.f16.gguf (kept: a second call reuses it); then as --model
#   --python PATH    the Python for --hf (default python3)
#   --dataset D      the kit's sweep on spec_bench (Spec-Bench, spread over its subtasks) or FILE.jsonl (Spec-Bench
#                    lines, or {"prompt": ...} per line) instead of the story prompts
#   --config FILE    run this sweep config instead of the kit's sized sweep (TRBENCH_MODEL = the --model/--hf file
#                    and TRBENCH_DEVICE are set for it, as configs/paper-table1.yaml expects); the sweep is
#                    stopped at the deadline and a second call with the same --out resumes it
#   --template T     the prompt template of --model in the kit's sweep (default: the model's own, raw)
set -uo pipefail

KIT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T0=$(date +%s)
BUDGET_MIN=9
OUT=""
CPU=0
WORK=""
JOBS=""
TARGET=llama
CUDA_ARCH=""
LIBDIR=""
MODEL=""
HF=""
PYTHON=python3
DATASET=stories
CONFIG=""
TEMPLATE=""

usage() { sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; }
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || { echo "run.sh: $1 needs a value" >&2; exit 2; }; }
while [ $# -gt 0 ]; do
  case "$1" in
    --budget-min) need_value "$@"; BUDGET_MIN=$2; shift 2 ;;
    --out) need_value "$@"; OUT=$2; shift 2 ;;
    --cpu) CPU=1; shift ;;
    --work) need_value "$@"; WORK=$2; shift 2 ;;
    --jobs) need_value "$@"; JOBS=$2; shift 2 ;;
    --target) need_value "$@"; TARGET=$2; shift 2 ;;
    --cuda-arch) need_value "$@"; CUDA_ARCH=$2; shift 2 ;;
    --libllama-dir) need_value "$@"; LIBDIR=$2; shift 2 ;;
    --model) need_value "$@"; MODEL=$2; shift 2 ;;
    --hf) need_value "$@"; HF=$2; shift 2 ;;
    --python) need_value "$@"; PYTHON=$2; shift 2 ;;
    --dataset) need_value "$@"; DATASET=$2; shift 2 ;;
    --config) need_value "$@"; CONFIG=$2; shift 2 ;;
    --template) need_value "$@"; TEMPLATE=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ "$BUDGET_MIN" =~ ^[0-9]+([.][0-9]+)?$ ]] || { echo "run.sh: --budget-min must be a number of minutes (got $BUDGET_MIN)" >&2; exit 2; }
[ -z "$JOBS" ] || [[ "$JOBS" =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --jobs must be a positive integer (got $JOBS)" >&2; exit 2; }
[ -z "$MODEL" ] || [ -z "$HF" ] || { echo "run.sh: give --model or --hf, not both" >&2; exit 2; }
[ -z "$CONFIG" ] || [ "$DATASET" = stories ] || { echo "run.sh: --dataset is for the kit's own sweep; a --config names its datasets" >&2; exit 2; }
[ -z "$TEMPLATE" ] || [[ "$TEMPLATE" =~ ^(raw|vicuna|chatml)$ ]] || { echo "run.sh: --template must be raw, vicuna or chatml (got $TEMPLATE)" >&2; exit 2; }
DEADLINE=$(awk -v t="$T0" -v m="$BUDGET_MIN" 'BEGIN { printf "%d", t + m * 60 }')
OUT=${OUT:-$PWD/trbench-kit-out-$(date +%Y%m%d-%H%M%S)}
WORK=${WORK:-$KIT/work}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 4)}
DEVICE=$([ $CPU = 1 ] && echo cpu || echo cuda)

# --- prerequisites: every missing one is named, one line each, before any work -------------------------
MISSING=0
missing() { echo "run.sh: missing prerequisite: $*" >&2; MISSING=1; }
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]; }

[ "$(uname -s)" = Linux ] && [ "$(uname -m)" = x86_64 ] || missing "x86-64 Linux (this is $(uname -s) $(uname -m)); the kit's Node.js and koffi are linux-x64"
GLIBC=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{print $2}')
[ -n "$GLIBC" ] && version_ge "$GLIBC" 2.28 || missing "glibc >= 2.28 for the kit's Node.js (found ${GLIBC:-none})"
for tool in tar xz sha256sum awk timeout; do command -v $tool >/dev/null 2>&1 || missing "$tool (coreutils/xz-utils)"; done
command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || [ -n "$LIBDIR" ] || missing "a C++ compiler (c++ or g++) to build llama.cpp"
command -v cc >/dev/null 2>&1 || command -v gcc >/dev/null 2>&1 || missing "a C compiler (cc or gcc) for the ABI check"
CMAKE_MIN=$([ $CPU = 1 ] && echo 3.14 || echo 3.18)
if [ -z "$LIBDIR" ]; then
  if command -v cmake >/dev/null 2>&1; then
    CMAKE_VERSION=$(cmake --version | head -1 | awk '{print $3}')
    version_ge "$CMAKE_VERSION" "$CMAKE_MIN" || missing "CMake >= $CMAKE_MIN (found $CMAKE_VERSION)"
  else
    missing "CMake >= $CMAKE_MIN"
  fi
fi
NVCC=""
if [ $CPU = 0 ]; then
  if ! command -v nvidia-smi >/dev/null 2>&1; then
    missing "an NVIDIA GPU with its driver (nvidia-smi not found); use --cpu for the CPU self-test"
  elif ! nvidia-smi -L >/dev/null 2>&1 || [ -z "$(nvidia-smi -L 2>/dev/null)" ]; then
    missing "an NVIDIA GPU (nvidia-smi lists none)"
  elif [ -z "$CUDA_ARCH" ]; then
    CAP=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d ' ')
    [[ "$CAP" =~ ^[0-9]+\.[0-9]+$ ]] && CUDA_ARCH=${CAP/./} || missing "the GPU's compute capability (nvidia-smi --query-gpu=compute_cap gave '${CAP}'); pass --cuda-arch, e.g. 90 for an H100"
  fi
  if [ -z "$LIBDIR" ]; then
    for c in "$(command -v nvcc 2>/dev/null)" "${CUDA_HOME:-}/bin/nvcc" "${CUDA_PATH:-}/bin/nvcc" /usr/local/cuda/bin/nvcc; do
      [ -n "$c" ] && [ -x "$c" ] && { NVCC=$c; break; }
    done
    if [ -z "$NVCC" ]; then
      missing "the CUDA toolkit's nvcc (not on PATH, not in \$CUDA_HOME/bin or /usr/local/cuda/bin)"
    else
      NVCC_VERSION=$("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
      version_ge "$NVCC_VERSION" 11.8 || missing "CUDA >= 11.8 (nvcc $NVCC_VERSION)"
      CUDA_ROOT=$(dirname "$(dirname "$(readlink -f "$NVCC")")")
      ls "$CUDA_ROOT"/include/cublas_v2.h "$CUDA_ROOT"/targets/*/include/cublas_v2.h /usr/include/cublas_v2.h >/dev/null 2>&1 \
        || missing "cuBLAS of the CUDA toolkit (no cublas_v2.h under $CUDA_ROOT); ggml's CUDA backend links it"
    fi
  fi
fi
mkdir -p "$WORK" "$OUT" 2>/dev/null || missing "writable folders $WORK and $OUT"
NEED_GIB=$([ $CPU = 1 ] && echo 2 || echo 17)
if [ -d "$WORK" ]; then
  FREE_GIB=$(df -Pk "$WORK" | awk 'NR==2 {printf "%d", $4 / 1048576}')
  HAVE_MODELS=$(du -sk "$WORK/cache" 2>/dev/null | awk '{printf "%d", $1 / 1048576}')
  [ $(( FREE_GIB + ${HAVE_MODELS:-0} )) -ge "$NEED_GIB" ] || missing "$NEED_GIB GiB free in $WORK for the twins and the build (found $FREE_GIB GiB; --work elsewhere)"
fi
# The user's model, dataset and config (checked here, before any work).
if [ -n "$MODEL" ]; then
  if [ ! -f "$MODEL" ]; then missing "the model file $MODEL (--model)"
  elif [ "$(head -c 4 "$MODEL" 2>/dev/null)" != GGUF ]; then missing "a GGUF file for --model ($MODEL does not start with the bytes GGUF; convert a Hugging Face checkpoint with --hf)"
  else MODEL=$(cd "$(dirname "$MODEL")" && pwd)/$(basename "$MODEL"); fi
fi
if [ -n "$HF" ]; then
  if [ ! -f "$HF/config.json" ]; then missing "a Hugging Face checkpoint folder with config.json for --hf (got $HF)"
  else HF=$(cd "$HF" && pwd); fi
  if ! command -v "$PYTHON" >/dev/null 2>&1; then missing "Python 3 for --hf ($PYTHON not found; --python PATH)"
  else
    PY_MISSING=$(for p in torch transformers sentencepiece safetensors numpy; do "$PYTHON" -c "import $p" >/dev/null 2>&1 || printf '%s ' "$p"; done)
    [ -z "$PY_MISSING" ] || missing "Python packages for llama.cpp's converter (--hf) that $PYTHON cannot import: ${PY_MISSING% }"
  fi
fi
case "$DATASET" in
  stories|spec_bench|spec-bench) ;;
  *.jsonl) if [ -f "$DATASET" ]; then DATASET=$(cd "$(dirname "$DATASET")" && pwd)/$(basename "$DATASET"); else missing "the dataset file $DATASET (--dataset)"; fi ;;
  *) echo "run.sh: --dataset must be spec_bench or a .jsonl file (got $DATASET)" >&2; exit 2 ;;
esac
if [ -n "$CONFIG" ]; then
  if [ -f "$CONFIG" ]; then CONFIG=$(cd "$(dirname "$CONFIG")" && pwd)/$(basename "$CONFIG"); else missing "the sweep config $CONFIG (--config)"; fi
fi
if [ $MISSING = 1 ]; then echo "run.sh: nothing was done" >&2; exit 2; fi

# --- helpers -------------------------------------------------------------------------------------------
OUT=$(cd "$OUT" && pwd)
WORK=$(cd "$WORK" && pwd)
LOG=$OUT/run.log
: > "$LOG"
: > "$OUT/steps.jsonl"
cp "$KIT/manifest.json" "$OUT/kit-manifest.json"
log() { echo "$*" | tee -a "$LOG"; }
left() { echo $(( DEADLINE - $(date +%s) )); }
json_escape() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g' | tr '\n\t' '  '; }
record() { printf '{"step":"%s","status":"%s","seconds":%s,"note":"%s"}\n' "$1" "$2" "$3" "$(json_escape "${4:-}")" >> "$OUT/steps.jsonl"; }
# step NAME NOTE CMD...: runs CMD, its output into the log and the terminal, and records status and time.
step() {
  local name=$1 note=$2; shift 2
  local s=$(date +%s)
  log "== $name ($(left) s left)"
  "$@" 2>&1 | tee -a "$LOG"
  local rc=${PIPESTATUS[0]}
  local secs=$(( $(date +%s) - s ))
  if [ "$rc" = 0 ]; then record "$name" ok "$secs" "$note"
  elif [ "$name" = sweep ] && { [ "$rc" = 124 ] || [ "$rc" = 130 ]; }; then record "$name" stopped "$secs" "at the deadline; $note"; rc=0
  else record "$name" failed "$secs" "exit $rc; $note"; log "== $name FAILED (exit $rc)"; fi
  return "$rc"
}
skip() { record "$1" skipped 0 "$2"; log "== $1 skipped: $2"; }

log "trbench offline kit: $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$KIT/app/package.json" | head -1), device $DEVICE, budget $BUDGET_MIN min, out $OUT, work $WORK, $JOBS jobs"
if [ $CPU = 0 ]; then
  nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv > "$OUT/gpu.csv" 2>/dev/null || true
  log "GPU: $(tail -n +2 "$OUT/gpu.csv" | head -1), CUDA arch $CUDA_ARCH${NVCC:+, nvcc $NVCC_VERSION}"
fi

# --- 1. the kit's files, the runtime and the llama.cpp source -----------------------------------------
verify_kit() { (cd "$KIT" && sha256sum -c --quiet manifest.sha256); }
step kit-files "sha256 of every file against the manifest" verify_kit || { log "run.sh: the kit's files are damaged (see above); copy the kit again"; exit 2; }

NODE=$WORK/node/bin/node
RUNTIME=$(ls "$KIT"/runtime/node-*.xz)
unpack_runtime() {
  local want; want=$(sed -n 's/^\([0-9a-f]*\) .*/\1/p' "$KIT/runtime/node.sha256")
  if [ -x "$NODE" ] && [ "$(sha256sum "$NODE" | awk '{print $1}')" = "$want" ]; then echo "runtime already unpacked"; return 0; fi
  mkdir -p "$WORK/node/bin" && xz -dc "$RUNTIME" > "$NODE.tmp" && chmod +x "$NODE.tmp" && mv "$NODE.tmp" "$NODE" || return 1
  [ "$(sha256sum "$NODE" | awk '{print $1}')" = "$want" ] || { echo "unpacked node does not match its sha256"; return 1; }
}
step runtime "unpack Node.js" unpack_runtime || exit 2
"$NODE" --version > /dev/null 2>&1 || { log "run.sh: the kit's Node.js does not start here: $("$NODE" --version 2>&1 | head -1)"; exit 2; }

export TRBENCH_CACHE=$WORK/cache TRBENCH_MIRROR=$KIT/app/assets NODE_OPTIONS=
APP="$KIT/app/trbench.mjs"
trbench() { "$NODE" "$APP" "$@"; }
PREP_PID=""
finish() {
  # a model generation still running when an earlier step gave up
  [ -n "$PREP_PID" ] && kill "$PREP_PID" 2>/dev/null
  trbench kit report --out "$OUT" >> "$LOG" 2>&1 && log "report: $OUT/report.md (total $(( $(date +%s) - T0 )) s)"
}
trap finish EXIT

trbench kit models $([ $CPU = 1 ] && echo --cpu) > "$OUT/models.json" || exit 2
MODELS_JSON=$(cat "$OUT/models.json")
json_list() { echo "$MODELS_JSON" | sed -n "s/.*\"$1\":\[\([^]]*\)\].*/\1/p" | tr -d '"' | tr ',' ' '; }
json_str() { echo "$MODELS_JSON" | sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
CHECK_MODELS=$(json_list check)
TARGET_MODEL=$(json_str target)
NOTE=$(json_str note)
[ -z "$NOTE" ] || log "note: $NOTE"
# The user's model replaces the twin as the target (and is tree-checked on the device too).
CONVERTED=""
if [ -n "$HF" ]; then
  CONVERTED=$WORK/models/$(basename "$HF").f16.gguf
  MODEL=$CONVERTED
fi
if [ -n "$MODEL" ]; then
  TARGET_MODEL=$MODEL
  CHECK_MODELS="$CHECK_MODELS $MODEL"
  export TRBENCH_MODEL=$MODEL
  log "model: $MODEL${HF:+ (converted from $HF)}"
fi
export TRBENCH_DEVICE=$DEVICE
export TRBENCH_LLAMA_CONVERTER=$KIT/llama.cpp/converter
convert_hf() {
  if [ -f "$CONVERTED" ]; then echo "already converted: $CONVERTED"; return 0; fi
  mkdir -p "$(dirname "$CONVERTED")" && trbench convert --hf "$HF" --out "$CONVERTED" --type f16 --python "$PYTHON"
}

# Twins are generated (and a --hf checkpoint converted) while libllama builds (the build has the other cores).
PREP_LOG=$OUT/prepare-models.log
PREP_START=$(date +%s)
prepare_models() {
  if [ -n "$HF" ]; then
    local c0; c0=$(date +%s)
    convert_hf || { record convert failed "$(( $(date +%s) - c0 ))" "llama.cpp's converter on $HF"; return 1; }
    record convert ok "$(( $(date +%s) - c0 ))" "$HF -> $CONVERTED (llama.cpp's converter, $PYTHON)"
  fi
  # shellcheck disable=SC2046
  trbench kit prepare-models $(printf '%s\n' stories260K $CHECK_MODELS "$TARGET_MODEL" | awk '!seen[$0]++')
}
prepare_models > "$PREP_LOG" 2>&1 &
PREP_PID=$!

SRC=$WORK/llama.cpp
unpack_source() {
  local tarball want; tarball=$(ls "$KIT"/llama.cpp/llama.cpp-*.tar.xz); want=$(sha256sum "$tarball" | awk '{print $1}')
  if [ -f "$SRC/.kit-source" ] && [ "$(cat "$SRC/.kit-source")" = "$want" ]; then echo "source already unpacked"; return 0; fi
  rm -rf "$SRC" && mkdir -p "$SRC" && tar -xJf "$tarball" -C "$SRC" && echo "$want" > "$SRC/.kit-source"
}

# --- 2. libllama ---------------------------------------------------------------------------------------
if [ -n "$LIBDIR" ]; then
  export TRBENCH_LIBLLAMA_DIR=$(cd "$LIBDIR" && pwd)
  skip build "using the libllama in $TRBENCH_LIBLLAMA_DIR"
else
  step source "unpack llama.cpp" unpack_source || exit 2
  BUILD=$WORK/build-$DEVICE${CUDA_ARCH:+-sm$CUDA_ARCH}
  GEN=""; command -v ninja >/dev/null 2>&1 && GEN="-G Ninja"
  CUDA_FLAGS=""
  if [ $CPU = 0 ]; then
    CUDA_FLAGS="-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=$CUDA_ARCH -DCMAKE_CUDA_COMPILER=$NVCC -DGGML_CUDA_NCCL=OFF"
    export PATH="$(dirname "$NVCC"):$PATH"
    export LD_LIBRARY_PATH="$CUDA_ROOT/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  configure() {
    # shellcheck disable=SC2086
    cmake -S "$SRC" -B "$BUILD" $GEN -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
      -DLLAMA_BUILD_COMMON=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
      -DLLAMA_BUILD_SERVER=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_OPENSSL=OFF \
      -DGGML_NATIVE=ON -DGGML_BACKEND_DL=OFF -DGGML_OPENMP=OFF $CUDA_FLAGS
  }
  compile() { cmake --build "$BUILD" --target "$TARGET" -j "$JOBS"; }
  B0=$(date +%s)
  step configure "cmake ${GEN:+(ninja)}" configure || exit 1
  step build "libllama, $DEVICE${CUDA_ARCH:+ sm_$CUDA_ARCH}, $JOBS jobs" compile || { log "run.sh: libllama did not build (see $LOG)"; exit 1; }
  printf '{"variant":"%s","cudaArch":"%s","seconds":%s,"generator":"%s","jobs":%s,"cmake":"%s","nvcc":"%s","target":"%s"}\n' \
    "$DEVICE" "$CUDA_ARCH" "$(( $(date +%s) - B0 ))" "$([ -n "$GEN" ] && echo ninja || echo make)" "$JOBS" "$CMAKE_VERSION" "${NVCC_VERSION:-}" "$TARGET" > "$OUT/build.json"
  abi_check() {
    local cc; cc=$(command -v cc || command -v gcc)
    "$cc" -I"$SRC/include" -I"$SRC/ggml/include" "$KIT/llama.cpp/abi-table.c" -o "$WORK/abi-table" \
      && "$WORK/abi-table" > "$WORK/abi-layout.json" \
      && trbench kit stamp-library --lib-dir "$BUILD/bin" --source "$KIT/llama.cpp/source.json" --layout "$WORK/abi-layout.json" \
        --variant "$DEVICE" ${CUDA_ARCH:+--cuda-arch "$CUDA_ARCH"}
  }
  step abi "struct layouts of the built headers against the pinned table" abi_check || { log "run.sh: refusing the built libllama (see above)"; exit 1; }
  export TRBENCH_LIBLLAMA_DIR=$BUILD/bin
fi
step load "load libllama through koffi, list devices" trbench kit verify-library --device "$DEVICE" || { log "run.sh: trbench cannot use this libllama (see above)"; exit 1; }

# (not through step: a pipeline's subshell cannot wait for this shell's child)
log "== models ($(left) s left; generation started $(( $(date +%s) - PREP_START )) s ago, during the build)"
W0=$(date +%s)
wait "$PREP_PID"; PREP_RC=$?
tee -a "$LOG" < "$PREP_LOG"
if [ "$PREP_RC" = 0 ]; then record models ok "$(( $(date +%s) - W0 ))" "waited for stories260K + twins after the build"
else record models failed "$(( $(date +%s) - W0 ))" "exit $PREP_RC"; log "run.sh: the models could not be prepared (see $PREP_LOG)"; exit 1; fi

# --- 3. measurements, each written as soon as it exists ------------------------------------------------
# shellcheck disable=SC2046
step check-backend "tree vs linear logits, $DEVICE" trbench check-backend --device "$DEVICE" $(for m in $CHECK_MODELS; do printf -- '--model %s ' "$m"; done) --out "$OUT/check-backend.json"

if [ $CPU = 1 ]; then
  SIZES=1,2,4,8,16,32,64,81; REPEATS=3; CONTEXT=64; THREADS=1; NEW_TOKENS=32
elif [ "$(left)" -gt 300 ]; then
  SIZES=1,2,4,8,16,32,48,64,81,96,128; REPEATS=7; CONTEXT=256; THREADS=1; NEW_TOKENS=128
else
  SIZES=1,4,16,32,64,81,128; REPEATS=3; CONTEXT=256; THREADS=1; NEW_TOKENS=128
fi
if [ "$(left)" -gt 30 ]; then
  step cost-curve "t(n) on $TARGET_MODEL, n = $SIZES, median of $REPEATS" trbench kit cost-curve --model "$TARGET_MODEL" --device "$DEVICE" \
    --threads "$THREADS" --sizes "$SIZES" --repeats "$REPEATS" --context "$CONTEXT" --out "$OUT/cost-curve"
else
  skip cost-curve "budget spent ($(left) s left)"
fi

# The sweep gets SIGINT GRACE seconds before its end (the question in flight finishes, every finished one is
# kept), SIGKILL at the end; RESERVE is left for the reports. Its config holds MAX_QUESTIONS stories; the
# plan estimates how many fit in this call, and a second call with the same --out resumes the rest.
RESERVE=15
GRACE=45
SWEEP_S=$(( $(left) - RESERVE ))
MAX_QUESTIONS=$([ $CPU = 1 ] && echo 8 || echo 16)
SWEEP_CONFIG=$OUT/sweep.json
SWEEP_NOTE="AR, TR 2.2.2, chains, tuned tree, SuffixDecoding, $([ -n "$MODEL" ] && echo PLD || echo SpS)"
if [ -n "$CONFIG" ]; then SWEEP_CONFIG=$CONFIG; SWEEP_NOTE="the methods of $(basename "$CONFIG")"; fi
if [ "$SWEEP_S" -gt $(( GRACE + 30 )) ]; then
  if [ -n "$CONFIG" ]; then
    # The user's config: run as written (no sizing); stopped at the deadline, resumed by a second call.
    if [ -f "$OUT/sweep/run.json" ]; then SWEEP_MODE=--resume; else SWEEP_MODE=--overwrite; fi
    skip plan-sweep "the sweep is $CONFIG${SWEEP_MODE:+ ($SWEEP_MODE)}"
  elif [ -f "$OUT/sweep/run.json" ] && [ -f "$OUT/sweep.json" ]; then
    # A second call with the same --out continues the sweep the first one was stopped in.
    SWEEP_MODE=--resume
    skip plan-sweep "resuming the sweep of an earlier call ($(wc -l < "$OUT/sweep/records.jsonl" 2>/dev/null || echo 0) records)"
  else
    SWEEP_MODE=--overwrite
    step plan-sweep "sized to $(( SWEEP_S - GRACE )) s" trbench kit plan-sweep --budget-s "$(( SWEEP_S - GRACE ))" --model "$TARGET_MODEL" \
      --device "$DEVICE" --threads "$THREADS" --max-new-tokens "$NEW_TOKENS" --max-questions "$MAX_QUESTIONS" \
      --cost-curve "$OUT/cost-curve/cost-curve.json" --out "$OUT/sweep.json" --dataset "$DATASET" \
      ${MODEL:+--user-model} ${TEMPLATE:+--template "$TEMPLATE"}
  fi
  step sweep "$SWEEP_NOTE" \
    timeout -s INT -k "$GRACE" "$(( $(left) - RESERVE - GRACE ))" "$NODE" "$APP" run "$SWEEP_CONFIG" --out "$OUT" --name sweep $SWEEP_MODE
  if [ -f "$OUT/sweep/records.jsonl" ]; then step sweep-report "summary of the finished questions" trbench report "$OUT/sweep"; fi
else
  skip sweep "budget spent ($(left) s left)"
fi
