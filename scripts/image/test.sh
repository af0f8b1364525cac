#!/usr/bin/env bash
# `make image-test`: the image (make image) run as a cluster runs it (deploy's securityContext:
# read-only root filesystem, uid 65532, no capabilities, no privilege escalation), with podman and
# runc, against the local API server and the OpenStack simulator started here on 127.0.0.1 (free
# ports). It must become ready (/readyz), take the leader Lease, bring every object of
# examples/openstack/ to Ready, and on SIGTERM (PID 1 in the container) release the Lease and exit 0.
# Everything it started is stopped by PID, and the container removed, also on failure.
set -euo pipefail
# shellcheck source=scripts/image/lib.sh
. "$(dirname "$0")/lib.sh"

image_exists "$IMAGE" || die "no image $IMAGE: run make image first"
for tool in kubectl curl; do command -v "$tool" >/dev/null || die "$tool not found"; done
node=$(node24)
started=$EPOCHREALTIME
work=$(mktemp -d "$STATE/tmp/test.XXXXXX")
name=cloudnet-image-test-$$
pids=()

cleanup() {
  local rc=$? pid deadline
  trap - EXIT INT TERM
  if [ "$rc" != 0 ]; then
    log "FAILED; operator log (last 40 lines):"
    "${PODMAN[@]}" logs --tail 40 "$name" 2>&1 | sed 's/^/  | /' >&2 || true
    for f in kube sim; do [ -s "$work/$f.err" ] && { log "$f stderr:"; tail -n 20 "$work/$f.err" | sed 's/^/  | /' >&2; }; done
  fi
  "${PODMAN[@]}" rm --force --time 0 "$name" >/dev/null 2>&1 || true
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  deadline=$((SECONDS + 10))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { "$node" -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

# Starts a dev server in the background, its PID kept for the cleanup (not in a subshell: $pids
# must see it).
start_server() {
  local label=$1
  shift
  (cd "$ROOT" && exec "$node" "$@") >"$work/$label.out" 2>"$work/$label.err" &
  pids+=($!)
}
# Waits for the JSON line a dev server prints once it listens; prints that line.
server_ready() {
  local label=$1 pid=$2 deadline=$((SECONDS + 30))
  until [ -s "$work/$label.out" ] && head -n1 "$work/$label.out" | grep -q '}$'; do
    kill -0 "$pid" 2>/dev/null || die "$label exited before it was ready"
    [ "$SECONDS" -lt "$deadline" ] || die "$label not ready after 30 s"
    sleep 0.1
  done
  head -n1 "$work/$label.out"
}
json_field() { "$node" -p "JSON.parse(process.argv[1])[process.argv[2]]" "$1" "$2"; }

kubeconfig=$work/kubeconfig
k() { kubectl --kubeconfig "$kubeconfig" --cache-dir "$work/kube-cache" "$@"; }

# --- the control plane, the cloud, the CRDs -------------------------------------------------------
t=$EPOCHREALTIME
start_server kube dev/kube/main.ts --host 127.0.0.1 --port 0 --kubeconfig "$kubeconfig"
start_server sim dev/sim/openstack/main.ts --host 127.0.0.1 --port 0 --compute
kube=$(server_ready kube "${pids[0]}")
sim=$(server_ready sim "${pids[1]}")
auth_url=$(json_field "$sim" authUrl)
log "API server $(json_field "$kube" url), OpenStack simulator $auth_url"
if [ -f "$ROOT/crds/kustomization.yaml" ]; then crds=(-k "$ROOT/crds"); else crds=(-f "$ROOT/crds"); fi
k apply --server-side "${crds[@]}" >/dev/null
k wait --for=condition=Established --timeout=30s crd --all >/dev/null
k api-resources >/dev/null # discovery again, now with the CRDs: `kubectl wait ... cloudnet` needs the category
setup_seconds=$(elapsed "$t")

# --- the operator, in the image ---------------------------------------------------------------------
metrics_port=$(free_port)
probe_port=$(free_port)
# The kubeconfig as a Secret volume would be: read-only, readable by the operator's user only.
install -m 0400 -o 65532 -g 65532 "$kubeconfig" "$work/kubeconfig.operator"
t=$EPOCHREALTIME
# --read-only-tmpfs=false: no tmpfs on /tmp, /run, /var/tmp (podman adds them to --read-only by
# default); a pod with readOnlyRootFilesystem gets none either.
"${PODMAN[@]}" run --detach --name "$name" --runtime "$RUNTIME" \
  --read-only --read-only-tmpfs=false --user 65532:65532 --cap-drop=ALL --security-opt no-new-privileges \
  --network host --uts private --hostname "$name" \
  --volume "$work/kubeconfig.operator:/etc/cloudnet/kubeconfig:ro" \
  "$IMAGE" \
  --kubeconfig /etc/cloudnet/kubeconfig \
  --metrics-bind-address "127.0.0.1:$metrics_port" \
  --health-probe-bind-address "127.0.0.1:$probe_port" \
  --leader-election-namespace default >/dev/null
log "container $name started: probes 127.0.0.1:$probe_port, metrics 127.0.0.1:$metrics_port"

running() { [ "$("${PODMAN[@]}" inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" = true ]; }
# Polls a command until it succeeds, failing after a deadline or when the container stops.
wait_for() {
  local what=$1 seconds=$2 deadline=$((SECONDS + $2))
  shift 2
  until "$@" >/dev/null 2>&1; do
    running || die "the container exited ($("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$name")) while waiting for $what"
    [ "$SECONDS" -lt "$deadline" ] || die "$what: not after ${seconds} s"
    sleep 0.2
  done
}

wait_for "/readyz" 60 curl -fsS "http://127.0.0.1:$probe_port/readyz"
ready_seconds=$(elapsed "$t")
log "ready (/readyz 200) after $ready_seconds s"

holder() { k get lease --namespace default cloudnet-operator.cloudnet.io -o 'jsonpath={.spec.holderIdentity}' 2>/dev/null; }
# The default identity is <hostname>_<pid>: the container's hostname, and PID 1.
leading() { [ "$(holder)" = "${name}_1" ]; }
wait_for "the leader Lease" 30 leading
leader_seconds=$(elapsed "$t")
log "leader: Lease default/cloudnet-operator.cloudnet.io held by ${name}_1 after $leader_seconds s"

curl -fsS "http://127.0.0.1:$metrics_port/metrics" | grep -q '^# TYPE ' || die "/metrics answers no metrics"

# --- the example topology --------------------------------------------------------------------------
# The examples' Secret names the simulator of `make dev` (127.0.0.1:15000): here it is the one above.
mkdir "$work/examples"
for f in "$ROOT"/examples/openstack/*.yaml; do
  [ "$(basename "$f")" = kustomization.yaml ] || cp "$f" "$work/examples/"
done
grep -l 'auth_url: http://127.0.0.1:15000/v3' "$work"/examples/*.yaml >/dev/null || die "examples/openstack: no Secret with auth_url http://127.0.0.1:15000/v3"
sed -i "s|auth_url: http://127.0.0.1:15000/v3|auth_url: $auth_url|" "$work"/examples/*.yaml
t=$EPOCHREALTIME
k apply -f "$work/examples" >/dev/null
if ! k wait --for=condition=Ready --timeout=180s cloudnet --all >"$work/wait.out" 2>&1; then
  cat "$work/wait.out" >&2
  k get cloudnet -o wide >&2 || true
  die "the examples are not all Ready"
fi
objects=$(k get cloudnet -o name | wc -l)
expected=$(cat "$work"/examples/*.yaml | grep '^kind: ' | grep -vc '^kind: Secret$')
[ "$objects" = "$expected" ] || die "expected the $expected objects of examples/openstack/, found $objects"
examples_seconds=$(elapsed "$t")
log "examples/openstack: $objects objects Ready after $examples_seconds s"
running || die "the container stopped"

# --- SIGTERM ---------------------------------------------------------------------------------------
t=$EPOCHREALTIME
# podman stop sends the image's stop signal (SIGTERM) and kills only after --time seconds.
"${PODMAN[@]}" stop --time 30 "$name" >/dev/null
stop_seconds=$(elapsed "$t")
code=$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$name")
[ "$code" = 0 ] || die "exit code $code after SIGTERM (expected 0)"
"${PODMAN[@]}" logs "$name" 2>&1 | grep -q '"manager stopped"' || die "no 'manager stopped' in the operator's log"
[ -z "$(holder)" ] || die "the Lease is still held by $(holder) after the shutdown"
log "SIGTERM: exit code 0 after $stop_seconds s, Lease released"

log "PASS image $IMAGE ($(image_size_mb "$IMAGE") MB): environment $setup_seconds s, ready $ready_seconds s, leader $leader_seconds s, examples Ready $examples_seconds s, stop $stop_seconds s; image test $(elapsed "$started") s"
