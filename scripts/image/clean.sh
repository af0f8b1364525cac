#!/usr/bin/env bash
# `make image-clean`: removes everything scripts/image/ stored (the base images, the operator image,
# the layer and npm caches): the state directory, after its containers and mounts are gone. The
# machine's own container storage is not touched.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
. "$(dirname "$0")/lib.sh"

"${PODMAN[@]}" rm --all --force --time 0 >/dev/null 2>&1 || true
"${BUILDAH[@]}" rm --all >/dev/null 2>&1 || true
"${PODMAN[@]}" rmi --all --force >/dev/null 2>&1 || true
# Whatever is still mounted under the state directory (an interrupted build), deepest first.
awk -v root="$STATE/" 'index($2, root) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r mnt; do
  umount "$mnt" 2>/dev/null || umount -l "$mnt" || true
done
rm -rf "$STATE"
log "removed $STATE"
