#!/usr/bin/env bash
# Bring up a minimal OpenStack (Zed, Debian 12 packages) on 127.0.0.1.
# Idempotent: a second run on a machine where everything is up only checks health.
#
#   up.sh [--instance NAME]
#
# Env: DEVCLOUD_STATE (state dir), DEVCLOUD_PORT_OFFSET, DEVCLOUD_ADMIN_PASSWORD,
#      DEVCLOUD_INFRA (shared infra state, default /var/lib/devcloud-infra),
#      DEVCLOUD_SKIP_INSTALL=1 (do not run apt-get), DEVCLOUD_FORCE_SYNC=1 (re-run db syncs),
#      DEVCLOUD_NO_NEUTRON_AGENTS=1 (skip dhcp/l3 agents)
set -euo pipefail
export LC_ALL=C.UTF-8 LANG=C.UTF-8
export DEBIAN_FRONTEND=noninteractive
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV

. "$(cd "$(dirname "$0")" && pwd)/common.sh"
dc_parse_instance_args "$@"
dc_init_vars
T0=$(date +%s)

INFRA="${DEVCLOUD_INFRA:-/var/lib/devcloud-infra}"
mkdir -p "$STATE" "$ETC" "$RUN" "$LOGS" "$INFRA/run" "$INFRA/logs" "$INFRA/instances"

VIRT="${DEVCLOUD_VIRT:-${SAVED_VIRT:-libvirt}}"
case "$VIRT" in fake|libvirt) ;; *) dc_die "DEVCLOUD_VIRT must be fake or libvirt" ;; esac
if [ "$VIRT" = libvirt ] && [ ! -w /dev/kvm ] && [ -z "${DEVCLOUD_VIRT:-}" ]; then
  dc_log "no usable /dev/kvm: using the fake compute driver"; VIRT=fake
fi
cat > "$STATE/instance.env" <<EOF
SAVED_VIRT=$VIRT
SAVED_PORT_OFFSET=$PORT_OFFSET
SAVED_ADMIN_PASSWORD=$ADMIN_PASSWORD
SAVED_SERVICE_PASSWORD=$SERVICE_PASSWORD
SAVED_DEMO_PASSWORD=$DEMO_PASSWORD
EOF
echo "$STATE" > "$INFRA/instances/$INSTANCE"

# ---------------------------------------------------------------- packages
PKGS=(python3-pymysql sudo curl openssh-client e2fsprogs
  nfs-common qemu-utils uwsgi-core uwsgi-plugin-python3
  keystone glance-api placement-api
  nova-api nova-conductor nova-scheduler nova-compute
  neutron-server neutron-linuxbridge-agent neutron-dhcp-agent neutron-l3-agent
  cinder-api cinder-scheduler cinder-volume
  swift swift-proxy swift-object swift-container swift-account
  python3-openstackclient python3-swiftclient python3-yaml)

# infra servers only when nothing already listens on their port (then we reuse that one)
dc_port_open 3306 || PKGS+=(mariadb-server mariadb-client)
dc_port_open 5672 || PKGS+=(rabbitmq-server)
dc_port_open 11211 || PKGS+=(memcached)
install_packages() {
  local missing=() p
  for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "${DEVCLOUD_SKIP_INSTALL:-0}" = 1 ] && dc_die "missing packages: ${missing[*]}"
  dc_log "installing ${#missing[@]} packages: ${missing[*]}"
  # never let maintainer scripts start daemons (no systemd here anyway)
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    dc_log "created /usr/sbin/policy-rc.d (exit 101)"
  fi
  # answer the openstack-pkg-tools debconf questions with "no"
  local q
  {
    for q in keystone/configure_db keystone/create-admin-tenant keystone/register-endpoint \
             glance/configure_db glance/configure_rabbit glance/configure_ksat glance/configure_api-endpoint \
             nova/configure_db novaapi/configure_db nova/configure_rabbit nova/configure_ksat \
             nova/configure_neutron nova/configure_placement nova/configure_api-endpoint \
             cinder/configure_db cinder/configure_rabbit cinder/configure_ksat cinder/configure_api-endpoint \
             neutron/configure_db neutron/configure_rabbit neutron/configure_ksat neutron/configure_api-endpoint \
             placement/configure_db placement/configure_ksat placement/configure_api-endpoint \
             neutron-metadata/configure_metadata; do
      echo "${q%%/*}-common $q boolean false"
      echo "${q%%/*} $q boolean false"
    done
  } | debconf-set-selections 2>/dev/null || true
  local apt=(apt-get -o DPkg::Lock::Timeout=900 -o Dpkg::Options::=--force-confdef
             -o Dpkg::Options::=--force-confold)
  if ! "${apt[@]}" install -y --no-install-recommends "${missing[@]}" > "$INFRA/logs/apt-install.log" 2>&1; then
    dc_log "apt-get install failed; running apt-get update and retrying once"
    "${apt[@]}" update >> "$INFRA/logs/apt-install.log" 2>&1 || true
    "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >> "$INFRA/logs/apt-install.log" 2>&1 \
      || { tail -30 "$INFRA/logs/apt-install.log"; dc_die "apt-get install failed (log: $INFRA/logs/apt-install.log)"; }
  fi
  dc_log "packages installed"
}
install_packages

# ---------------------------------------------------------------- infra: MariaDB
# Admin access: root@127.0.0.1 with empty password (pre-existing server) or root over the local socket.
db_admin_py() {  # run SQL statements (one per arg) as the DB admin
  "$PY" - "$@" <<'PYEOF'
import sys, pymysql
errs = []
for kw in (dict(host="127.0.0.1", port=3306, user="root", password=""),
           dict(unix_socket="/run/mysqld/mysqld.sock", user="root", password="")):
    try:
        c = pymysql.connect(connect_timeout=5, autocommit=True, **kw)
        break
    except Exception as e:
        errs.append(str(e)); c = None
if c is None:
    sys.exit("cannot get DB admin access: %s" % errs)
cur = c.cursor()
for stmt in sys.argv[1:]:
    cur.execute(stmt)
PYEOF
}
db_user_ok() {
  "$PY" -c "import pymysql; pymysql.connect(host='127.0.0.1', port=3306, user='$DB_USER', password='$DB_PASS', connect_timeout=5)" 2>/dev/null
}

start_mariadb() {
  if dc_port_open 3306; then
    dc_log "MariaDB/MySQL already listening on 3306: reusing it"
    return 0
  fi
  dc_log "starting MariaDB"
  install -d -o mysql -g mysql /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    mysql_install_db --user=mysql --datadir=/var/lib/mysql > "$INFRA/logs/mysql_install_db.log" 2>&1
  fi
  local saveRUN=$RUN saveLOGS=$LOGS
  RUN="$INFRA/run"; LOGS="$INFRA/logs"
  dc_start mariadb "mariadbd" /usr/sbin/mariadbd --user=mysql --bind-address=127.0.0.1 --port=3306 \
      --max-connections=1000 --innodb-buffer-pool-size=256M --skip-name-resolve \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci
  RUN=$saveRUN; LOGS=$saveLOGS
  local i
  for i in $(seq 1 120); do dc_port_open 3306 && break; sleep 0.5; done
  dc_port_open 3306 || dc_die "MariaDB did not start (see $INFRA/logs/mariadb.log)"
}
start_mariadb

setup_databases() {
  local stmts=() d
  for d in keystone glance placement nova_api nova nova_cell0 neutron cinder; do
    stmts+=("CREATE DATABASE IF NOT EXISTS ${DB_PREFIX}$d CHARACTER SET utf8mb4")
  done
  if ! db_user_ok; then
    stmts+=("CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS'"
            "CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS'")
  fi
  stmts+=("GRANT ALL PRIVILEGES ON \`dc%\`.* TO '$DB_USER'@'127.0.0.1'"
          "GRANT ALL PRIVILEGES ON \`dc%\`.* TO '$DB_USER'@'localhost'")
  if [ -f "$INFRA/db-${INSTANCE}.done" ] && db_user_ok; then return 0; fi
  db_admin_py "${stmts[@]}"
  touch "$INFRA/db-${INSTANCE}.done"
}
setup_databases
DBURL="mysql+pymysql://$DB_USER:$DB_PASS@127.0.0.1:3306"

# ---------------------------------------------------------------- infra: RabbitMQ
start_rabbitmq() {
  if ! dc_port_open 5672; then
    dc_log "starting RabbitMQ"
    cat > /etc/rabbitmq/rabbitmq-env.conf <<'EOF'
# written by devcloud up.sh: loopback only
NODENAME=rabbit@localhost
NODE_IP_ADDRESS=127.0.0.1
NODE_PORT=5672
SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
export ERL_EPMD_ADDRESS=127.0.0.1
EOF
    install -d -o rabbitmq -g rabbitmq /var/log/rabbitmq /var/lib/rabbitmq
    local saveRUN=$RUN saveLOGS=$LOGS
    RUN="$INFRA/run"; LOGS="$INFRA/logs"
    pgrep -x epmd >/dev/null || touch "$INFRA/epmd.ours"
    ERL_EPMD_ADDRESS=127.0.0.1 dc_start rabbitmq "rabbitmq" /usr/sbin/rabbitmq-server
    RUN=$saveRUN; LOGS=$saveLOGS
    local i
    for i in $(seq 1 240); do dc_port_open 5672 && break; sleep 0.5; done
    dc_port_open 5672 || dc_die "RabbitMQ did not start (see $INFRA/logs/rabbitmq.log)"
  fi
  # one vhost per instance (if we can administer the broker); else fall back to "/"
  if [ -f "$INFRA/vhost-$RABBIT_VHOST.done" ]; then return 0; fi
  if rabbitmqctl -q add_vhost "$RABBIT_VHOST" >/dev/null 2>&1 || rabbitmqctl -q list_vhosts 2>/dev/null | grep -qx "$RABBIT_VHOST"; then
    rabbitmqctl -q set_permissions -p "$RABBIT_VHOST" guest '.*' '.*' '.*' >/dev/null
    touch "$INFRA/vhost-$RABBIT_VHOST.done"
  else
    dc_log "WARNING: cannot create RabbitMQ vhost $RABBIT_VHOST, using '/'"
    RABBIT_VHOST=""
  fi
}
start_rabbitmq
if [ -n "$RABBIT_VHOST" ]; then TRANSPORT="rabbit://guest:guest@127.0.0.1:5672/$RABBIT_VHOST"; else TRANSPORT="rabbit://guest:guest@127.0.0.1:5672/"; fi

start_memcached() {
  dc_port_open 11211 && return 0
  local saveRUN=$RUN saveLOGS=$LOGS
  RUN="$INFRA/run"; LOGS="$INFRA/logs"
  dc_start memcached "memcached" /usr/bin/memcached -u memcache -l 127.0.0.1 -p 11211 -U 0 -m 64
  RUN=$saveRUN; LOGS=$saveLOGS
}
start_memcached

# ---------------------------------------------------------------- configs
mkdir -p "$ETC"/{keystone,glance,placement,nova,neutron,cinder,swift} \
  "$STATE"/keystone/{fernet-keys,credential-keys} \
  "$STATE"/glance/{images,staging,tasks,cache} \
  "$STATE"/nova/{instances,lock} "$STATE"/neutron/lock "$STATE"/cinder/{lock,mnt,export,conversion} \
  "$STATE"/swift/node/d1 "$STATE"/swift/cache

ksauth() {  # keystone_authtoken-style auth block for service user $1
  cat <<EOF
www_authenticate_uri = http://$IP:$P_KEYSTONE
auth_url = http://$IP:$P_KEYSTONE
memcached_servers = $MEMCACHE
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $SERVICE_PASSWORD
EOF
}
svcauth() {  # client-side auth block (no www_authenticate_uri/memcache) for user $1
  cat <<EOF
auth_url = http://$IP:$P_KEYSTONE
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $SERVICE_PASSWORD
region_name = $REGION
EOF
}

write_configs() {
# ---- keystone
cat > "$ETC/keystone/keystone.conf" <<EOF
[DEFAULT]
[database]
connection = $DBURL/${DB_PREFIX}keystone
[token]
provider = fernet
expiration = 86400
[fernet_tokens]
key_repository = $STATE/keystone/fernet-keys
[fernet_receipts]
key_repository = $STATE/keystone/fernet-keys
[credential]
key_repository = $STATE/keystone/credential-keys
# permafrost: with the in-process dict cache below, the credential manager hands out the same
# cached dict each time and decrypting it drops 'encrypted_blob' (KeyError on the second EC2
# lookup, i.e. every S3 request through s3token). Credentials are not cached.
caching = false
[cache]
# in-process cache (one uwsgi process => no cross-process staleness); not the shared
# memcached: two instances (or a purged+recreated one) would read each other's entries
enabled = true
backend = oslo_cache.dict
expiration_time = 600
EOF

# ---- glance
cat > "$ETC/glance/glance-api.conf" <<EOF
[DEFAULT]
bind_host = $IP
bind_port = $P_GLANCE
workers = 1
enabled_backends = fs:file
image_cache_dir = $STATE/glance/cache
enabled_import_methods = [glance-direct,copy-image]
show_multiple_locations = false
[database]
connection = $DBURL/${DB_PREFIX}glance
[keystone_authtoken]
$(ksauth glance)
[paste_deploy]
flavor = keystone
config_file = /etc/glance/glance-api-paste.ini
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $STATE/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = $STATE/glance/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $STATE/glance/tasks/
[oslo_concurrency]
lock_path = $STATE/glance
EOF

# ---- placement
cat > "$ETC/placement/placement.conf" <<EOF
[DEFAULT]
[api]
auth_strategy = keystone
[placement_database]
connection = $DBURL/${DB_PREFIX}placement
[keystone_authtoken]
$(ksauth placement)
EOF

# ---- nova
cat > "$ETC/nova/nova.conf" <<EOF
[DEFAULT]
host = $HOST_NAME
my_ip = $IP
state_path = $STATE/nova
instances_path = $STATE/nova/instances
transport_url = $TRANSPORT
enabled_apis = osapi_compute
osapi_compute_listen = $IP
osapi_compute_listen_port = $P_NOVA
osapi_compute_workers = 1
compute_driver = $( [ "$VIRT" = libvirt ] && echo libvirt.LibvirtDriver || echo fake.FakeDriver )
resume_guests_state_on_host_boot = true
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
rootwrap_config = /etc/nova/rootwrap.conf
instance_name_template = ${BR_PREFIX}-instance-%08x
[api]
auth_strategy = keystone
[api_database]
connection = $DBURL/${DB_PREFIX}nova_api
[database]
connection = $DBURL/${DB_PREFIX}nova
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 15
[keystone_authtoken]
$(ksauth nova)
[service_user]
send_service_user_token = true
$(svcauth nova)
[placement]
$(svcauth nova)
[neutron]
$(svcauth nova)
service_metadata_proxy = false
default_floating_pool = public
[cinder]
os_region_name = $REGION
$(svcauth nova | grep -v region_name)
[glance]
region_name = $REGION
[oslo_concurrency]
lock_path = $STATE/nova/lock
[vnc]
enabled = false
[wsgi]
api_paste_config = /etc/nova/api-paste.ini
[libvirt]
virt_type = $( [ -w /dev/kvm ] && echo kvm || echo qemu )
cpu_mode = none
nfs_mount_point_base = $STATE/nova/mnt
[os_vif_linux_bridge]
use_ipv6 = false
EOF

# ---- neutron
cat > "$ETC/neutron/neutron.conf" <<EOF
[DEFAULT]
bind_host = $IP
bind_port = $P_NEUTRON
host = $HOST_NAME
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = $TRANSPORT
state_path = $STATE/neutron
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 1
notify_nova_on_port_status_changes = true
notify_nova_on_port_data_changes = true
allow_overlapping_ips = true
api_paste_config = /etc/neutron/api-paste.ini
dhcp_agents_per_network = 1
[agent]
root_helper = sudo /usr/bin/neutron-rootwrap /etc/neutron/rootwrap.conf
report_interval = 15
[database]
connection = $DBURL/${DB_PREFIX}neutron
[keystone_authtoken]
$(ksauth neutron)
[nova]
$(svcauth neutron)
[oslo_concurrency]
lock_path = $STATE/neutron/lock
[ml2]
type_drivers = flat,local
tenant_network_types = local
mechanism_drivers = linuxbridge
extension_drivers = port_security
[ml2_type_flat]
flat_networks = public
[securitygroup]
enable_security_group = true
firewall_driver = noop
[experimental]
linuxbridge = true
EOF
cat > "$ETC/neutron/linuxbridge_agent.ini" <<EOF
[linux_bridge]
physical_interface_mappings = public:${BR_PREFIX}pub0
[vxlan]
enable_vxlan = false
[securitygroup]
enable_security_group = true
firewall_driver = noop
[agent]
polling_interval = 2
EOF
cat > "$ETC/neutron/dhcp_agent.ini" <<EOF
[DEFAULT]
interface_driver = linuxbridge
dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
enable_isolated_metadata = false
force_metadata = false
EOF
cat > "$ETC/neutron/l3_agent.ini" <<EOF
[DEFAULT]
interface_driver = linuxbridge
enable_metadata_proxy = false
EOF

# ---- cinder (NFS driver on a bind-mounted local directory; see README)
NFS_SHARE="127.0.0.1:$STATE/cinder/export"
echo "$NFS_SHARE" > "$ETC/cinder/nfs_shares"
cat > "$ETC/cinder/cinder.conf" <<EOF
[DEFAULT]
host = $HOST_NAME
my_ip = $IP
state_path = $STATE/cinder
transport_url = $TRANSPORT
auth_strategy = keystone
osapi_volume_listen = $IP
osapi_volume_listen_port = $P_CINDER
osapi_volume_workers = 1
api_paste_config = /etc/cinder/api-paste.ini
rootwrap_config = /etc/cinder/rootwrap.conf
enabled_backends = nfs
default_volume_type = __DEFAULT__
image_conversion_dir = $STATE/cinder/conversion
enable_force_upload = true
glance_catalog_info = image:glance:publicURL
[database]
connection = $DBURL/${DB_PREFIX}cinder
[keystone_authtoken]
$(ksauth cinder)
[nova]
$(svcauth cinder)
interface = public
[service_user]
send_service_user_token = true
$(svcauth cinder)
[oslo_concurrency]
lock_path = $STATE/cinder/lock
[nfs]
volume_driver = cinder.volume.drivers.nfs.NfsDriver
volume_backend_name = nfs
nfs_shares_config = $ETC/cinder/nfs_shares
nfs_mount_point_base = $STATE/cinder/mnt
nfs_snapshot_support = true
nfs_sparsed_volumes = true
nfs_qcow2_volumes = false
nas_secure_file_operations = false
nas_secure_file_permissions = false
EOF

# ---- swift
if [ ! -f /etc/swift/swift.conf ]; then
  mkdir -p /etc/swift
  cat > /etc/swift/swift.conf <<'EOF'
[swift-hash]
swift_hash_path_suffix = devcloud-suffix
swift_hash_path_prefix = devcloud-prefix
[storage-policy:0]
name = Policy-0
default = yes
EOF
fi
local kind port
for kind in account container object; do
  case $kind in account) port=$P_SWIFT_ACC;; container) port=$P_SWIFT_CONT;; object) port=$P_SWIFT_OBJ;; esac
  cat > "$ETC/swift/$kind-server.conf" <<EOF
[DEFAULT]
bind_ip = $IP
bind_port = $port
workers = 1
user = root
swift_dir = $ETC/swift
devices = $STATE/swift/node
mount_check = false
log_name = $kind-server
[pipeline:main]
pipeline = $kind-server
[app:$kind-server]
use = egg:swift#$kind
[$kind-replicator]
[$kind-auditor]
[$kind-updater]
interval = 60
concurrency = 1
EOF
done
cat >> "$ETC/swift/container-server.conf" <<EOF
[container-sync]
[container-sharder]
EOF
cat > "$ETC/swift/proxy-server.conf" <<EOF
[DEFAULT]
bind_ip = $IP
bind_port = $P_SWIFT
workers = 1
user = root
swift_dir = $ETC/swift
log_name = proxy-server
[pipeline:main]
pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl ratelimit authtoken s3api s3token keystoneauth copy container-quotas account-quotas slo dlo versioned_writes symlink proxy-logging proxy-server
[app:proxy-server]
use = egg:swift#proxy
account_autocreate = true
allow_account_management = true
[filter:authtoken]
paste.filter_factory = keystonemiddleware.auth_token:filter_factory
$(ksauth swift | grep -v memcached_servers)
delay_auth_decision = True
cache = swift.cache
include_service_catalog = False
[filter:s3api]
# permafrost: the S3 backend is tested against Swift's S3 API. Order matters: authtoken BEFORE
# s3api/s3token (Swift's documented keystone pipeline). authtoken after s3token strips the identity
# headers s3token set from Keystone's /v3/s3tokens answer, keystoneauth then sees an anonymous
# request (401), and s3api turns that 401 into 403 SignatureDoesNotMatch for every signed request.
use = egg:swift#s3api
location = RegionOne
[filter:s3token]
use = egg:swift#s3token
auth_uri = $KS_URL
# the EC2 secret is fetched once and kept (in memcache) for 60 s; the signature is then checked
# here instead of one Keystone /v3/s3tokens round trip per S3 request (~145 -> ~30 ms per GET)
secret_cache_duration = 60
reseller_prefix = AUTH_
delay_auth_decision = False
$(ksauth swift | grep -v 'memcached_servers\|www_authenticate_uri')
[filter:keystoneauth]
use = egg:swift#keystoneauth
operator_roles = admin, member
reseller_admin_role = ResellerAdmin
[filter:cache]
use = egg:swift#memcache
memcache_servers = $MEMCACHE
[filter:catch_errors]
use = egg:swift#catch_errors
[filter:gatekeeper]
use = egg:swift#gatekeeper
[filter:healthcheck]
use = egg:swift#healthcheck
[filter:proxy-logging]
use = egg:swift#proxy_logging
[filter:listing_formats]
use = egg:swift#listing_formats
[filter:bulk]
use = egg:swift#bulk
[filter:tempurl]
use = egg:swift#tempurl
[filter:ratelimit]
use = egg:swift#ratelimit
[filter:copy]
use = egg:swift#copy
[filter:container-quotas]
use = egg:swift#container_quotas
[filter:account-quotas]
use = egg:swift#account_quotas
[filter:slo]
use = egg:swift#slo
[filter:dlo]
use = egg:swift#dlo
[filter:versioned_writes]
use = egg:swift#versioned_writes
allow_versioned_writes = true
allow_object_versioning = true
[filter:symlink]
use = egg:swift#symlink
EOF
}
write_configs

# swift rings (single replica, one device)
if [ ! -f "$ETC/swift/object.ring.gz" ]; then
  (cd "$ETC/swift"
   for kp in account:$P_SWIFT_ACC container:$P_SWIFT_CONT object:$P_SWIFT_OBJ; do
     k=${kp%%:*}; p=${kp##*:}
     rm -f "$k.builder"
     swift-ring-builder "$k.builder" create 8 1 1 >/dev/null
     swift-ring-builder "$k.builder" add --region 1 --zone 1 --ip $IP --port "$p" --device d1 --weight 100 >/dev/null
     swift-ring-builder "$k.builder" rebalance >/dev/null || true
   done)
fi

# ---------------------------------------------------------------- DB syncs (first run)
run_sync() {  # NAME CMD... (logs to $LOGS/sync-NAME.log)
  local name=$1; shift
  if [ -f "$STATE/sync-$name.done" ] && [ "${DEVCLOUD_FORCE_SYNC:-0}" != 1 ]; then return 0; fi
  if "$@" >> "$LOGS/sync-$name.log" 2>&1; then touch "$STATE/sync-$name.done"; else echo "FAILED: $name" >> "$LOGS/sync-failures"; fi
}
db_syncs() {
  rm -f "$LOGS/sync-failures"
  local t=$(date +%s)
  # keystone first (needed early); others in parallel (2 cores: 2-3 at a time is best)
  # NB: wait only on our own jobs (a bare "wait" would also wait for daemons started above)
  local pids=()
  run_sync keystone keystone-manage --config-file "$ETC/keystone/keystone.conf" db_sync & pids+=($!)
  run_sync neutron neutron-db-manage --config-file "$ETC/neutron/neutron.conf" upgrade heads & pids+=($!)
  wait "${pids[@]}"; pids=()
  run_sync glance glance-manage --config-file "$ETC/glance/glance-api.conf" db_sync & pids+=($!)
  run_sync placement placement-manage --config-file "$ETC/placement/placement.conf" db sync & pids+=($!)
  run_sync cinder cinder-manage --config-file "$ETC/cinder/cinder.conf" db sync & pids+=($!)
  wait "${pids[@]}"
  nova_sync() {
    nova-manage --config-file "$ETC/nova/nova.conf" api_db sync &&
    { nova-manage --config-file "$ETC/nova/nova.conf" cell_v2 list_cells 2>/dev/null | grep -q ' cell0 ' ||
      nova-manage --config-file "$ETC/nova/nova.conf" cell_v2 map_cell0 --database_connection "$DBURL/${DB_PREFIX}nova_cell0"; } &&
    { nova-manage --config-file "$ETC/nova/nova.conf" cell_v2 list_cells 2>/dev/null | grep -q ' cell1 ' ||
      nova-manage --config-file "$ETC/nova/nova.conf" cell_v2 create_cell --name cell1 --verbose; } &&
    nova-manage --config-file "$ETC/nova/nova.conf" db sync
  }
  run_sync nova nova_sync
  [ -f "$LOGS/sync-failures" ] && { cat "$LOGS/sync-failures"; dc_die "db sync failed, see $LOGS/sync-*.log"; }
  dc_log "db syncs done in $(( $(date +%s) - t ))s"
}
db_syncs

# ---------------------------------------------------------------- keystone
if [ ! -f "$STATE/keystone/fernet-keys/0" ]; then
  keystone-manage --config-file "$ETC/keystone/keystone.conf" fernet_setup --keystone-user root --keystone-group root
  keystone-manage --config-file "$ETC/keystone/keystone.conf" credential_setup --keystone-user root --keystone-group root
fi
if [ ! -f "$STATE/keystone-bootstrap.done" ]; then
  keystone-manage --config-file "$ETC/keystone/keystone.conf" bootstrap \
    --bootstrap-password "$ADMIN_PASSWORD" --bootstrap-username admin --bootstrap-project-name admin \
    --bootstrap-role-name admin --bootstrap-service-name keystone --bootstrap-region-id "$REGION" \
    --bootstrap-admin-url "http://$IP:$P_KEYSTONE/v3/" --bootstrap-internal-url "http://$IP:$P_KEYSTONE/v3/" \
    --bootstrap-public-url "http://$IP:$P_KEYSTONE/v3/" >> "$LOGS/sync-keystone.log" 2>&1
  touch "$STATE/keystone-bootstrap.done"
fi

UWSGI_COMMON=(--plugins python3 --master --enable-threads --lazy-apps --die-on-term --need-app
              --buffer-size 65535 --thunder-lock --add-header "Connection: close")
dc_start keystone "$ETC/keystone/keystone.conf" /usr/bin/uwsgi "${UWSGI_COMMON[@]}" \
  --http-socket "$IP:$P_KEYSTONE" --processes 1 --threads 8 --wsgi-file /usr/bin/keystone-wsgi-public \
  --env "OS_KEYSTONE_CONFIG_FILES=$ETC/keystone/keystone.conf"
dc_wait_http "http://$IP:$P_KEYSTONE/v3" 120 || dc_die "keystone did not answer (see $LOGS/keystone.log)"
# permafrost: a second keystone process on the next port, same database and keys, that issues
# tokens living ${DEVCLOUD_SHORT_TOKEN_SECONDS:-60} s: tests of re-authentication after expiry use it.
sed -e "s/^expiration = 86400/expiration = ${DEVCLOUD_SHORT_TOKEN_SECONDS:-60}/" "$ETC/keystone/keystone.conf" > "$ETC/keystone/keystone-short.conf"
dc_start keystone-short "$ETC/keystone/keystone-short.conf" /usr/bin/uwsgi "${UWSGI_COMMON[@]}" \
  --http-socket "$IP:$((P_KEYSTONE + 1))" --processes 1 --threads 4 --wsgi-file /usr/bin/keystone-wsgi-public \
  --env "OS_KEYSTONE_CONFIG_FILES=$ETC/keystone/keystone-short.conf"
dc_wait_http "http://$IP:$((P_KEYSTONE + 1))/v3" 120 || dc_die "short-token keystone did not answer (see $LOGS/keystone-short.log)"

# admin clouds.yaml for this instance (demo cloud is added by seed-demo.sh)
write_clouds_yaml() {
  "$PY" - "$CLOUDS_YAML" "$CLOUD_PREFIX" "$KS_URL" "$ADMIN_PASSWORD" "$REGION" <<'PYEOF'
import sys, os, yaml
path, prefix, url, pw, region = sys.argv[1:]
data = {}
if os.path.exists(path):
    data = yaml.safe_load(open(path)) or {}
clouds = data.setdefault("clouds", {})
clouds[prefix + "-admin"] = {
    "auth": {"auth_url": url, "username": "admin", "password": pw, "project_name": "admin",
             "user_domain_name": "Default", "project_domain_name": "Default"},
    "region_name": region, "interface": "public", "identity_api_version": 3}
tmp = path + ".tmp"
with open(tmp, "w") as f:
    yaml.safe_dump(data, f, default_flow_style=False, sort_keys=True)
os.replace(tmp, path)
PYEOF
}
merge_global_clouds_yaml() { "$PY" "$DC_SCRIPT_DIR/merge_clouds.py" "$INFRA/instances"; }
write_clouds_yaml
merge_global_clouds_yaml

if [ ! -f "$STATE/keystone-catalog.done" ]; then
  dc_log "creating service users and catalog"
  "$PY" "$DC_SCRIPT_DIR/bootstrap_keystone.py" "$KS_URL" "$ADMIN_PASSWORD" "$SERVICE_PASSWORD" "$REGION" \
     "image=http://$IP:$P_GLANCE" \
     "compute=http://$IP:$P_NOVA/v2.1" \
     "placement=http://$IP:$P_PLACEMENT" \
     "network=http://$IP:$P_NEUTRON" \
     "volumev3=http://$IP:$P_CINDER/v3/%(project_id)s" \
     "block-storage=http://$IP:$P_CINDER/v3/%(project_id)s" \
     "object-store=http://$IP:$P_SWIFT/v1/AUTH_%(project_id)s" >> "$LOGS/bootstrap.log" 2>&1 \
     || { tail -20 "$LOGS/bootstrap.log"; dc_die "keystone bootstrap failed"; }
  touch "$STATE/keystone-catalog.done"
fi

# ---------------------------------------------------------------- network plumbing for neutron
# "public" physnet: a veth pair that is connected to nothing else (no traffic leaves the box)
if ! ip link show "${BR_PREFIX}pub0" >/dev/null 2>&1; then
  ip link add "${BR_PREFIX}pub0" type veth peer name "${BR_PREFIX}pub1"
fi
ip link set "${BR_PREFIX}pub0" up; ip link set "${BR_PREFIX}pub1" up

# Cinder backend: the NFS driver on a loopback "NFS share". The kernel has no NFS
# client and no device-mapper (so no LVM), hence:
#  - the share directory $STATE/cinder/export is an ext4 filesystem in a sparse
#    loop file (own st_dev, so os.path.ismount() is true for bind mounts of it);
#  - /sbin/mount.nfs is diverted to a shim that turns "127.0.0.1:/dir" into a bind
#    mount of /dir (anything else goes to the real mount.nfs). Both cinder-volume
#    (os-brick) and nova-compute (libvirt NFS volume driver) then "mount" it normally.
install_nfs_shim() {
  if [ "$(dpkg-divert --truename /sbin/mount.nfs)" != /sbin/mount.nfs.distrib ]; then
    dpkg-divert --quiet --local --rename --divert /sbin/mount.nfs.distrib --add /sbin/mount.nfs
  fi
  cat > /sbin/mount.nfs.devcloud <<'EOF'
#!/bin/sh
# devcloud shim (see devcloud up.sh): loopback "NFS" => bind mount; else the real mount.nfs
case "$1" in
  127.0.0.1:/*|localhost:/*)
    dir="${1#*:}"
    if [ -d "$dir" ]; then exec mount --bind "$dir" "$2"; fi ;;
esac
exec /sbin/mount.nfs.distrib "$@"
EOF
  chmod 755 /sbin/mount.nfs.devcloud
  ln -sf /sbin/mount.nfs.devcloud /sbin/mount.nfs
}
install_nfs_shim
VOL_IMG="$STATE/cinder/volumes.img"
if ! mountpoint -q "$STATE/cinder/export"; then
  if [ ! -f "$VOL_IMG" ]; then
    truncate -s "${DEVCLOUD_VOLUME_GB:-40}G" "$VOL_IMG"
    mkfs.ext4 -q -F -m 0 -L devcloud-vols "$VOL_IMG"
  fi
  mount -o loop "$VOL_IMG" "$STATE/cinder/export"
  chmod 777 "$STATE/cinder/export"
fi
NFS_HASH=$(printf '%s' "127.0.0.1:$STATE/cinder/export" | md5sum | cut -d' ' -f1)

if [ "$VIRT" = libvirt ]; then
  start_libvirtd() {
    if virsh -c qemu:///system version >/dev/null 2>&1; then return 0; fi
    [ -f /etc/libvirt/qemu.conf.dist ] || cp /etc/libvirt/qemu.conf /etc/libvirt/qemu.conf.dist
    cat > /etc/libvirt/qemu.conf <<'EOF'
# written by devcloud up.sh (original: qemu.conf.dist)
user = "root"
group = "root"
cgroup_controllers = [ ]
stdio_handler = "file"
remember_owner = 0
namespaces = [ ]
EOF
    # no libvirt-managed networks (the "default" NAT network must never autostart)
    rm -f /etc/libvirt/qemu/networks/autostart/*.xml
    local saveRUN=$RUN saveLOGS=$LOGS
    RUN="$INFRA/run"; LOGS="$INFRA/logs"
    dc_start libvirtd "libvirtd" /usr/sbin/libvirtd
    RUN=$saveRUN; LOGS=$saveLOGS
    local i
    for i in $(seq 1 60); do virsh -c qemu:///system version >/dev/null 2>&1 && return 0; sleep 0.5; done
    dc_die "libvirtd did not start (see $INFRA/logs/libvirtd.log)"
  }
  start_libvirtd
fi

# ---------------------------------------------------------------- services
# Order matters on 2 cores: agents/compute that start before their server is
# answering lose 60 s in an RPC timeout, so start servers first, then wait.
wait_api() {  # NAME URL
  dc_wait_http "$2" 240 || dc_die "$1 did not answer at $2 (see $LOGS/)"
}
NOVA=(--config-file "$ETC/nova/nova.conf")
NEU=(--config-file "$ETC/neutron/neutron.conf")
CIN=(--config-file "$ETC/cinder/cinder.conf")
dc_start neutron-server "$ETC/neutron/neutron.conf" /usr/bin/neutron-server "${NEU[@]}"
dc_start nova-conductor "$ETC/nova/nova.conf" /usr/bin/nova-conductor "${NOVA[@]}"
dc_start placement-api "OS_PLACEMENT_CONFIG_DIR=$ETC/placement" /usr/bin/uwsgi "${UWSGI_COMMON[@]}" \
  --http-socket "$IP:$P_PLACEMENT" --processes 1 --threads 4 --wsgi-file /usr/bin/placement-api \
  --env "OS_PLACEMENT_CONFIG_DIR=$ETC/placement"
dc_start glance-api "$ETC/glance/glance-api.conf" /usr/bin/glance-api --config-file "$ETC/glance/glance-api.conf"
dc_start nova-scheduler "$ETC/nova/nova.conf" /usr/bin/nova-scheduler "${NOVA[@]}"
dc_start nova-api "$ETC/nova/nova.conf" /usr/bin/nova-api "${NOVA[@]}"
dc_start cinder-api "$ETC/cinder/cinder.conf" /usr/bin/cinder-api "${CIN[@]}"
dc_start cinder-scheduler "$ETC/cinder/cinder.conf" /usr/bin/cinder-scheduler "${CIN[@]}"
for k in account container object; do
  dc_start "swift-$k" "$ETC/swift/$k-server.conf" /usr/bin/swift-$k-server "$ETC/swift/$k-server.conf" -v
done
dc_start swift-container-updater "$ETC/swift/container-server.conf" /usr/bin/swift-container-updater "$ETC/swift/container-server.conf" -v
dc_start swift-proxy "$ETC/swift/proxy-server.conf" /usr/bin/swift-proxy-server "$ETC/swift/proxy-server.conf" -v

wait_api neutron "http://$IP:$P_NEUTRON/"
dc_start neutron-linuxbridge-agent "$ETC/neutron/linuxbridge_agent.ini" /usr/bin/neutron-linuxbridge-agent "${NEU[@]}" --config-file "$ETC/neutron/linuxbridge_agent.ini"
if [ "${DEVCLOUD_NO_NEUTRON_AGENTS:-0}" != 1 ]; then
  dc_start neutron-dhcp-agent "$ETC/neutron/dhcp_agent.ini" /usr/bin/neutron-dhcp-agent "${NEU[@]}" --config-file "$ETC/neutron/dhcp_agent.ini"
  dc_start neutron-l3-agent "$ETC/neutron/l3_agent.ini" /usr/bin/neutron-l3-agent "${NEU[@]}" --config-file "$ETC/neutron/l3_agent.ini"
fi
wait_api placement "http://$IP:$P_PLACEMENT/"
wait_api glance "http://$IP:$P_GLANCE/versions"
dc_start nova-compute "$ETC/nova/nova.conf" /usr/bin/nova-compute "${NOVA[@]}"
# launcher = /usr/bin/cinder-volume + a runtime fix for qcow2 snapshot chains (see the .py)
DEVCLOUD_CINDER_PATHS="$STATE/cinder/mnt/:$STATE/cinder/export/" \
  dc_start cinder-volume "$ETC/cinder/cinder.conf" "$PY" "$DC_SCRIPT_DIR/cinder_volume_devcloud.py" "${CIN[@]}"

# ---------------------------------------------------------------- wait for APIs
wait_api swift "http://$IP:$P_SWIFT/healthcheck"
wait_api nova "http://$IP:$P_NOVA/"
wait_api cinder "http://$IP:$P_CINDER/"

# wait for nova-compute + cinder-volume + neutron L2 agent to report in, and map the compute host
"$PY" "$DC_SCRIPT_DIR/wait_ready.py" "$KS_URL" "$ADMIN_PASSWORD" "$HOST_NAME" 300 \
  || dc_die "services registered but not all ready (see $LOGS/)"
if [ ! -f "$STATE/discover-hosts.done" ]; then
  nova-manage "${NOVA[@]}" cell_v2 discover_hosts --verbose >> "$LOGS/sync-nova.log" 2>&1 && touch "$STATE/discover-hosts.done"
fi

# ---------------------------------------------------------------- done
touch "$INFRA/instances/$INSTANCE.up"
cat > "$STATE/openrc-admin" <<EOF
# source me: plain OS_* variables for cloud $CLOUD_PREFIX-admin (no clouds.yaml needed)
unset OS_CLOUD
export OS_AUTH_URL=$KS_URL OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=$REGION OS_INTERFACE=public
export OS_USERNAME=admin OS_PASSWORD=$ADMIN_PASSWORD OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
EOF
dc_log "devcloud instance '$INSTANCE' is up in $(( $(date +%s) - T0 ))s"
echo "clouds.yaml: $CLOUDS_YAML (merged copy: /etc/openstack/clouds.yaml); cloud: $CLOUD_PREFIX-admin"
echo "keystone: $KS_URL  state: $STATE  logs: $LOGS"
