#!/usr/bin/env bash
# `make image`: the Dockerfile built without a Docker engine, with buildah, as cloudnet-operator:<the
# package.json version>. The base image (FROM node:...) is made locally by base.sh when missing and
# never pulled (--pull=never). Prints the build time and the image size.
#
#   --no-cache   build every step again (the cold build; the base image stays cached)
#   CLOUDNET_IMAGE  another name for the image
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
. "$(dirname "$0")/lib.sh"

cache=()
case "${1:-}" in
  --no-cache) cache=(--no-cache) ;;
  '') ;;
  *) die "usage: $0 [--no-cache]" ;;
esac

t=$EPOCHREALTIME
bash "$IMAGE_SCRIPTS/base.sh"
base_seconds=$(elapsed "$t")

# The CA bundle the host's npm trusts beyond Node's own (a TLS-intercepting proxy's), for the build
# stage's `npm ci`: a build secret, in no layer (the Dockerfile says how it is used).
secrets=()
ca=${CLOUDNET_IMAGE_CA:-${NODE_EXTRA_CA_CERTS:-}}
if [ -z "$ca" ] && command -v npm >/dev/null; then ca=$(npm config get cafile 2>/dev/null || true); fi
if [ -n "$ca" ] && [ -f "$ca" ]; then
  log "npm in the build trusts $ca too (build secret ca-certificates)"
  secrets=(--secret "id=ca-certificates,src=$ca")
fi

t=$EPOCHREALTIME
log "buildah build -t $IMAGE (Dockerfile, base $BASE_IMAGE)"
# --network host: the build stage's `npm ci` reaches the npm registry without a CNI network set up.
# --layers: the steps are cached as Docker caches them (a change under src/ rebuilds from COPY src).
revision=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || echo unknown)
git -C "$ROOT" diff --quiet HEAD -- 2>/dev/null || revision=$revision-dirty
buildlog=$(mktemp "$STATE/tmp/build.XXXXXX")
trap 'rm -f "$buildlog"' EXIT
"${BUILDAH[@]}" build --pull=never --layers "${cache[@]}" "${secrets[@]}" --runtime "$RUNTIME" --network host \
  --format oci --file "$ROOT/Dockerfile" --tag "$IMAGE" \
  --label "org.opencontainers.image.version=$IMAGE_VERSION" \
  --label "org.opencontainers.image.revision=$revision" \
  "$ROOT" 2>&1 | tee "$buildlog"
build_seconds=$(elapsed "$t")

# The layer cache is the chain of intermediate images this build used or made (each step's "--> <id>");
# every other untagged image is an earlier build's (an older src/, lockfile or Dockerfile) and goes,
# so the storage stays at about one build's size.
keep=$(sed -n 's/^--> \(Using cache \)\{0,1\}\([0-9a-f]\{11,\}\)$/\2/p' "$buildlog" | cut -c1-11 | sort -u)
stale=()
while read -r id name; do
  [ "$name" = "<none>" ] || continue
  grep -qx "${id:0:11}" <<<"$keep" || stale+=("$id")
done < <("${BUILDAH[@]}" images --all --no-trunc --noheading --format '{{.ID}} {{.Name}}' | sed 's/^sha256://')
if [ "${#stale[@]}" -gt 0 ]; then
  "${BUILDAH[@]}" rmi "${stale[@]}" >/dev/null 2>&1 || true
  log "removed ${#stale[@]} intermediate images of earlier builds"
fi

log "image $IMAGE: $(image_size_mb "$IMAGE") MB; build $build_seconds s (base image $base_seconds s)"
