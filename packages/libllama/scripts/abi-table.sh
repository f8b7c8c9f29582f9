#!/usr/bin/env bash
# Prints EXPECTED_LAYOUT (packages/libllama/src/abi.ts) from the llama.h of the llama.cpp source that the
# installed node-llama-cpp ships (its git bundle), compiled with the system C compiler.
# Usage: packages/libllama/scripts/abi-table.sh   (from anywhere inside the repository)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bundle="$root/node_modules/node-llama-cpp/llama/gitRelease.bundle"
[ -f "$bundle" ] || { echo "abi-table: $bundle is missing; run npm ci" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
git clone --quiet --no-checkout "$bundle" "$work/src" 2>/dev/null
git -C "$work/src" checkout --quiet HEAD -- include ggml/include
"${CC:-cc}" -std=c11 -I"$work/src/include" -I"$work/src/ggml/include" "$here/abi-table.c" -o "$work/abi-table"
"$work/abi-table"
