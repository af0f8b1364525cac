#!/usr/bin/env bash
# The Dockerfile's base image, made here without an image registry: `FROM node:<v>-<suite>-slim`
# (Docker Hub's official Node.js image) rebuilt from its sources and stored as
# docker.io/library/node:<v>-<suite>-slim, so `buildah build --pull=never` builds the Dockerfile
# unchanged. Cached: nothing is done when the image exists (--force rebuilds it).
#
#   1. Debian <suite> minbase from debootstrap, upgraded from <suite>-updates and -security,
#      slimmed like debian:<suite>-slim (no docs but copyrights, no man pages, no locales, no apt
#      lists): localhost/cloudnet/debian-minbase:<suite>, cached too.
#   2. Node.js <v> laid out as the official image has it: the npm registry's build of the node
#      binary (node-linux-<arch>, the package `npm install node@<v>` installs), headers and docs
#      in /usr/local; the npm and corepack that Node <v> bundles (versions from its changelog) in
#      /usr/local/lib/node_modules, linked as npm, npx and corepack; the `node` user (uid 1000).
#
#   DEBIAN_MIRROR   the Debian archive (default: the first .../debian URI of /etc/apt/sources.list*,
#                   else http://deb.debian.org/debian); DEBIAN_SECURITY_MIRROR likewise.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
. "$(dirname "$0")/lib.sh"

force=0
case "${1:-}" in
  --force) force=1 ;;
  '') ;;
  *) die "usage: $0 [--force]" ;;
esac

if [ "$force" = 0 ] && image_exists "$BASE_IMAGE"; then
  log "base image $BASE_IMAGE: cached ($(image_size_mb "$BASE_IMAGE") MB)"
  exit 0
fi
started=$EPOCHREALTIME

case "$(uname -m)" in
  x86_64) node_arch=x64 deb_arch=amd64 ;;
  aarch64) node_arch=arm64 deb_arch=arm64 ;;
  *) die "unsupported architecture $(uname -m)" ;;
esac

work=$(mktemp -d "$STATE/tmp/base.XXXXXX")
containers=()
cleanup() {
  local c
  for c in "${containers[@]}"; do "${BUILDAH[@]}" rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

# --- 1. Debian minbase ----------------------------------------------------------------------------

# The first URI of the machine's apt sources that ends with the given path (/debian, /debian-security).
apt_uri() {
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
    grep -oE '(https?|file)://[^ ]*'"$1"'/?( |$)' | head -n1 | tr -d ' ' | sed 's|/$||' || true
}
mirror=${DEBIAN_MIRROR:-$(apt_uri /debian)}
mirror=${mirror:-http://deb.debian.org/debian}
security_mirror=${DEBIAN_SECURITY_MIRROR:-$(apt_uri /debian-security)}
security_mirror=${security_mirror:-http://deb.debian.org/debian-security}

# deb822 sources as debian:<suite> has them.
debian_sources() {
  cat <<EOF
Types: deb
URIs: $1
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $2
Suites: $DEBIAN_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
}

build_debian() {
  local t=$EPOCHREALTIME rootfs=$work/rootfs
  log "debootstrap --variant=minbase $DEBIAN_SUITE from $mirror"
  command -v debootstrap >/dev/null || die "debootstrap not found (apt-get install debootstrap)"
  debootstrap --variant=minbase --arch="$deb_arch" "$DEBIAN_SUITE" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed (log above)"; }

  # debian:<suite>-slim's dpkg and apt settings (debuerreotype's slimify and docker snippets): what
  # later installs leave out, and apt that keeps no .deb files and no translations.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/man/*
EOF
  cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  echo 'Acquire::Languages "none";' >"$rootfs/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' >"$rootfs/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'Apt::AutoRemove::SuggestsImportant "false";' >"$rootfs/etc/apt/apt.conf.d/docker-autoremove-suggests"

  # Point release from debootstrap, then the updates and security fixes, as debian:<suite> has them.
  rm -f "$rootfs/etc/apt/sources.list"
  debian_sources "$mirror" "$security_mirror" >"$rootfs/etc/apt/sources.list.d/debian.sources"
  log "apt-get upgrade from $DEBIAN_SUITE-updates and $DEBIAN_SUITE-security"
  # A private mount namespace: /proc is mounted for the chroot only and goes with it, also on failure.
  unshare --mount --propagation private --fork sh -ec '
    mount -t proc proc "$1/proc"
    chroot "$1" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get update -qq
    chroot "$1" env DEBIAN_FRONTEND=noninteractive LC_ALL=C apt-get -y -qq -o Dpkg::Use-Pty=0 upgrade
    chroot "$1" apt-get clean
  ' sh "$rootfs" >"$work/apt.log" 2>&1 || { tail -n 20 "$work/apt.log" >&2; die "apt-get upgrade failed (log above)"; }
  debian_sources http://deb.debian.org/debian http://deb.debian.org/debian-security >"$rootfs/etc/apt/sources.list.d/debian.sources"

  # Slim: what the dpkg excludes above would have left out, and every cache and log.
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "$rootfs"/usr/share/{groff,info,linda,man}/* "$rootfs"/usr/share/lintian/overrides/*
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/cache/debconf/*-old \
    "$rootfs"/var/lib/dpkg/*-old "$rootfs"/tmp/* "$rootfs"/var/tmp/*
  find "$rootfs/var/log" -type f -delete
  # The container runtime provides these.
  rm -f "$rootfs/etc/resolv.conf" "$rootfs/etc/hostname"
  : >"$rootfs/etc/hosts"

  local ctr mnt
  ctr=$("${BUILDAH[@]}" from --pull=never scratch)
  containers+=("$ctr")
  mnt=$("${BUILDAH[@]}" mount "$ctr")
  tar -C "$rootfs" --numeric-owner --xattrs -cf - . | tar -C "$mnt" --numeric-owner --xattrs -xpf -
  "${BUILDAH[@]}" umount "$ctr" >/dev/null
  "${BUILDAH[@]}" config --os linux --arch "$deb_arch" \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd '["bash"]' \
    --label "org.opencontainers.image.description=Debian $DEBIAN_SUITE minbase (debootstrap), slimmed like debian:$DEBIAN_SUITE-slim; scripts/image/base.sh" \
    "$ctr"
  "${BUILDAH[@]}" commit --quiet --rm "$ctr" "$DEBIAN_IMAGE" >/dev/null
  containers=()
  rm -rf "$rootfs"
  log "debian image $DEBIAN_IMAGE: $(image_size_mb "$DEBIAN_IMAGE") MB in $(elapsed "$t") s"
}

if [ "$force" = 1 ] || ! image_exists "$DEBIAN_IMAGE"; then
  build_debian
else
  log "debian image $DEBIAN_IMAGE: cached"
fi

# --- 2. Node.js -----------------------------------------------------------------------------------

t=$EPOCHREALTIME
npm_cmd=$(command -v npm) || die "npm not found"
mkdir -p "$work/pkgs"
log "npm pack node-linux-$node_arch@$NODE_VERSION"
(cd "$work" && "$npm_cmd" pack --silent --pack-destination pkgs "node-linux-$node_arch@$NODE_VERSION" >/dev/null)
mkdir -p "$work/node"
tar -C "$work/node" --no-same-owner -xzf "$work/pkgs/node-linux-$node_arch-$NODE_VERSION.tgz"
# The npm and corepack this Node release bundles: its changelog lists the release line newest first,
# so the first "upgrade npm to" / "update corepack to" is the latest one at or before this version.
changelog=$work/node/package/CHANGELOG.md
grep -q "^<a id=\"$NODE_VERSION\"></a>" "$changelog" || die "node-linux-$node_arch@$NODE_VERSION: no $NODE_VERSION section in CHANGELOG.md"
bundled() { sed -n "/^<a id=\"$NODE_VERSION\"><\/a>/,\$p" "$changelog" | grep -oE "\*\*deps\*\*: (upgrade|update) $1 to [0-9]+\.[0-9]+\.[0-9]+" | head -n1 | grep -oE '[0-9]+\.[0-9]+\.[0-9]+$'; }
npm_version=${NPM_VERSION:-$(bundled npm)}
corepack_version=${COREPACK_VERSION:-$(bundled corepack)}
[ -n "$npm_version" ] && [ -n "$corepack_version" ] || die "cannot tell the npm and corepack of Node $NODE_VERSION from its changelog (set NPM_VERSION, COREPACK_VERSION)"
log "npm pack npm@$npm_version corepack@$corepack_version (bundled with Node $NODE_VERSION)"
(cd "$work" && "$npm_cmd" pack --silent --pack-destination pkgs "npm@$npm_version" "corepack@$corepack_version" >/dev/null)

ctr=$("${BUILDAH[@]}" from --pull=never "$DEBIAN_IMAGE")
containers+=("$ctr")
mnt=$("${BUILDAH[@]}" mount "$ctr")
pkg=$work/node/package
install -d "$mnt/usr/local/bin" "$mnt/usr/local/lib/node_modules/npm" "$mnt/usr/local/lib/node_modules/corepack"
install -m 0755 "$pkg/bin/node" "$mnt/usr/local/bin/node"
cp -R --no-preserve=ownership "$pkg/include" "$pkg/share" "$pkg/LICENSE" "$pkg/README.md" "$pkg/CHANGELOG.md" "$mnt/usr/local/"
tar -C "$mnt/usr/local/lib/node_modules/npm" --no-same-owner --strip-components=1 -xzf "$work/pkgs/npm-$npm_version.tgz"
tar -C "$mnt/usr/local/lib/node_modules/corepack" --no-same-owner --strip-components=1 -xzf "$work/pkgs/corepack-$corepack_version.tgz"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
ln -s ../lib/node_modules/corepack/dist/corepack.js "$mnt/usr/local/bin/corepack"
ln -s node "$mnt/usr/local/bin/nodejs"
chmod 0755 "$mnt/usr/local/lib/node_modules/npm/bin/npm-cli.js" "$mnt/usr/local/lib/node_modules/npm/bin/npx-cli.js" \
  "$mnt/usr/local/lib/node_modules/corepack/dist/corepack.js"
chroot "$mnt" groupadd --gid 1000 node
chroot "$mnt" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
rm -f "$mnt"/etc/*- "$mnt"/var/log/*.log
"${BUILDAH[@]}" umount "$ctr" >/dev/null
# What the official image's Dockerfile sets (its docker-entrypoint.sh only runs `node` for a CMD that
# starts with an option: left out).
"${BUILDAH[@]}" config --env NODE_VERSION="$NODE_VERSION" --cmd '["node"]' \
  --label "org.opencontainers.image.description=node:$NODE_VERSION-$DEBIAN_SUITE-slim rebuilt from Debian and the npm registry (scripts/image/base.sh): Node.js $NODE_VERSION, npm $npm_version, corepack $corepack_version" \
  "$ctr"
# Smoke test in a container, as the build stage will use it.
"${BUILDAH[@]}" run --runtime "$RUNTIME" --network host "$ctr" -- sh -ec \
  'test "$(node --version)" = "v'"$NODE_VERSION"'"; test "$(npm --version)" = "'"$npm_version"'"; npx --version >/dev/null; corepack --version >/dev/null' ||
  die "the base image's node, npm, npx or corepack does not run"
"${BUILDAH[@]}" commit --quiet --rm "$ctr" "$BASE_IMAGE" >/dev/null
containers=()
log "node image: $(elapsed "$t") s"
log "base image $BASE_IMAGE: built in $(elapsed "$started") s, $(image_size_mb "$BASE_IMAGE") MB"
