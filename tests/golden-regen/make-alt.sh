#!/bin/sh
# Build an alternative golden folder whose dit/ and vae/ were regenerated from the original code at
# other sizes (regen_dit.py / regen_vae.py defaults), with the other components copied from the
# shipped fixtures; then run the golden tests with FLASHGRAPH_GOLDEN_DIR pointing at it.
#   tests/golden-regen/make-alt.sh <checkout of okdalto/ComfyUI-FlashPortrait> [out=/tmp/golden-alt]
set -eu
SRC=${1:?checkout of okdalto/ComfyUI-FlashPortrait}
OUT=${2:-/tmp/golden-alt}
HERE=$(cd "$(dirname "$0")" && pwd)
SHIPPED=${FLASHGRAPH_SHIPPED_GOLDEN:-$HERE/../../../shared/golden}
PY=${PYTHON:-/usr/bin/python3}
rm -rf "$OUT"
mkdir -p "$OUT"
for c in encoders face sampler ERRATA.md; do cp -r "$SHIPPED/$c" "$OUT/"; done
chmod -R u+w "$OUT"
"$PY" "$HERE/regen_dit.py" --src "$SRC" --out "$OUT/dit"
"$PY" "$HERE/regen_vae.py" --src "$SRC" --out "$OUT/vae"
echo "now: FLASHGRAPH_GOLDEN_DIR=$OUT FLASHGRAPH_REQUIRE_GOLDEN=1 npx vitest run tests/flashportrait/dit tests/flashportrait/vae tests/ml tests/bench-gpu tests/flashportrait/loader.test.ts"
