#!/usr/bin/env bash
# A stand-in for discover-gpus.sh on machines without GPUs, to test Spark's GPU scheduling path (workers started
# with -Dspark.worker.resource.gpu.amount=N): prints N fake addresses, N = FAKE_GPUS (default 2).
# Never use it with train.device = gpu: there is no CUDA device behind the addresses.
n=${FAKE_GPUS:-2}
addresses=$(seq 0 $((n - 1)) | sed 's/.*/"&"/' | paste -sd, -)
echo "{\"name\":\"gpu\",\"addresses\":[${addresses}]}"
