#!/usr/bin/env bash
# Spark GPU discovery script (spark.{worker,executor,driver}.resource.gpu.discoveryScript): prints the GPUs this
# host (or container) can use as {"name":"gpu","addresses":["0","1",...]}, from nvidia-smi. Indices are CUDA device
# indices; the train task takes its device from TaskContext.resources(). Honours CUDA_VISIBLE_DEVICES when set
# (the listed devices are renumbered 0..n-1 by CUDA, so the addresses are 0..n-1 then).
set -euo pipefail
if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "discover-gpus: nvidia-smi not found: no NVIDIA driver on this host" >&2
  exit 1
fi
if [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  n=$(echo "$CUDA_VISIBLE_DEVICES" | tr ',' '\n' | grep -c .)
  indices=$(seq 0 $((n - 1)))
else
  indices=$(nvidia-smi --query-gpu=index --format=csv,noheader)
fi
addresses=$(echo "$indices" | sed 's/[[:space:]]//g' | grep . | sed 's/.*/"&"/' | paste -sd, -)
echo "{\"name\":\"gpu\",\"addresses\":[${addresses}]}"
