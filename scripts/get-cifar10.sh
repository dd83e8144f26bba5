#!/usr/bin/env bash
# Downloads the official CIFAR-10 binary release (about 163 MB) where the network allows, and
# unpacks it under DIR (default: ./data). Then: dpurun eval --data DIR/cifar-10-batches-bin
set -euo pipefail
dir="${1:-data}"
url="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
mkdir -p "$dir"
if [ ! -f "$dir/cifar-10-batches-bin/test_batch.bin" ]; then
  echo "downloading $url"
  if ! curl -fL --retry 3 -o "$dir/cifar-10-binary.tar.gz" "$url"; then
    echo "get-cifar10: download failed (no network here?). Copy cifar-10-binary.tar.gz into $dir" >&2
    echo "by hand, or point dpurun at an image folder with --data or DPURUN_DATA." >&2
    exit 1
  fi
  tar -xzf "$dir/cifar-10-binary.tar.gz" -C "$dir"
  rm "$dir/cifar-10-binary.tar.gz"
fi
echo "CIFAR-10 test batch: $dir/cifar-10-batches-bin/test_batch.bin"
echo "run: dpurun eval --data $dir/cifar-10-batches-bin"
