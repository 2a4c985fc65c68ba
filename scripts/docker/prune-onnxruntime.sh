#!/bin/sh
# Removes every onnxruntime-node native binary that is not for the image's platform.
# onnxruntime-node ships all platforms' binaries (~288 MB, see docs/deploying.md); a linux/x64 image needs
# bin/napi-v6/linux/x64 only (~45 MB). Usage: prune-onnxruntime.sh <node_modules dir> [os/arch]
# (os/arch defaults to linux/x64). Fails loudly if the kept directory is missing, so a layout change in a
# future onnxruntime-node release breaks the image build instead of shipping an image that cannot load ORT.
set -eu

modules="${1:?usage: prune-onnxruntime.sh <node_modules dir> [os/arch]}"
keep="${2:-linux/x64}"
keep_os="${keep%/*}"
keep_arch="${keep#*/}"
bin="$modules/onnxruntime-node/bin"

[ -d "$bin" ] || { echo "prune-onnxruntime: $bin not found" >&2; exit 1; }
found=0
for napi in "$bin"/napi-v*; do
  [ -d "$napi/$keep_os/$keep_arch" ] || { echo "prune-onnxruntime: $napi/$keep not found" >&2; exit 1; }
  found=1
  for os_dir in "$napi"/*; do
    if [ "$(basename "$os_dir")" != "$keep_os" ]; then rm -rf "$os_dir"; continue; fi
    for arch_dir in "$os_dir"/*; do
      [ "$(basename "$arch_dir")" = "$keep_arch" ] || rm -rf "$arch_dir"
    done
  done
done
[ "$found" -eq 1 ] || { echo "prune-onnxruntime: no napi-v* directory under $bin" >&2; exit 1; }
echo "prune-onnxruntime: kept $keep; onnxruntime-node is now $(du -sh "$modules/onnxruntime-node" | cut -f1)"
