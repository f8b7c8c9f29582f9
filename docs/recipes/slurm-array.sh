#!/usr/bin/env bash
# One trbench sweep as a SLURM array job: each array task runs one shard (--shard auto reads
# SLURM_ARRAY_TASK_ID / _MIN / _COUNT) into its own run folder <RESULTS>/<config name>.shard-I-of-N.
# Submit from the repository root (after `npm ci`), then merge when every task has finished:
#   jobid=$(sbatch --parsable docs/recipes/slurm-array.sh)
#   sbatch --dependency=afterok:$jobid docs/recipes/slurm-merge.sh
# The number of shards is the array's size: change --array here only (0-7 = 8 shards).
#SBATCH --job-name=trbench
#SBATCH --array=0-7
#SBATCH --cpus-per-task=8
#SBATCH --gres=gpu:1
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --output=trbench-%A_%a.out
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-.}"
CONFIG="${CONFIG:-configs/default.yaml}"   # the sweep
RESULTS="${RESULTS:-results/runs}"         # on a file system every node sees
# --resume: a requeued (preempted) task continues its shard instead of starting it over.
npx trbench run "$CONFIG" --shard auto --out "$RESULTS" --resume
