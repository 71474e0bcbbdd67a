#!/bin/bash
# One shard of an rmsim sweep per Slurm array task; the array's size is the shard count.
#
#   job=$(sbatch --parsable --array=1-3 docs/fan-out/slurm-sweep.sh \
#           balloon --param vms.count=1..8 --slo 'fault.latency_ns.p99<=50us')
#   sbatch --dependency=afterok:$job --wrap 'rmsim merge out/shards/shard-* --out out/sweep'
#
# Everything after the script name is handed to `rmsim sweep` as given. Task i (1-based, as
# --array=1-N numbers them) runs `--shard i/N` into $OUT/shard-i; the merged sweep.json is the
# very file one unsharded `rmsim sweep` writes. RMSIM names the command (default rmsim), OUT
# the shared folder every task writes to (default out/shards).
#SBATCH --job-name=rmsim-sweep
#SBATCH --cpus-per-task=1
#SBATCH --output=slurm-rmsim-%A_%a.log
set -euo pipefail
: "${SLURM_ARRAY_TASK_ID:?submit with sbatch --array=1-N}"
: "${SLURM_ARRAY_TASK_COUNT:?submit with sbatch --array=1-N}"
OUT=${OUT:-out/shards}
# shellcheck disable=SC2086 # RMSIM may be a command with arguments (node dist/sim/cli/main.js)
exec ${RMSIM:-rmsim} sweep "$@" --workers "${SLURM_CPUS_PER_TASK:-1}" --quiet \
  --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" --out "${OUT}/shard-${SLURM_ARRAY_TASK_ID}"
