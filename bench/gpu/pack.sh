#!/usr/bin/env bash
# Prepares what the GPU machine needs and cannot get there (no network, no Node), in two git-ignored
# folders named in the device run's `carry`:
#   .gpu-carry/  node.xz (this machine's Node binary), bench.mjs (bench/gpu/main.ts bundled with
#                esbuild: every import but onnxruntime-node inlined), ort.tar.xz (onnxruntime-node +
#                onnxruntime-common, Linux x64 binaries only)
#   .gl/         the Vulkan loader / GL dispatch .debs (amd64) the WebGPU EP (Dawn) needs there
# Run from the repository root on this machine:  bash bench/gpu/pack.sh
# Refuses to finish when the carried folders exceed CARRY_LIMIT_MIB (the device takes 64 MiB in all).
set -euo pipefail
cd "$(dirname "$0")/../.."
CARRY_LIMIT_MIB=${CARRY_LIMIT_MIB:-60}
[ "$(uname -m)" = x86_64 ] || { echo "pack.sh: this machine is $(uname -m); the GPU machine is x86-64: pack on an x86-64 machine" >&2; exit 1; }

mkdir -p .gpu-carry
rm -rf .gpu-carry/node_modules # left by an older run.sh: must not travel
node_version=$(node --version)
if [ "$(cat .gpu-carry/node.version 2>/dev/null)" != "$node_version" ]; then
  echo "node $node_version: compressing $(command -v node) (about a minute)"
  xz -T2 -9 < "$(command -v node)" > .gpu-carry/node.xz.tmp && mv .gpu-carry/node.xz.tmp .gpu-carry/node.xz
  echo "$node_version" > .gpu-carry/node.version
fi

echo "bundling bench/gpu/main.ts"
git describe --always --dirty > .gpu-carry/source.rev
# CommonJS dependencies (onnx-proto / protobufjs) call require(): give the ES module bundle one.
node_modules/esbuild/bin/esbuild bench/gpu/main.ts --bundle --platform=node --format=esm --target=node20 \
  --external:onnxruntime-node --log-level=warning --outfile=.gpu-carry/bench.mjs \
  --banner:js="import { createRequire as __flashgraphRequire } from 'node:module'; const require = __flashgraphRequire(import.meta.url);"

echo "packing onnxruntime-node (linux/x64 only)"
tar -C node_modules -cf - \
  onnxruntime-node/package.json onnxruntime-node/dist \
  onnxruntime-node/bin/napi-v6/linux/x64 \
  onnxruntime-common/package.json onnxruntime-common/dist/cjs \
  | xz -T2 -9 > .gpu-carry/ort.tar.xz

if ! ls .gl/libvulkan1_*.deb > /dev/null 2>&1; then
  echo "downloading the Vulkan / GL loader packages (amd64) into .gl/"
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  apt-get $o update > /dev/null
  (cd .gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
fi

du -ch --apparent-size .gpu-carry/* .gl/*
total_kib=$(du -ck --apparent-size .gpu-carry .gl | tail -1 | cut -f1)
tree_kib=$(git ls-files -z | xargs -0 du -ck --apparent-size 2>/dev/null | tail -1 | cut -f1)
echo "carried: $((total_kib / 1024)) MiB; tracked tree: $((tree_kib / 1024)) MiB (device limit 64 MiB in all)"
if [ $((total_kib + tree_kib)) -gt $((CARRY_LIMIT_MIB * 1024)) ]; then
  echo "pack.sh: carry + tree exceed ${CARRY_LIMIT_MIB} MiB" >&2
  exit 1
fi
