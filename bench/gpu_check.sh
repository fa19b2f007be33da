#!/usr/bin/env bash
# The GPU check, prepared to run in one go on a machine with an NVIDIA GPU, CuPy and PyTorch CUDA:
#   bash bench/gpu_check.sh            (writes its logs to $OUT, or to /tmp/gpu_check)
# 1. tests/gpu (every op's and layer's gradient on 'cuda' in float64, a convnet fit) and the
#    device-parametrised tests, which add 'cuda' to their devices when CuPy sees a GPU;
# 2. bench/bench_models.py --device cuda: W1 and W2 train steps and W4 predict, kerasish vs PyTorch CUDA.
# Installs nothing: run it where numpy, h5py, tqdm, pytest, hypothesis, cupy and torch already are.
set -o pipefail
cd "$(dirname "$0")/.."
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
PY=${PYTHON:-python3}
LOGS=${OUT:-/tmp/gpu_check}
mkdir -p "$LOGS"
status=0

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | tee "$LOGS/gpu.txt"
$PY -c "import cupy, numpy, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__,
'torch', torch.__version__, 'torch.cuda', torch.cuda.is_available())" 2>&1 | tee -a "$LOGS/gpu.txt"
$PY -c "from kerasish import backend; assert backend.cupy_available(), 'kerasish sees no GPU'" || exit 1

timeout 300 $PY -m pytest -p no:cacheprovider -q -rs tests/gpu tests/test_device_agnostic.py \
    tests/saving/test_saving_devices.py tests/core/test_fake_device.py 2>&1 | tee "$LOGS/tests.txt" || status=1

timeout 240 $PY bench/bench_models.py --device cuda --json "$LOGS/bench.json" 2>&1 | tee "$LOGS/bench.txt" || status=1
exit $status
