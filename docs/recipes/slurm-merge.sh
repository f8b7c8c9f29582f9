#!/usr/bin/env bash
# Merges the shards written by slurm-array.sh (submit with --dependency=afterok:<array job id>).
# `trbench merge` refuses, naming what is wrong, when a shard is missing, repeated or unfinished, or when
# the shards ran on different hardware (add --allow-mixed-hardware to get speedups per hardware group).
#SBATCH --job-name=trbench-merge
#SBATCH --cpus-per-task=1
#SBATCH --time=00:30:00
#SBATCH --output=trbench-merge-%j.out
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-.}"
NAME="${NAME:-default}"                    # the config's `name` (its file name when it has none)
RESULTS="${RESULTS:-results/runs}"
npx trbench merge "$RESULTS/$NAME".shard-* --out "$RESULTS/$NAME" --overwrite
