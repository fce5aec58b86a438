#!/usr/bin/env bash
# The GPU bench in one command, run from the repository root on the GPU machine (see README.md):
# unpacks the carried Vulkan loader and Node, writes seeded random real-size weights with torch on the
# card (unless a warm machine still has them), runs the PyTorch reference, then our ONNX graphs, and
# leaves the results (markdown + JSON + log) in --out (default $OUT, the device's return folder).
#
#   bash bench/gpu/run.sh [--tiny] [--device webgpu|cuda|cpu] [--phases torch,check,dit,vae]
#                         [--shapes 480x832,720x1280] [--runs N] [--warmup N] [--check-layers N]
#                         [--attention-chunk N] [--attention-tiling loop|unrolled] [--out DIR] [--work DIR]
# Phases: torch = the PyTorch reference (matmul ceiling, fp16/bf16 check, timed calls); check, dit,
# vae = ours (bench/gpu/main.ts). Each step's failure is reported and the next still runs.
set -uo pipefail
cd "$(dirname "$0")/../.."

SIZE=real DEVICE='' PHASES=torch,check,dit,vae OUTDIR=${OUT:-bench-out} WORK=/tmp/flashgraph-gpu PYTHON=${PYTHON:-python3}
COMMON=()
ONNX_ONLY=()
while [ $# -gt 0 ]; do
  case "$1" in
    --tiny) SIZE=tiny ;;
    --device) DEVICE=$2; shift ;;
    --phases) PHASES=$2; shift ;;
    --out) OUTDIR=$2; shift ;;
    --work) WORK=$2; shift ;;
    --shapes|--runs|--warmup|--check-layers) COMMON+=("$1" "$2"); shift ;;
    --attention-chunk|--attention-tiling) ONNX_ONLY+=("$1" "$2"); shift ;; # ours only: torch uses SDPA
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$DEVICE" ] || { [ $SIZE = tiny ] && DEVICE=cpu || DEVICE=webgpu; }
WEIGHTS=$WORK/dit-$SIZE
mkdir -p "$OUTDIR" "$WORK"
exec > >(tee -a "$OUTDIR/run.log") 2>&1
has_phase() { [[ ",$PHASES," == *",$1,"* ]]; }
step() { echo "== $(date -u +%H:%M:%S) $*"; }
started=$SECONDS

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
    mkdir -p "$WORK/bin" && xz -dc .gpu-carry/node.xz > "$NODE.tmp" && chmod +x "$NODE.tmp" && mv "$NODE.tmp" "$NODE"
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

# 3. Weights: seeded random, written by torch (on the GPU when there is one); a warm machine keeps them.
HAS_TORCH=0
"$PYTHON" -c 'import torch' 2> /dev/null && HAS_TORCH=1
if has_phase torch || has_phase check || has_phase dit; then
  if [ ! -f "$WEIGHTS/config.json" ]; then
    if [ $HAS_TORCH = 1 ]; then
      step "writing $SIZE DiT weights to $WEIGHTS"
      "$PYTHON" bench/gpu/torch_reference.py --write-weights "$WEIGHTS" --size $SIZE || { echo "run.sh: weight generation failed" >&2; exit 1; }
      df -h "$WORK" | tail -1
    elif [ $SIZE = real ]; then
      echo "run.sh: the real-size weights are made with torch, and $PYTHON has none" >&2
      exit 1
    fi # tiny without torch: the Node bench writes its own
  fi
fi

# 4. The PyTorch reference on the same weights and shapes.
if has_phase torch; then
  if [ $HAS_TORCH = 1 ]; then
    step "torch reference"
    PYTHONUNBUFFERED=1 "$PYTHON" bench/gpu/torch_reference.py --bench --size $SIZE --weights "$WEIGHTS" --out "$OUTDIR" --phases check,dit "${COMMON[@]}" \
      || echo "run.sh: the torch reference failed (its partial JSON, if any, is kept)"
  else
    echo "run.sh: $PYTHON has no torch: torch phase skipped"
  fi
fi

# 5. Ours: onnxruntime-node on the GPU provider.
ONNX_PHASES=$(echo ",$PHASES," | sed 's/,torch,/,/g; s/^,//; s/,$//')
if [ -n "$ONNX_PHASES" ]; then
  TORCH_JSON=$(ls -t "$OUTDIR"/torch-*-$SIZE.json 2> /dev/null | head -1)
  step "onnx: $ONNX_PHASES on $DEVICE"
  "${BENCH[@]}" --size $SIZE --device "$DEVICE" --out "$OUTDIR" --work "$WORK" --weights "$WEIGHTS" --phases "$ONNX_PHASES" \
    ${TORCH_JSON:+--torch-json "$TORCH_JSON"} "${COMMON[@]}" "${ONNX_ONLY[@]}" || echo "run.sh: the onnx bench failed"
fi

step "done in $((SECONDS - started)) s; results in $OUTDIR:"
ls -la "$OUTDIR"
cat "$OUTDIR"/gpu-*.md 2> /dev/null
