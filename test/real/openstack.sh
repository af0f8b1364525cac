#!/usr/bin/env bash
# Real OpenStack (Debian bookworm = OpenStack Zed) on 127.0.0.1 for cloudnet-operator's real-cloud tier:
# Keystone + Neutron (ML2, router, qos; no agents), and with PROFILE=full also Nova (fake virt driver),
# Placement, Glance and RabbitMQ. MariaDB as the database. No docker, no systemd, no apache.
# Adapted from a tested recipe; every workaround below was met for real (see "gotcha" comments).
#
#   openstack.sh install   apt-get the Debian packages (root; skipped when all are installed)
#   openstack.sh up        setup (configs, DB, migrations) + start + seed; idempotent   <- normal entry point
#   openstack.sh status    each service this script started: running / dead; exit 1 if any is not running
#   openstack.sh env       the environment for tests (KEY=VALUE lines, `export` prefixed)
#   openstack.sh purge     delete every Neutron resource of project demo (what tests made), keep the seed;
#                          with --expect-empty, fail if there was any (tests that clean up after themselves)
#   openstack.sh stop      stop exactly what this script started (recorded process groups), never by name
#   openstack.sh reset     stop + delete all state
#
# PROFILE=network (default): Keystone + Neutron only (fast: ~5 s warm, ~15 s from empty)
# PROFILE=full             : + Placement, Glance, RabbitMQ, Nova api/conductor/scheduler/compute
# CLOUDNET_REAL_DIR (default /tmp/cloudnet-real): configs, DB files, logs, pid files, clouds.yaml.
# Users: admin/admin (project admin, role admin), demo/demo (project demo, role member); clouds.yaml
# clouds "real" (demo) and "real-admin". External network "public" 203.0.113.0/24 (TEST-NET-3, DB rows only).
set -euo pipefail

BASE=${CLOUDNET_REAL_DIR:-/tmp/cloudnet-real}
PROFILE=${PROFILE:-network}
case "$PROFILE" in network|full) ;; *) echo "PROFILE must be network or full" >&2; exit 2 ;; esac
export CLOUDNET_REAL_DIR=$BASE PROFILE
SELF=$(readlink -f "$0")
ETC=$BASE/etc DATA=$BASE/data LOG=$BASE/log RUN=$BASE/run
PY=/usr/bin/python3              # Debian's python (not a pyenv/venv one first on PATH)
H=127.0.0.1
MYSQL_PORT=${MYSQL_PORT:-13306}  # non-default ports so a system mysqld/rabbit/epmd can't clash
AMQP_PORT=${AMQP_PORT:-15673}
EPMD_PORT=${EPMD_PORT:-14369}
DIST_PORT=${DIST_PORT:-25673}
KS_PORT=${KS_PORT:-5000} NEUTRON_PORT=${NEUTRON_PORT:-9696} NOVA_PORT=${NOVA_PORT:-8774}
PLACEMENT_PORT=${PLACEMENT_PORT:-8778} GLANCE_PORT=${GLANCE_PORT:-9292}
DB="mysql+pymysql://os:os@$H:$MYSQL_PORT"
KS=http://$H:$KS_PORT
CLOUDS_YAML=$BASE/clouds.yaml
SERVICES="mysqld keystone neutron-server epmd rabbitmq placement glance-api nova-conductor nova-scheduler nova-compute nova-api"

log() { printf '[cloudnet-real %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
full() { [ "$PROFILE" = full ]; }

# ---------------------------------------------------------------- install
packages() {
  local pkgs="python3-keystone python3-neutron uwsgi-core uwsgi-plugin-python3 mariadb-server curl jq python3-openstackclient"
  full && pkgs="$pkgs python3-nova python3-glance python3-placement rabbitmq-server"
  echo "$pkgs"
}
missing_packages() {
  local p out=()
  for p in $(packages); do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || out+=("$p")
  done
  echo "${out[*]}"
}
SUDO=()
do_install() {
  local missing
  missing=$(missing_packages)
  [ -n "$missing" ] || { log "all packages installed (PROFILE=$PROFILE)"; return 0; }
  [ "$(id -u)" = 0 ] || SUDO=(sudo)
  log "installing: $missing"
  # Without systemd, postinst scripts would start a system mariadb/rabbitmq via init.d: block that with
  # a temporary policy-rc.d (only if there is none already), removed again even if apt fails.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    "${SUDO[@]}" sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
    trap '"${SUDO[@]}" rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  "${SUDO[@]}" apt-get update -q
  # shellcheck disable=SC2086 # word splitting of the package list is intended
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
}

# ---------------------------------------------------------------- configs
write_configs() {
  mkdir -p "$ETC"/{keystone,neutron,nova,glance,placement,rabbitmq} "$DATA"/{mysql,neutron/lock,nova/lock,glance/images,glance/lock,rabbitmq} \
           "$LOG"/rabbitmq "$RUN" "$BASE"/pylib/e2e_mech-1.0.dist-info

  cat > "$ETC/my.cnf" <<EOF
[mysqld]
datadir=$DATA/mysql
socket=$RUN/mysqld.sock
pid-file=$DATA/mysqld.pid
bind-address=$H
port=$MYSQL_PORT
user=root
skip-name-resolve
skip-log-bin
performance_schema=OFF
innodb_buffer_pool_size=64M
innodb_log_file_size=32M
innodb_flush_log_at_trx_commit=0
innodb_doublewrite=0
max_connections=1000
character-set-server=utf8
collation-server=utf8_general_ci
log-error=$LOG/mysqld.log
[client]
socket=$RUN/mysqld.sock
EOF

  # common keystone_authtoken block. token_cache_time: a service takes a token it has validated for
  # this long without asking Keystone again (300 s by default), so a revoked token works on until then;
  # 10 s lets the public-cloud scenario see Neutron refuse a revoked token in seconds, not minutes.
  authtoken() { cat <<EOF
[keystone_authtoken]
www_authenticate_uri = $KS
auth_url = $KS
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $1
token_cache_time = 10
EOF
  }
  # keystoneauth block for service-to-service clients
  ksa() { cat <<EOF
[$1]
region_name = RegionOne
auth_url = $KS
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $2
EOF
  }

  # ---- keystone
  cat > "$ETC/keystone/keystone.conf" <<EOF
[DEFAULT]
log_file = $LOG/keystone.log
[database]
connection = $DB/keystone?charset=utf8
[token]
provider = fernet
[fernet_tokens]
key_repository = $ETC/keystone/fernet-keys
[credential]
key_repository = $ETC/keystone/credential-keys
EOF

  # ---- neutron: ML2 + router + qos, no agents, no broker
  cat > "$ETC/neutron/neutron.conf" <<EOF
[DEFAULT]
bind_host = $H
bind_port = $NEUTRON_PORT
core_plugin = ml2
service_plugins = router,qos
auth_strategy = keystone
allow_overlapping_ips = true
# api in the main process; neutron still forks 2 small rpc/report workers (minimum 1 each)
api_workers = 0
rpc_workers = 0
rpc_state_report_workers = 0
dhcp_agent_notification = false
# no agents => nothing listens on RPC; the in-process 'fake' oslo.messaging driver swallows casts
transport_url = fake:/
notify_nova_on_port_status_changes = $(full && echo true || echo false)
notify_nova_on_port_data_changes = $(full && echo true || echo false)
api_paste_config = $ETC/neutron/api-paste.ini
state_path = $DATA/neutron
log_file = $LOG/neutron-server.log
[database]
connection = $DB/neutron?charset=utf8
$(authtoken neutron)
$(ksa nova nova)
[oslo_concurrency]
lock_path = $DATA/neutron/lock
[oslo_messaging_notifications]
driver = noop
[ml2]
type_drivers = flat,vxlan,local
tenant_network_types = vxlan
# 'e2e' = $BASE/pylib/e2e_mech.py: binds every port on any host (vif_type ovs, status ACTIVE)
mechanism_drivers = e2e
# dns: dns_domain on networks, dns_name on ports and floating IPs (the operator manages Network.dnsDomain)
extension_drivers = port_security,qos,dns
[ml2_type_flat]
flat_networks = *
[ml2_type_vxlan]
vni_ranges = 1:1000
EOF
  cat > "$ETC/neutron/api-paste.ini" <<'EOF'
[composite:neutron]
use = egg:Paste#urlmap
/: neutronversions_composite
/v2.0: neutronapi_v2_0
[composite:neutronapi_v2_0]
use = call:neutron.auth:pipeline_factory
keystone = cors http_proxy_to_wsgi request_id catch_errors osprofiler authtoken keystonecontext extensions neutronapiapp_v2_0
[composite:neutronversions_composite]
use = call:neutron.auth:pipeline_factory
keystone = cors http_proxy_to_wsgi neutronversions
[filter:request_id]
paste.filter_factory = oslo_middleware:RequestId.factory
[filter:catch_errors]
paste.filter_factory = oslo_middleware:CatchErrors.factory
[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = neutron
[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware.http_proxy_to_wsgi:HTTPProxyToWSGI.factory
[filter:keystonecontext]
paste.filter_factory = neutron.auth:NeutronKeystoneContext.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
[filter:extensions]
paste.filter_factory = neutron.api.extensions:plugin_aware_extension_middleware_factory
[filter:osprofiler]
paste.filter_factory = osprofiler.web:WsgiMiddleware.factory
[app:neutronversions]
paste.app_factory = neutron.pecan_wsgi.app:versions_factory
[app:neutronapiapp_v2_0]
paste.app_factory = neutron.api.v2.router:APIRouter.factory
EOF
  # The ML2 mechanism driver (neutron ships none that binds ports without an agent;
  # the in-tree test driver 'test' asserts/raises in real use). Registered via an entry point.
  cat > "$BASE/pylib/e2e_mech.py" <<'EOF'
"""ML2 mechanism driver for API-only e2e tests: binds every port on any host
(no agents, no dataplane). Bound ports report status ACTIVE."""
from neutron_lib.api.definitions import portbindings
from neutron_lib import constants
from neutron_lib.plugins.ml2 import api


class E2EMechanismDriver(api.MechanismDriver):
    def initialize(self):
        # accept QoS rules on networks/ports (else 409 QosRuleNotSupported): reuse the
        # OVS QoS driver description, it matches the vif_type=ovs we bind with
        from neutron.services.qos.drivers.openvswitch import driver as ovs_qos
        ovs_qos.register()

    @property
    def connectivity(self):
        return portbindings.CONNECTIVITY_L2

    def bind_port(self, context):
        for segment in context.segments_to_bind:
            context.set_binding(segment[api.ID], portbindings.VIF_TYPE_OVS,
                                {portbindings.CAP_PORT_FILTER: True},
                                status=constants.PORT_STATUS_ACTIVE)
            return
EOF
  printf 'Metadata-Version: 2.1\nName: e2e-mech\nVersion: 1.0\n' > "$BASE/pylib/e2e_mech-1.0.dist-info/METADATA"
  printf '[neutron.ml2.mechanism_drivers]\ne2e = e2e_mech:E2EMechanismDriver\n' > "$BASE/pylib/e2e_mech-1.0.dist-info/entry_points.txt"

  full || return 0

  # ---- rabbitmq (env file sourced before starting epmd/rabbitmq-server)
  cat > "$ETC/rabbitmq/rabbitmq.conf" <<EOF
listeners.tcp.default = $H:$AMQP_PORT
disk_free_limit.absolute = 50MB
EOF
  echo '[].' > "$ETC/rabbitmq/enabled_plugins"
  : > "$ETC/rabbitmq/rabbitmq-env.conf"
  cat > "$ETC/rabbitmq/env.sh" <<EOF
export HOME=$DATA/rabbitmq
export RABBITMQ_CONF_ENV_FILE=$ETC/rabbitmq/rabbitmq-env.conf
export RABBITMQ_NODENAME=rabbit@localhost
export RABBITMQ_NODE_IP_ADDRESS=$H
export RABBITMQ_NODE_PORT=$AMQP_PORT
export RABBITMQ_DIST_PORT=$DIST_PORT
export ERL_EPMD_ADDRESS=$H
export ERL_EPMD_PORT=$EPMD_PORT
export RABBITMQ_CONFIG_FILE=$ETC/rabbitmq/rabbitmq.conf
export RABBITMQ_ENABLED_PLUGINS_FILE=$ETC/rabbitmq/enabled_plugins
export RABBITMQ_MNESIA_BASE=$DATA/rabbitmq/mnesia
export RABBITMQ_LOG_BASE=$LOG/rabbitmq
export RABBITMQ_PID_FILE=$DATA/rabbitmq/beam.pid
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
EOF

  # ---- placement
  cat > "$ETC/placement/placement.conf" <<EOF
[DEFAULT]
log_file = $LOG/placement.log
[api]
auth_strategy = keystone
[placement_database]
connection = $DB/placement?charset=utf8
$(authtoken placement)
EOF

  # ---- glance (file store)
  cat > "$ETC/glance/glance-api.conf" <<EOF
[DEFAULT]
bind_host = $H
bind_port = $GLANCE_PORT
workers = 0
log_file = $LOG/glance-api.log
enabled_backends = fs:file
[database]
connection = $DB/glance?charset=utf8
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $DATA/glance/images
[os_glance_staging_store]
filesystem_store_datadir = $DATA/glance/staging
[os_glance_tasks_store]
filesystem_store_datadir = $DATA/glance/tasks
$(authtoken glance)
[paste_deploy]
flavor = keystone
config_file = $ETC/glance/glance-api-paste.ini
[oslo_concurrency]
lock_path = $DATA/glance/lock
EOF
  cat > "$ETC/glance/glance-api-paste.ini" <<'EOF'
[pipeline:glance-api-keystone]
pipeline = cors http_proxy_to_wsgi versionnegotiation osprofiler authtoken context rootapp
[composite:rootapp]
paste.composite_factory = glance.api:root_app_factory
/: apiversions
/v2: apiv2app
[app:apiversions]
paste.app_factory = glance.api.versions:create_resource
[app:apiv2app]
paste.app_factory = glance.api.v2.router:API.factory
[filter:versionnegotiation]
paste.filter_factory = glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory
[filter:context]
paste.filter_factory = glance.api.middleware.context:ContextMiddleware.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
delay_auth_decision = true
[filter:osprofiler]
paste.filter_factory = osprofiler.web:WsgiMiddleware.factory
[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = glance
oslo_config_program = glance-api
[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware:HTTPProxyToWSGI.factory
EOF

  # ---- nova: nova.conf for everyone, nova-db.conf only for api/conductor/scheduler/manage
  cat > "$ETC/nova/nova.conf" <<EOF
[DEFAULT]
transport_url = rabbit://guest:guest@$H:$AMQP_PORT/
compute_driver = fake.FakeDriver
# One compute host: a resize has nowhere else to go.
allow_resize_to_same_host = true
host = e2e-compute
my_ip = $H
state_path = $DATA/nova
instances_path = $DATA/nova/instances
enabled_apis = osapi_compute
osapi_compute_listen = $H
osapi_compute_listen_port = $NOVA_PORT
osapi_compute_workers = 1
metadata_listen = $H
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
[wsgi]
api_paste_config = $ETC/nova/api-paste.ini
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 5
$(authtoken nova)
$(ksa placement placement)
$(ksa neutron neutron)
[glance]
region_name = RegionOne
[oslo_concurrency]
lock_path = $DATA/nova/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
[spice]
enabled = false
EOF
  cat > "$ETC/nova/nova-db.conf" <<EOF
[api_database]
connection = $DB/nova_api?charset=utf8
[database]
connection = $DB/nova?charset=utf8
EOF
  cat > "$ETC/nova/api-paste.ini" <<'EOF'
[composite:osapi_compute]
use = call:nova.api.openstack.urlmap:urlmap_factory
/: oscomputeversions
/v2: oscomputeversion_legacy_v2
/v2.1: oscomputeversion_v2
/v2/+: openstack_compute_api_v21_legacy_v2_compatible
/v2.1/+: openstack_compute_api_v21
[composite:openstack_compute_api_v21]
use = call:nova.api.auth:pipeline_factory_v21
keystone = cors http_proxy_to_wsgi compute_req_id faultwrap request_log sizelimit osprofiler authtoken keystonecontext osapi_compute_app_v21
[composite:openstack_compute_api_v21_legacy_v2_compatible]
use = call:nova.api.auth:pipeline_factory_v21
keystone = cors http_proxy_to_wsgi compute_req_id faultwrap request_log sizelimit osprofiler authtoken keystonecontext legacy_v2_compatible osapi_compute_app_v21
[filter:request_log]
paste.filter_factory = nova.api.openstack.requestlog:RequestLog.factory
[filter:compute_req_id]
paste.filter_factory = nova.api.compute_req_id:ComputeReqIdMiddleware.factory
[filter:faultwrap]
paste.filter_factory = nova.api.openstack:FaultWrapper.factory
[filter:osprofiler]
paste.filter_factory = nova.profiler:WsgiMiddleware.factory
[filter:sizelimit]
paste.filter_factory = oslo_middleware:RequestBodySizeLimiter.factory
[filter:http_proxy_to_wsgi]
paste.filter_factory = oslo_middleware.http_proxy_to_wsgi:HTTPProxyToWSGI.factory
[filter:legacy_v2_compatible]
paste.filter_factory = nova.api.openstack:LegacyV2CompatibleWrapper.factory
[app:osapi_compute_app_v21]
paste.app_factory = nova.api.openstack.compute:APIRouterV21.factory
[pipeline:oscomputeversions]
pipeline = cors faultwrap request_log http_proxy_to_wsgi oscomputeversionapp
[pipeline:oscomputeversion_v2]
pipeline = cors compute_req_id faultwrap request_log http_proxy_to_wsgi oscomputeversionapp_v2
[pipeline:oscomputeversion_legacy_v2]
pipeline = cors compute_req_id faultwrap request_log http_proxy_to_wsgi legacy_v2_compatible oscomputeversionapp_v2
[app:oscomputeversionapp]
paste.app_factory = nova.api.openstack.compute.versions:Versions.factory
[app:oscomputeversionapp_v2]
paste.app_factory = nova.api.openstack.compute.versions:VersionsV2.factory
[filter:cors]
paste.filter_factory = oslo_middleware.cors:filter_factory
oslo_config_project = nova
[filter:keystonecontext]
paste.filter_factory = nova.api.auth:NovaKeystoneContext.factory
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
EOF
}

# ---------------------------------------------------------------- process helpers
# Each service is started with setsid, so its PID is also its process-group id; stop
# signals that group (the service + the workers it forked) and nothing else.
pyrun() { # pyrun PROGNAME module args...   (the console scripts live in *-common packages we skip)
  local name=$1 mod=$2; shift 2
  "$PY" -c "import sys; sys.argv[0]='$name'; from $mod import main; sys.exit(main())" "$@"
}
running() { local f=$RUN/$1.pid; [ -s "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && ours "$(cat "$f")" "$f"; }
spawn() { # spawn NAME FUNCTION [ARGS]   (FUNCTION is one of the *_cmd functions below; it execs)
  local name=$1; shift
  if running "$name"; then log "$name already running (pid $(cat "$RUN/$name.pid"))"; return 0; fi
  # setsid (no fork: we are not a group leader) -> this script -> exec the service: one PID
  log_mark "$name"; SPAWNED[$name]=1
  ( exec setsid /bin/bash "$SELF" _exec "$@" ) < /dev/null > "$LOG/$name.out" 2>&1 9>&- &   # 9: the lock fd, not for services
  echo $! > "$RUN/$name.pid"
  log "started $name (pid $!)"
}
wait_http() { # wait_http NAME URL TIMEOUT_S
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    curl -s -o /dev/null --max-time 2 "$2" && return 0
    running "$1" || die "$1 died, see $LOG/$1.out / $LOG/$1.log"
    sleep 0.2
  done
  die "$1 not answering on $2 after $3 s"
}
declare -A MARK SPAWNED
log_mark() { MARK[$1]=0; [ -f "$LOG/$1.log" ] && MARK[$1]=$(wc -l < "$LOG/$1.log"); return 0; }   # remember current end of a log
wait_log() { # wait_log NAME PATTERN TIMEOUT_S : PATTERN appears in NAME's log after its mark
  local i
  for ((i = 0; i < $3 * 5; i++)); do
    tail -n +$((${MARK[$1]:-0} + 1)) "$LOG/$1.log" 2>/dev/null | grep -q "$2" && return 0
    running "$1" || die "$1 died, see $LOG/$1.log"
    sleep 0.2
  done
  die "$1: no '$2' in $LOG/$1.log after $3 s"
}
wait_tcp() { local i; for ((i = 0; i < $3 * 5; i++)); do (echo > /dev/tcp/$H/$2) 2>/dev/null && return 0; running "$1" || die "$1 died, see $LOG/$1.*"; sleep 0.2; done; die "$1: port $2 closed after $3 s"; }
group_alive() { [ -n "$(ps -e -o pgid= | awk -v g="$1" '$1 == g')" ]; }
ours() { # ours PGID PIDFILE: the group's oldest process started within 10 s of the pid file being
  # written, i.e. it is the process we spawned and not a reused PID. (Checking /proc/PID/environ does
  # not work: neutron/nova rewrite it via setproctitle.)
  local t0 e
  t0=$(stat -c %Y "$2") || return 1
  e=$(ps -e -o pgid=,etimes= | awk -v g="$1" '$1 == g {print $2}' | sort -n | tail -1)
  [ -n "$e" ] || return 1
  e=$(( $(date +%s) - e ))
  (( e >= t0 - 10 && e <= t0 + 10 ))
}
stop_all() { # stop_all NAME... : SIGTERM each recorded process group, wait (max 25 s), then SIGKILL
  local name pid i pids=()
  for name in "$@"; do
    [ -s "$RUN/$name.pid" ] || continue
    pid=$(cat "$RUN/$name.pid")
    if group_alive "$pid" && ours "$pid" "$RUN/$name.pid"; then kill -TERM -- "-$pid" 2>/dev/null || true; pids+=("$pid"); log "SIGTERM $name (group $pid)";
    elif group_alive "$pid"; then log "$name: pid $pid is alive but was not started by us (pid reuse?): left alone"; fi
    rm -f "$RUN/$name.pid"
  done
  for ((i = 0; i < 125; i++)); do
    local left=0; for pid in "${pids[@]}"; do group_alive "$pid" && left=1; done
    [ $left = 0 ] && break; sleep 0.2
  done
  for pid in "${pids[@]}"; do
    group_alive "$pid" && { log "group $pid still alive after 25 s: SIGKILL"; kill -KILL -- "-$pid" 2>/dev/null || true; }
  done
  return 0
}

# ---------------------------------------------------------------- services
mysqld_cmd()    { exec mariadbd --defaults-file="$ETC/my.cnf"; }
keystone_cmd()  { exec uwsgi --plugin python3 --http-socket $H:$KS_PORT --wsgi-file /usr/bin/keystone-wsgi-public \
                    --master --processes 1 --threads 4 --enable-threads --die-on-term --need-app \
                    --add-header 'Connection: close' --env OS_KEYSTONE_CONFIG_FILES="$ETC/keystone/keystone.conf"; }
neutron_cmd()   { export PYTHONPATH=$BASE/pylib; exec "$PY" -c 'import sys; sys.argv[0]="neutron-server"; from neutron.cmd.eventlet.server import main; sys.exit(main())' \
                    --config-file "$ETC/neutron/neutron.conf"; }
epmd_cmd()      { exec epmd -address $H -port $EPMD_PORT; }
rabbitmq_cmd()  { . "$ETC/rabbitmq/env.sh"; exec /usr/lib/rabbitmq/lib/rabbitmq_server-*/sbin/rabbitmq-server; }
placement_cmd() { exec uwsgi --plugin python3 --http-socket $H:$PLACEMENT_PORT --wsgi-file /usr/bin/placement-api \
                    --master --processes 1 --threads 4 --enable-threads --die-on-term --need-app \
                    --add-header 'Connection: close' --env OS_PLACEMENT_CONFIG_DIR="$ETC/placement"; }
glance_cmd()    { exec "$PY" -c 'import sys; sys.argv[0]="glance-api"; from glance.cmd.api import main; sys.exit(main())' \
                    --config-file "$ETC/glance/glance-api.conf"; }
nova_cmd() { # nova_cmd api|conductor|scheduler|compute
  local s=$1 dbconf=(--config-file "$ETC/nova/nova-db.conf")
  [ "$s" = compute ] && dbconf=()   # nova-compute must not see DB credentials
  exec "$PY" -c "import sys; sys.argv[0]='nova-$s'; from nova.cmd.$s import main; sys.exit(main())" \
    --config-file "$ETC/nova/nova.conf" "${dbconf[@]}" --log-file "$LOG/nova-$s.log"
}
mysql_q() { mariadb --defaults-file="$ETC/my.cnf" -N -e "$1"; }
nova_manage() { pyrun nova-manage nova.cmd.manage --config-file "$ETC/nova/nova.conf" --config-file "$ETC/nova/nova-db.conf" "$@"; }

start_mysql() {
  if [ ! -d "$DATA/mysql/mysql" ]; then
    log "initialising MariaDB datadir"
    mariadb-install-db --defaults-file="$ETC/my.cnf" --auth-root-authentication-method=socket --skip-test-db > "$LOG/mariadb-install-db.log" 2>&1
  fi
  spawn mysqld mysqld_cmd
  local i; for ((i = 0; i < 150; i++)); do mysql_q 'select 1' > /dev/null 2>&1 && break; sleep 0.2; done
  mysql_q 'select 1' > /dev/null || die "mariadb not up, see $LOG/mysqld.log"
}

# ---------------------------------------------------------------- setup (idempotent)
setup_done() { [ -f "$DATA/.setup-done-$PROFILE" ] || [ -f "$DATA/.setup-done-full" ]; }   # full includes network
do_setup() {
  write_configs
  start_mysql
  local dbs="keystone neutron" d
  full && dbs="$dbs nova_api nova nova_cell0 glance placement"
  mysql_q "CREATE USER IF NOT EXISTS 'os'@'$H' IDENTIFIED BY 'os'; GRANT ALL ON *.* TO 'os'@'$H';"
  for d in $dbs; do mysql_q "CREATE DATABASE IF NOT EXISTS $d"; done
  setup_done && { log "setup already done for PROFILE=$PROFILE"; return 0; }

  local kc=(--config-file "$ETC/keystone/keystone.conf")
  log "keystone db_sync + bootstrap"
  keystone-manage "${kc[@]}" db_sync > "$LOG/setup-keystone.log" 2>&1
  [ -d "$ETC/keystone/fernet-keys" ] || keystone-manage "${kc[@]}" fernet_setup --keystone-user root --keystone-group root >> "$LOG/setup-keystone.log" 2>&1
  [ -d "$ETC/keystone/credential-keys" ] || keystone-manage "${kc[@]}" credential_setup --keystone-user root --keystone-group root >> "$LOG/setup-keystone.log" 2>&1
  keystone-manage "${kc[@]}" bootstrap --bootstrap-password admin --bootstrap-region-id RegionOne \
    --bootstrap-admin-url $KS/v3 --bootstrap-internal-url $KS/v3 --bootstrap-public-url $KS/v3 >> "$LOG/setup-keystone.log" 2>&1

  log "neutron db upgrade"
  PYTHONPATH=$BASE/pylib pyrun neutron-db-manage neutron.db.migration.cli --config-file "$ETC/neutron/neutron.conf" upgrade heads > "$LOG/setup-neutron.log" 2>&1

  if full; then
    log "placement/glance db sync"
    pyrun placement-manage placement.cmd.manage --config-file "$ETC/placement/placement.conf" db sync > "$LOG/setup-placement.log" 2>&1
    pyrun glance-manage glance.cmd.manage --config-file "$ETC/glance/glance-api.conf" db_sync > "$LOG/setup-glance.log" 2>&1
    log "nova api_db sync, cells v2, db sync"
    {
      nova_manage api_db sync
      nova_manage cell_v2 map_cell0 --database_connection "$DB/nova_cell0?charset=utf8"
      nova_manage cell_v2 list_cells > "$DATA/cells.txt"
      grep -q ' cell1 ' "$DATA/cells.txt" || nova_manage cell_v2 create_cell --name cell1 --verbose
      nova_manage db sync
    } > "$LOG/setup-nova.log" 2>&1
  fi
  touch "$DATA/.setup-done-$PROFILE"
}

# ---------------------------------------------------------------- start
do_start() {
  local missing; missing=$(missing_packages)
  [ -z "$missing" ] || die "packages missing ($missing): run '$SELF install' (as root) first"
  setup_done || do_setup
  write_configs
  start_mysql
  spawn keystone keystone_cmd
  spawn neutron-server neutron_cmd
  if full; then
    spawn epmd epmd_cmd
    wait_tcp epmd $EPMD_PORT 10        # our own epmd first, else erl daemonizes one we can't track
    spawn rabbitmq rabbitmq_cmd
    spawn placement placement_cmd
    spawn glance-api glance_cmd
  fi
  wait_http keystone $KS/v3 60
  seed_keystone                        # nova services need their keystone users at start-up
  if full; then
    wait_tcp rabbitmq $AMQP_PORT 60    # ... and the broker
    local s
    for s in conductor scheduler api; do spawn nova-$s nova_cmd $s; done
    # nova-compute pings the conductor at start-up and, if the conductor isn't consuming yet,
    # waits 10 s and retries: start it only once the conductor is up
    [ -z "${SPAWNED[nova-conductor]:-}" ] || wait_log nova-conductor "Starting conductor node" 60
    spawn nova-compute nova_cmd compute
  fi
  wait_http neutron-server http://$H:$NEUTRON_PORT/ 60
  if full; then
    wait_http placement http://$H:$PLACEMENT_PORT/ 60
    wait_http glance-api http://$H:$GLANCE_PORT/ 60
    wait_http nova-api http://$H:$NOVA_PORT/ 60
  fi
  log "all APIs answer"
  seed_resources
}

# ---------------------------------------------------------------- seed (idempotent)
token() { # token USER PASS PROJECT -> X-Subject-Token
  curl -s -D - -o /dev/null -X POST $KS/v3/auth/tokens -H 'Content-Type: application/json' \
    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"$1\",\"domain\":{\"id\":\"default\"},\"password\":\"$2\"}}},\"scope\":{\"project\":{\"name\":\"$3\",\"domain\":{\"id\":\"default\"}}}}}" \
    | awk 'tolower($1) == "x-subject-token:" {print $2}' | tr -d '\r'
}
# api METHOD URL [JSON] -> sets CODE and BODY (uses $TOK)
api() {
  local out data=()
  [ $# -ge 3 ] && data=(-d "$3")
  out=$(curl -s -w '\n%{http_code}' -X "$1" -H "X-Auth-Token: $TOK" -H 'Content-Type: application/json' "${data[@]}" "$2") || true
  CODE=${out##*$'\n'} BODY=${out%$'\n'*}
}
ks_id() { curl -s -H "X-Auth-Token: $TOK" "$KS/v3/$1?$2" | jq -r ".$1[0].id // empty"; }
ks_ensure() { # ks_ensure COLLECTION QUERY BODY -> id
  local id; id=$(ks_id "$1" "$2")
  [ -n "$id" ] || id=$(curl -s -H "X-Auth-Token: $TOK" -H 'Content-Type: application/json' -X POST "$KS/v3/$1" -d "$3" | jq -r '.[keys[0]].id')
  echo "$id"
}
do_seed() { seed_keystone; seed_resources; }
seed_keystone() {
  TOK=$(token admin admin admin); [ -n "$TOK" ] || die "no admin token"
  local member admin svcrole svc demo demou u uid id itf type name url
  member=$(ks_id roles name=member); admin=$(ks_id roles name=admin)
  svcrole=$(ks_ensure roles name=service '{"role":{"name":"service"}}')
  svc=$(ks_ensure projects name=service '{"project":{"name":"service","domain_id":"default"}}')
  demo=$(ks_ensure projects name=demo '{"project":{"name":"demo","domain_id":"default"}}')
  demou=$(ks_ensure users name=demo "{\"user\":{\"name\":\"demo\",\"domain_id\":\"default\",\"password\":\"demo\",\"default_project_id\":\"$demo\"}}")
  curl -s -o /dev/null -X PUT -H "X-Auth-Token: $TOK" "$KS/v3/projects/$demo/users/$demou/roles/$member"
  for u in neutron nova placement glance; do
    uid=$(ks_ensure users name=$u "{\"user\":{\"name\":\"$u\",\"domain_id\":\"default\",\"password\":\"$u\"}}")
    for id in $admin $svcrole; do curl -s -o /dev/null -X PUT -H "X-Auth-Token: $TOK" "$KS/v3/projects/$svc/users/$uid/roles/$id"; done
  done
  while read -r type name url; do
    [ -n "$type" ] || continue
    id=$(ks_ensure services "type=$type" "{\"service\":{\"type\":\"$type\",\"name\":\"$name\"}}")
    for itf in public internal admin; do
      [ -n "$(ks_id endpoints "service_id=$id&interface=$itf")" ] || curl -s -o /dev/null -H "X-Auth-Token: $TOK" \
        -H 'Content-Type: application/json' -X POST $KS/v3/endpoints \
        -d "{\"endpoint\":{\"service_id\":\"$id\",\"interface\":\"$itf\",\"url\":\"$url\",\"region_id\":\"RegionOne\"}}"
    done
  done <<EOF
network neutron http://$H:$NEUTRON_PORT
$(full && printf '%s\n' "compute nova http://$H:$NOVA_PORT/v2.1" "image glance http://$H:$GLANCE_PORT" "placement placement http://$H:$PLACEMENT_PORT")
EOF
  # same layout as the simulator's (test/sim/openstack/main.ts): tests edit it line by line
  cloud() { cat <<EOF
  $1:
    auth:
      auth_url: $KS/v3
      username: $2
      password: $2
      project_name: $2
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionOne
    interface: public
    identity_api_version: 3
EOF
  }
  { echo clouds:; cloud real demo; cloud real-admin admin; } > "$CLOUDS_YAML"
  log "keystone seeded (admin/admin@admin, demo/demo@demo member, service users); $CLOUDS_YAML written"
}
seed_resources() {
  TOK=$(token admin admin admin); [ -n "$TOK" ] || die "no admin token"

  # Neutron: external network "public" + subnet. 203.0.113.0/24 = TEST-NET-3; nothing is ever routed.
  local NEU=http://$H:$NEUTRON_PORT/v2.0 pub
  pub=$(curl -s -H "X-Auth-Token: $TOK" "$NEU/networks?name=public" | jq -r '.networks[0].id // empty')
  if [ -z "$pub" ]; then
    api POST $NEU/networks '{"network":{"name":"public","router:external":true,"provider:network_type":"flat","provider:physical_network":"public"}}'
    pub=$(echo "$BODY" | jq -r .network.id)
    api POST $NEU/subnets "{\"subnet\":{\"name\":\"public-subnet\",\"network_id\":\"$pub\",\"ip_version\":4,\"cidr\":\"203.0.113.0/24\",\"gateway_ip\":\"203.0.113.1\",\"enable_dhcp\":false,\"allocation_pools\":[{\"start\":\"203.0.113.10\",\"end\":\"203.0.113.250\"}]}}"
    [ "$CODE" = 201 ] || die "public subnet: $CODE $BODY"
  fi
  log "external network public = $pub"
  demo_quotas
  full || return 0

  local NOVA=http://$H:$NOVA_PORT/v2.1 GL=http://$H:$GLANCE_PORT img i
  api GET $NOVA/flavors/1
  [ "$CODE" = 200 ] || api POST $NOVA/flavors '{"flavor":{"name":"m1.tiny","id":"1","ram":64,"vcpus":1,"disk":1}}'
  # A second flavor to resize to.
  api GET $NOVA/flavors/2
  [ "$CODE" = 200 ] || api POST $NOVA/flavors '{"flavor":{"name":"m1.small","id":"2","ram":128,"vcpus":1,"disk":1}}'
  # A flavor no host can take (a required trait nobody has): a server on it goes to ERROR, "No valid host".
  api GET $NOVA/flavors/3
  if [ "$CODE" != 200 ]; then
    api POST $NOVA/flavors '{"flavor":{"name":"m1.nohost","id":"3","ram":64,"vcpus":1,"disk":1}}'
    api POST $NOVA/flavors/3/os-extra_specs '{"extra_specs":{"trait:CUSTOM_CLOUDNET_NOHOST":"required"}}'
  fi
  img=$(curl -s -H "X-Auth-Token: $TOK" "$GL/v2/images?name=fake-image" | jq -r '.images[0].id // empty')
  if [ -z "$img" ]; then
    api POST $GL/v2/images '{"name":"fake-image","disk_format":"raw","container_format":"bare","visibility":"public"}'
    img=$(echo "$BODY" | jq -r .id)
    head -c 1024 /dev/zero | curl -s -X PUT -H "X-Auth-Token: $TOK" -H 'Content-Type: application/octet-stream' --data-binary @- "$GL/v2/images/$img/file"
  fi
  log "flavors m1.tiny (id 1), m1.small (id 2), m1.nohost (id 3), image fake-image = $img"
  # nova-compute registers itself; map it to cell1 now instead of waiting for the periodic task
  [ -z "${SPAWNED[nova-compute]:-}" ] || wait_log nova-compute "Starting compute node" 90
  for ((i = 0; i < 150; i++)); do
    api GET $NOVA/os-hypervisors
    [ "$(echo "$BODY" | jq '.hypervisors | length')" -ge 1 ] 2>/dev/null && break
    if (( i % 10 == 5 )); then nova_manage cell_v2 discover_hosts > "$LOG/discover_hosts.log" 2>&1 || true; fi
    sleep 0.5
  done
  [ "$(echo "$BODY" | jq '.hypervisors | length')" -ge 1 ] || die "no hypervisor after 75 s (see $LOG/nova-compute.log)"
  log "hypervisor e2e-compute is up"
}

# Every test of a run shares project demo (the simulator gives each its own cloud): Neutron's defaults
# (10 security groups, 10 routers) are too small for that. Needs $TOK (admin).
demo_quotas() {
  local demo; demo=$(ks_id projects name=demo); [ -n "$demo" ] || die "no project demo"
  api PUT "http://$H:$NEUTRON_PORT/v2.0/quotas/$demo" \
    '{"quota":{"network":500,"subnet":500,"port":2000,"router":200,"floatingip":200,"security_group":500,"security_group_rule":5000}}'
  [ "$CODE" = 200 ] || die "demo quotas: $CODE $BODY"
}

# ---------------------------------------------------------------- purge
# Deletes every Neutron resource of the test project (demo) and restores its quotas, leaving the seed: state
# survives `stop`/`up`, so a run that left things behind must not disturb the next one.
do_purge() {
  local expect_empty=; [ "${1:-}" = --expect-empty ] && expect_empty=1
  TOK=$(token admin admin admin); [ -n "$TOK" ] || die "no admin token"
  local NEU=http://$H:$NEUTRON_PORT/v2.0 demo id rid n=0
  demo=$(ks_id projects name=demo); [ -n "$demo" ] || die "no project demo"
  ids() { curl -s -H "X-Auth-Token: $TOK" "$NEU/$1?project_id=$demo${2:+&$2}" | jq -r ".$3[].id"; }
  del() { api DELETE "$NEU/$1"; [ "$CODE" = 204 ] || [ "$CODE" = 404 ] || log "purge: DELETE $1: $CODE $BODY"; n=$((n + 1)); [ -z "$expect_empty" ] || log "left behind: $1"; }
  if full || running nova-api; then
    # Servers first: their ports (and floating IPs on them) go with them. Nova deletes after it answers.
    local NOVA=http://$H:$NOVA_PORT/v2.1 servers i
    servers() { curl -s -H "X-Auth-Token: $TOK" "$NOVA/servers?all_tenants=1&tenant_id=$demo" | jq -r '.servers[].id'; }
    for id in $(servers); do
      api DELETE "$NOVA/servers/$id"; n=$((n + 1)); [ -z "$expect_empty" ] || log "left behind: servers/$id"
    done
    for i in $(seq 1 60); do [ -z "$(servers)" ] && break; sleep 0.5; done
  fi
  for id in $(ids floatingips '' floatingips); do del "floatingips/$id"; done
  for rid in $(ids routers '' routers); do
    api PUT "$NEU/routers/$rid" '{"router":{"routes":[]}}'   # routes pin the interfaces they go through
    for id in $(curl -s -H "X-Auth-Token: $TOK" "$NEU/ports?device_id=$rid&device_owner=network:router_interface" | jq -r '.ports[].id'); do
      api PUT "$NEU/routers/$rid/remove_router_interface" "{\"port_id\":\"$id\"}"
    done
    del "routers/$rid"
  done
  for id in $(ids ports '' ports); do del "ports/$id"; done
  for id in $(ids networks '' networks); do del "networks/$id"; done
  for id in $(curl -s -H "X-Auth-Token: $TOK" "$NEU/security-groups?project_id=$demo" | jq -r '.security_groups[] | select(.name != "default") | .id'); do del "security-groups/$id"; done
  # The operator's marks on a network of another project (the external network imported as Managed): removed, the rest of its tags kept.
  for id in $(curl -s -H "X-Auth-Token: $TOK" "$NEU/networks?tags-any=cloudnet-managed" | jq -r --arg demo "$demo" '.networks[] | select(.project_id != $demo) | .id'); do
    api PUT "$NEU/networks/$id/tags" "$(curl -s -H "X-Auth-Token: $TOK" "$NEU/networks/$id" | jq -c '{tags: [.network.tags[] | select(startswith("cloudnet-") | not)]}')"
    n=$((n + 1)); [ -z "$expect_empty" ] || log "left behind: the operator's tags on networks/$id"
  done
  demo_quotas
  log "purged project demo ($n resources)"
  [ -z "$expect_empty" ] || [ "$n" = 0 ] || die "$n resources were left behind in project demo"
}

# ---------------------------------------------------------------- status / stop / env
profile_services() {
  local s; for s in $SERVICES; do
    case "$s" in mysqld|keystone|neutron-server) echo "$s" ;; *) full && echo "$s" ;; esac
  done
}
do_status() {
  local s rc=0
  for s in $(profile_services); do
    if running "$s"; then echo "$s: running (pid $(cat "$RUN/$s.pid"))"
    elif [ -e "$RUN/$s.pid" ]; then echo "$s: DEAD (stale pid file)"; rc=1
    else echo "$s: stopped"; rc=1; fi
  done
  return $rc
}
do_stop() {
  [ -d "$RUN" ] || { log "nothing to stop under $BASE"; return 0; }
  # API/compute services first, then the broker, then the DB last (so nothing logs DB errors on the way down)
  stop_all nova-api nova-compute nova-scheduler nova-conductor glance-api placement neutron-server keystone
  stop_all rabbitmq epmd
  stop_all mysqld
}
do_env() {
  cat <<EOF
export CLOUDNET_REAL_DIR=$BASE
export CLOUDNET_REAL_PROFILE=$PROFILE
export CLOUDNET_REAL_AUTH_URL=$KS/v3
export CLOUDNET_REAL_NETWORK_URL=http://$H:$NEUTRON_PORT
export OS_CLIENT_CONFIG_FILE=$CLOUDS_YAML
export OS_CLOUD=real
export CLOUDNET_REAL_CLOUD=real
export CLOUDNET_REAL_ADMIN_CLOUD=real-admin
export CLOUDNET_REAL_USER=demo
export CLOUDNET_REAL_PROJECT=demo
export CLOUDNET_REAL_ADMIN_USER=admin
export CLOUDNET_REAL_ADMIN_PROJECT=admin
export CLOUDNET_REAL_PUBLIC_NETWORK=public
EOF
  if full || running nova-api; then
    cat <<EOF
export CLOUDNET_REAL_COMPUTE_URL=http://$H:$NOVA_PORT/v2.1
export CLOUDNET_REAL_IMAGE_URL=http://$H:$GLANCE_PORT
export CLOUDNET_REAL_FLAVOR=m1.tiny
export CLOUDNET_REAL_IMAGE=fake-image
EOF
  fi
}

# up/stop/reset of one state directory never run concurrently (parallel test processes may call up)
locked() { mkdir -p "$BASE"; exec 9> "$BASE/.lock"; flock 9; "$@"; }

case "${1:-}" in
  _exec)   shift; "$@" ;;   # internal: used by spawn
  install) do_install ;;
  up)      locked do_start ;;
  status)  do_status ;;
  env)     do_env ;;
  purge)   shift; do_purge "$@" ;;
  stop)    locked do_stop ;;
  reset)   locked do_stop; rm -rf "$BASE" ;;
  *) echo "usage: $0 install|up|status|env|purge|stop|reset   (PROFILE=network|full, CLOUDNET_REAL_DIR=$BASE)" >&2; exit 2 ;;
esac
