# syntax=docker/dockerfile:1
# The operator image: `docker build .`, or `make image` without a Docker engine (buildah, with the
# base image made locally by scripts/image/base.sh). One Node.js version for the whole project:
# the Makefile's NODE_VERSION (test/image/dockerfile.test.ts checks they agree).
ARG NODE_VERSION=24.21.0

# Build: the operator bundled into dist/main.js with the code it uses from its dependencies, and
# their licences in dist/THIRD-PARTY-LICENSES.txt (scripts/build.ts), so the runtime image needs no
# node_modules. --ignore-scripts: the only install script (esbuild's) is an optional check. Behind a
# TLS-intercepting proxy, give npm its CA: --secret id=ca-certificates,src=<PEM bundle> (make image
# passes the host's NODE_EXTRA_CA_CERTS or npm cafile); a secret is in no layer and no cache key.
FROM node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    --mount=type=secret,id=ca-certificates,target=/run/secrets/ca-certificates.crt \
    if [ -s /run/secrets/ca-certificates.crt ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-certificates.crt; fi; \
    npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY scripts/build.ts ./scripts/
COPY src ./src
RUN npm run build

# The runtime's root filesystem, distroless: the node binary and the shared libraries it loads (with
# their Debian copyright files and dpkg records, so scanners see the packages), the Node.js licence,
# passwd/group entries for uid 65532 and an empty /tmp. No shell, no package manager, no npm.
FROM node:${NODE_VERSION}-bookworm-slim AS rootfs
RUN set -eu; \
    mkdir -p /rootfs/usr/local/bin /rootfs/usr/local/share/doc/node /rootfs/etc /rootfs/var/lib/dpkg/status.d /rootfs/tmp; \
    cp /usr/local/bin/node /rootfs/usr/local/bin/node; \
    cp /usr/local/LICENSE /rootfs/usr/local/share/doc/node/LICENSE; \
    for link in /lib /lib64; do if [ -L "$link" ]; then ln -s "$(readlink "$link")" "/rootfs$link"; fi; done; \
    for lib in $(ldd /usr/local/bin/node | grep -oE '/[^ ]+'); do \
      dir=$(realpath "$(dirname "$lib")"); mkdir -p "/rootfs$dir"; cp -L "$lib" "/rootfs$dir/"; \
      pkg=$( (dpkg -S "$lib" || dpkg -S "/usr$lib" || dpkg -S "$(realpath "$lib")") 2>/dev/null | cut -d: -f1 | head -n1); \
      test -n "$pkg"; \
      src=$(dpkg-query -W -f '${source:Package}' "$pkg"); \
      copyright=$(for p in $pkg $(dpkg-query -W -f '${Package} ${source:Package}\n' | awk -v s="$src" '$2 == s { print $1 }'); do \
        if [ -f "/usr/share/doc/$p/copyright" ]; then echo "/usr/share/doc/$p/copyright"; break; fi; done); \
      mkdir -p "/rootfs/usr/share/doc/$pkg"; cp "$copyright" "/rootfs/usr/share/doc/$pkg/copyright"; \
      dpkg-query -s "$pkg" >"/rootfs/var/lib/dpkg/status.d/$pkg"; \
    done; \
    cp -L /etc/os-release /rootfs/etc/os-release; \
    printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >/rootfs/etc/passwd; \
    printf 'root:x:0:\nnonroot:x:65532:\n' >/rootfs/etc/group; \
    chmod 1777 /rootfs/tmp; \
    chroot /rootfs /usr/local/bin/node -e 'process.exit(0)'

# Runtime: node and dist/ alone, non-root, nothing written to the root filesystem. The operator is
# PID 1 and handles SIGTERM itself (graceful shutdown, then exit 0): no init needed.
FROM scratch
COPY --from=rootfs /rootfs/ /
ENV PATH=/usr/local/bin
ENV NODE_ENV=production
# V8 heap: old space capped at 192 MiB and grown for size rather than speed (--optimize-for-size:
# with 10,000 objects, 190 MiB peak and 134 MiB at rest instead of 202 and 167), young space at
# 2 MiB per semi-space (the default 16 MiB holds 32 MiB of short-lived garbage). Measured by
# `make bench` (P4). Node refuses --optimize-for-size in NODE_OPTIONS (exit 9, "not allowed in
# NODE_OPTIONS"): it is on the ENTRYPOINT's command line; the two heap sizes are NODE_OPTIONS, which
# config/base/deployment.yaml states the same.
ENV NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=2"
WORKDIR /app
COPY --from=build /app/dist ./dist
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/usr/local/bin/node", "--optimize-for-size", "dist/main.js"]
