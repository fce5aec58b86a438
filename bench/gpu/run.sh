#!/usr/bin/env bash
# The GPU bench in ONE device call of at most --budget seconds (default 480: the device lends a task
# 15 minutes in all, starts included). Run from the repository root on the GPU machine (README.md):
# unpacks the carried Vulkan loader and Node, writes a seeded random real-width layer stack with
# torch on the card, runs the PyTorch reference, then ours, and writes the report to
# bench/results/gpu-<date>.md and to --out (default $OUT, the device's return folder).
#
#   bash bench/gpu/run.sh [--tiny] [--budget SECONDS] [--torch-share SECONDS] [--device webgpu|cuda|cpu]
#                         [--layers N] [--shapes 480x832,720x1280] [--variants LIST] [--runs N] [--warmup N]
#                         [--phases torch,variants,dit,check,vae] [--out DIR] [--work DIR] [--results-dir DIR]
# Every step is estimated before it starts and skipped, with a line in the report, when it would not
# fit the time left; each step of ours runs in a child process killed at its time slice.
set -uo pipefail
cd "$(dirname "$0")/../.."
started=$SECONDS
start_epoch=$(date +%s)

SIZE=real DEVICE='' PHASES=torch,variants,dit,check,vae OUTDIR=${OUT:-bench-out} WORK=/tmp/flashgraph-gpu PYTHON=${PYTHON:-python3}
BUDGET=480 TORCH_SHARE='' LAYERS='' RESULTS=bench/results
COMMON=()
ONNX_ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tiny) SIZE=tiny ;;
    --device) DEVICE=$2; shift ;;
    --phases) PHASES=$2; shift ;;
    --out) OUTDIR=$2; shift ;;
    --work) WORK=$2; shift ;;
    --budget) BUDGET=$2; shift ;;
    --torch-share) TORCH_SHARE=$2; shift ;;
    --layers) LAYERS=$2; shift ;;
    --results-dir) RESULTS=$2; shift ;;
    --shapes|--runs|--warmup) COMMON+=("$1" "$2"); shift ;;
    --variants|--attention) ONNX_ONLY+=("$1" "$2"); shift ;; # ours only: torch uses SDPA
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[[ "$BUDGET" =~ ^[0-9]+$ ]] || { echo "run.sh: --budget takes whole seconds" >&2; exit 2; }
[ -n "$DEVICE" ] || { [ $SIZE = tiny ] && DEVICE=cpu || DEVICE=webgpu; }
[ -n "$LAYERS" ] || { [ $SIZE = tiny ] && LAYERS=2 || LAYERS=3; }
# The torch reference is fast (SDPA near the matmul ceiling): at most a fifth of the call by default.
[ -n "$TORCH_SHARE" ] || TORCH_SHARE=$((BUDGET / 5))
DEADLINE=$((start_epoch + BUDGET))
WEIGHTS=$WORK/dit-$SIZE-$LAYERS
mkdir -p "$OUTDIR" "$WORK"
exec > >(tee -a "$OUTDIR/run.log") 2>&1
has_phase() { [[ ",$PHASES," == *",$1,"* ]]; }
step() { echo "== $(date -u +%H:%M:%S) +$((SECONDS - started)) s: $*"; }
step "budget $BUDGET s (deadline $(date -u -d @$DEADLINE +%H:%M:%S)), layer stack $LAYERS, $SIZE"

# 1. The GPU: Vulkan loader for the WebGPU EP (only on a machine with an NVIDIA driver: unpacking
#    into / elsewhere would overwrite the host's libraries).
if command -v nvidia-smi > /dev/null; then
  if [ -d .gl ] && ! ldconfig -p | grep -q libvulkan.so.1; then
    step "unpacking the Vulkan / GL loaders from .gl/"
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  if ! ls /usr/share/vulkan/icd.d/*nvidia* /etc/vulkan/icd.d/*nvidia* > /dev/null 2>&1 \
     && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
    echo "Vulkan ICD: $VK_DRIVER_FILES"
  fi
  nvidia-smi > "$OUTDIR/nvidia-smi.txt" 2>&1
  FLASHGRAPH_GPU_NAME="$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | head -1)"
  export FLASHGRAPH_GPU_NAME
  echo "GPU: $FLASHGRAPH_GPU_NAME"
fi

# 2. Node and onnxruntime-node: carried (pack.sh), else this machine's own (a dev checkout).
# FLASHGRAPH_BENCH_FROM_SOURCE=1 skips the bundle (tests: a bundle made earlier may be stale).
if [ "${FLASHGRAPH_BENCH_FROM_SOURCE:-0}" != 1 ] && [ -f .gpu-carry/node.xz ] && [ -f .gpu-carry/bench.mjs ]; then
  FLASHGRAPH_SOURCE_REV="bundle of $(cat .gpu-carry/source.rev 2> /dev/null || echo '?')"
  # Unpacked under $WORK, never into the tree (the tree travels with the next call: 64 MiB limit).
  NODE=$WORK/bin/node
  if [ ! -x "$NODE" ]; then
    mkdir -p "$WORK/bin" && xz -T0 -dc .gpu-carry/node.xz > "$NODE.tmp" && chmod +x "$NODE.tmp" && mv "$NODE.tmp" "$NODE"
  fi
  mkdir -p "$WORK/node_modules"
  [ -d "$WORK/node_modules/onnxruntime-node" ] || tar -xJf .gpu-carry/ort.tar.xz -C "$WORK/node_modules"
  cp .gpu-carry/bench.mjs "$WORK/bench.mjs" # resolves onnxruntime-node from $WORK/node_modules
  BENCH=("$NODE" "$WORK/bench.mjs")
elif command -v node > /dev/null && [ -d node_modules/tsx ]; then
  BENCH=(node --import tsx bench/gpu/main.ts)
  FLASHGRAPH_SOURCE_REV="source $(git describe --always --dirty 2> /dev/null || echo '?')"
else
  echo "run.sh: no Node: run bench/gpu/pack.sh where Node is, and carry .gpu-carry" >&2
  exit 2
fi
export FLASHGRAPH_SOURCE_REV
echo "node: ${BENCH[*]} ($FLASHGRAPH_SOURCE_REV)"

# 3. Weights: the layer stack, seeded random, written by torch (on the GPU when there is one).
HAS_TORCH=0
"$PYTHON" -c 'import torch' 2> /dev/null && HAS_TORCH=1
if [ ! -f "$WEIGHTS/config.json" ] && [ $HAS_TORCH = 1 ]; then
  step "writing the $SIZE $LAYERS-layer DiT stack to $WEIGHTS"
  "$PYTHON" bench/gpu/torch_reference.py --write-weights "$WEIGHTS" --size $SIZE --layers "$LAYERS" || { echo "run.sh: weight generation failed" >&2; exit 1; }
  df -h "$WORK" | tail -1
elif [ ! -f "$WEIGHTS/config.json" ] && [ $SIZE = real ]; then
  echo "run.sh: the real-width weights are made with torch, and $PYTHON has none" >&2
  exit 1
fi # tiny without torch: the Node bench writes its own

# 4. The PyTorch reference on the same weights and shapes, within its share of the budget.
if has_phase torch; then
  if [ $HAS_TORCH = 1 ]; then
    torch_deadline=$(( $(date +%s) + TORCH_SHARE ))
    [ $torch_deadline -le $DEADLINE ] || torch_deadline=$DEADLINE
    step "torch reference (until +$((torch_deadline - start_epoch)) s)"
    PYTHONUNBUFFERED=1 "$PYTHON" bench/gpu/torch_reference.py --bench --size $SIZE --weights "$WEIGHTS" --out "$OUTDIR" \
      --phases check,dit --deadline "$torch_deadline" "${COMMON[@]}" \
      || echo "run.sh: the torch reference failed (its partial JSON, if any, is kept)"
  else
    echo "run.sh: $PYTHON has no torch: torch phase skipped"
  fi
fi

# 5. Ours: onnxruntime-node on the GPU provider, each step within the time left.
ONNX_PHASES=$(echo ",$PHASES," | sed 's/,torch,/,/g; s/^,//; s/,$//')
if [ -n "$ONNX_PHASES" ]; then
  TORCH_JSON=$(ls -t "$OUTDIR"/torch-*-$SIZE.json 2> /dev/null | head -1)
  step "onnx: $ONNX_PHASES on $DEVICE"
  "${BENCH[@]}" --size $SIZE --device "$DEVICE" --out "$OUTDIR" --work "$WORK" --weights "$WEIGHTS" --layers "$LAYERS" \
    --phases "$ONNX_PHASES" --deadline "$((DEADLINE * 1000))" ${TORCH_JSON:+--torch-json "$TORCH_JSON"} "${COMMON[@]}" "${ONNX_ONLY[@]}" \
    || echo "run.sh: the onnx bench failed"
fi

# 6. The report where it is committed from, and in the return folder.
report=$(ls -t "$OUTDIR"/gpu-*.md 2> /dev/null | head -1)
if [ -n "$report" ]; then
  mkdir -p "$RESULTS"
  [ "$(realpath "$report")" = "$(realpath -m "$RESULTS/$(basename "$report")")" ] || cp "$report" "$RESULTS/"
fi
step "done in $((SECONDS - started)) s of $BUDGET s; results in $OUTDIR and $RESULTS/"
ls -la "$OUTDIR"
[ -z "$report" ] || cat "$report"
