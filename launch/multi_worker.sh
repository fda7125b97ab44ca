#!/usr/bin/env bash
# Two-worker data-parallel training with MultiWorkerMirroredStrategy.
#
# Every worker runs the same command; only TF_CONFIG's task index differs.
# Worker 0 is the chief: it writes checkpoints and summaries to MODEL_DIR
# (which all workers must see, e.g. a shared or gs:// path); the other worker
# writes its copies to a temporary folder. Rerunning both commands resumes from
# the newest checkpoint. Reference: Goldman, Giryes, Satyanarayanan, "Smooth
# Regularization for Efficient Video Recognition", NeurIPS 2025,
# arXiv:2511.20928.
#
# Usage, one per machine (or both on one machine for a try-out):
#   launch/multi_worker.sh 0 [fit|train]   # on host A (the chief)
#   launch/multi_worker.sh 1 [fit|train]   # on host B
# Environment: WORKER_HOSTS (default "localhost:12345,localhost:12346"),
# MODEL_DIR, EXPERIMENT, CONFIG_FILE, PARAMS_OVERRIDE, PYTHON.
set -euo pipefail

INDEX="${1:?usage: $0 WORKER_INDEX [fit|train]}"
DRIVER="${2:-fit}"
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
WORKER_HOSTS="${WORKER_HOSTS:-localhost:12345,localhost:12346}"
MODEL_DIR="${MODEL_DIR:-runs/multi_worker_${DRIVER}}"
EXPERIMENT="${EXPERIMENT:-movinet_grw_airplanes}"
CONFIG_FILE="${CONFIG_FILE:-configs/airplanes_a0_stream_grw.yaml}"
PARAMS_OVERRIDE="${PARAMS_OVERRIDE:-}"

# TF_CONFIG of worker INDEX, e.g. for INDEX=1:
# {"cluster": {"worker": ["localhost:12345", "localhost:12346"]},
#  "task": {"type": "worker", "index": 1}}
WORKERS_JSON="$(printf '"%s",' ${WORKER_HOSTS//,/ })"
export TF_CONFIG="{\"cluster\": {\"worker\": [${WORKERS_JSON%,}]}, \"task\": {\"type\": \"worker\", \"index\": ${INDEX}}}"
echo "TF_CONFIG=${TF_CONFIG}"

if [[ "${DRIVER}" == "fit" ]]; then
  # Keras fit; --data=airplanes renders the arrays in memory on each worker
  # (auto-sharded by data), --data=records reads the experiment's records.
  exec "${PYTHON}" launch/fit.py --strategy=multi_worker_mirrored \
    --experiment="${EXPERIMENT}" --config_file="${CONFIG_FILE}" \
    --data="${DATA:-airplanes}" --model_dir="${MODEL_DIR}" \
    --params_override="${PARAMS_OVERRIDE}"
else
  # Model Garden's trainer (launch/train.py) with the same strategy, set by
  # one more YAML override (so PARAMS_OVERRIDE may be CSV, YAML or JSON).
  STRATEGY_YAML="$(mktemp --suffix=.yaml)"
  trap 'rm -f "${STRATEGY_YAML}"' EXIT
  printf 'runtime:\n  distribution_strategy: multi_worker_mirrored\n' \
    > "${STRATEGY_YAML}"
  "${PYTHON}" launch/train.py --mode=train \
    --experiment="${EXPERIMENT}" --config_file="${CONFIG_FILE}" \
    --config_file="${STRATEGY_YAML}" --model_dir="${MODEL_DIR}" \
    --params_override="${PARAMS_OVERRIDE}"
fi
