#!/usr/bin/env bash
# Extend the seeded "demo" project with the resource kinds seed-demo.sh does not create, so a
# tenant backup can be tested on every kind (issue 4): server group + a second server booted
# into it with user data, subnet pool + a subnet from it, an IPv6 subnet, a port with allowed
# address pairs, a QoS policy (only when the cloud has the qos extension), a project-private
# flavor, an image shared with another project, Swift large objects (SLO + DLO with their
# segments), a unicode object name, an empty object, an object with content headers and
# delete-at, a container with versioning and quota metadata, an application credential, and a
# group with a membership and a role assignment on the project.
#
#   seed-extra.sh [--instance NAME]       (idempotent; needs seed-demo.sh to have run)
#
# SEED_EXTRA_GROUP=NAME only to try the script elsewhere: another name for the (domain-wide) group.
#
# Writes $STATE/seed/permafrost-extra.done and appends checksums to $STATE/seed/extra-manifest.txt.
set -euo pipefail
export LC_ALL=C.UTF-8 LANG=C.UTF-8
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
unset PYTHONPATH PYTHONHOME VIRTUAL_ENV
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
dc_parse_instance_args "$@"
dc_init_vars
T0=$(date +%s)
[ -f "$CLOUDS_YAML" ] || dc_die "no $CLOUDS_YAML: run up.sh first"
export OS_CLIENT_CONFIG_FILE="$CLOUDS_YAML"
ADM="$CLOUD_PREFIX-admin"; DEMO="$CLOUD_PREFIX-demo"
SEED="$STATE/seed"; mkdir -p "$SEED"
[ -s "$SEED/manifest.txt" ] || dc_die "the demo project is not seeded yet: run seed-demo.sh first"
# One Python process with openstacksdk does every call (one token per cloud, no CLI start-up per
# call: the openstack CLI pays its start-up on every invocation). demo-server-ud is created first
# and boots while the rest is seeded (identity, networks, port, image and Swift in parallel
# threads); the script waits for it at the end, so seeding takes a fraction of the CLI's time.
dc_log "extra: identity, compute, networks, image, swift (one openstacksdk process)"
"$PY" - "$ADM" "$DEMO" "$SEED" <<'PYEOF' || dc_die "seed-extra failed (see the messages above)"
import base64, concurrent.futures, gzip, hashlib, json, logging, os, random, sys, threading, time, urllib.parse
import openstack

logging.getLogger('keystoneauth').setLevel(logging.ERROR)  # no discovery chatter about Swift's account URL

adm_cloud, demo_cloud, seed = sys.argv[1:4]
A = openstack.connect(cloud=adm_cloud)
D = openstack.connect(cloud=demo_cloud)
# The sections after the server's creation are independent: they run in threads, each with its
# own connections (an openstacksdk Connection is not meant to be shared between threads).
_local = threading.local()


def conns():
    if not hasattr(_local, 'A'):
        _local.A, _local.D = openstack.connect(cloud=adm_cloud), openstack.connect(cloud=demo_cloud)
    return _local.A, _local.D
T0 = time.time()


def log(msg):
    print(f"[seed-extra {time.time() - T0:5.1f}s] {msg}", flush=True)


project_id = D.current_project_id
user_id = D.current_user_id
net = D.network.find_network('demo-net', ignore_missing=False)
sg = D.network.find_security_group('demo-sg', ignore_missing=False)

# ---- compute first: the server boots while everything else is seeded
log("compute: private flavor, server group, server demo-server-ud (boots in the background)")
group = D.compute.find_server_group('demo-group-aa')
if group is None:
    group = D.compute.create_server_group(name='demo-group-aa', policy='soft-anti-affinity')
server = D.compute.find_server('demo-server-ud')
if server is None:
    ud = b"#cloud-config\nhostname: demo-server-ud\n"
    open(f"{seed}/user-data.yaml", "wb").write(ud)
    server = D.compute.create_server(
        name='demo-server-ud',
        flavor_id=D.compute.find_flavor('m1.tiny', ignore_missing=False).id,
        image_id=D.image.find_image('demo-image', ignore_missing=False).id,
        networks=[{'uuid': net.id}],
        security_groups=[{'name': 'demo-sg'}],
        user_data=base64.b64encode(ud).decode(),
        scheduler_hints={'group': group.id},
        metadata={'role': 'worker'},
        tags=['extra'],
        description='server with user data in a server group',
    )
flavor = A.compute.find_flavor('m1.demo-private')
if flavor is None:
    flavor = A.compute.create_flavor(name='m1.demo-private', vcpus=1, ram=256, disk=1, is_public=False)
    A.compute.flavor_add_tenant_access(flavor, project_id)

# ---- identity
def seed_identity():
    A, D = conns()
    log("identity: group with membership and role assignment, application credential")
    GROUP = os.environ.get('SEED_EXTRA_GROUP', 'demo-group')  # another name only to try the script on a scratch project
    grp = A.identity.find_group(GROUP, domain_id='default')
    if grp is None:
        grp = A.identity.create_group(name=GROUP, domain_id='default', description='demo group (seed-extra)')
    A.identity.add_user_to_group(user_id, grp)
    reader = A.identity.find_role('reader', ignore_missing=False)
    A.identity.assign_project_role_to_group(project_id, grp, reader)
    if D.identity.find_application_credential(user_id, 'demo-appcred') is None:
        # the secret is not needed by any test; it is never printed
        D.identity.create_application_credential(user_id, name='demo-appcred', description='seed-extra app credential', roles=[{'name': 'member'}])


# ---- networks
def seed_networks():
    A, D = conns()
    log("networks: subnet pool, subnets, port, QoS")
    pool = D.network.find_subnet_pool('demo-pool')
    if pool is None:
        pool = D.network.create_subnet_pool(name='demo-pool', prefixes=['10.20.0.0/16'], default_prefixlen=26, description='demo subnet pool')
    net2 = D.network.find_network('demo-net2')
    if net2 is None:
        # a network's subnets of one IP version must all come from the same pool: a second network
        net2 = D.network.create_network(name='demo-net2', mtu=1400, description='demo network with pooled + IPv6 subnets')
    if D.network.find_subnet('demo-subnet-pool') is None:
        D.network.create_subnet(name='demo-subnet-pool', network_id=net2.id, subnet_pool_id=pool.id, prefixlen=26, ip_version=4, is_dhcp_enabled=False)
    if D.network.find_subnet('demo-subnet-v6') is None:
        D.network.create_subnet(name='demo-subnet-v6', network_id=net2.id, ip_version=6, cidr='fd00:10:10::/64', ipv6_ra_mode='slaac', ipv6_address_mode='slaac')


def seed_port_qos():
    A, D = conns()
    if D.network.find_port('demo-port-extra') is None:
        subnet = D.network.find_subnet('demo-subnet', ignore_missing=False)
        D.network.create_port(name='demo-port-extra', network_id=net.id, fixed_ips=[{'subnet_id': subnet.id}],
                              allowed_address_pairs=[{'ip_address': '10.10.0.250'}], security_group_ids=[sg.id], description='spare port')
    if A.network.find_extension('qos') is not None:
        if D.network.find_qos_policy('demo-qos') is None:
            q = D.network.create_qos_policy(name='demo-qos', description='demo qos')
            D.network.create_qos_bandwidth_limit_rule(q, max_kbps=10000, max_burst_kbps=1000)
    else:
        log("the cloud has no qos extension; no QoS policy seeded")


# ---- image shared with the admin project
def seed_image():
    A, D = conns()
    log("image: demo-image-shared")
    if D.image.find_image('demo-image-shared') is None:
        # plain Glance v2 calls: the SDK's create_image would add owner_specified.* properties
        GURL = D.image.get_endpoint().rstrip('/')
        GURL = GURL if GURL.endswith('/v2') else GURL + '/v2'
        r = random.Random(99)
        data = r.randbytes(1024 * 1024 + 5)
        open(f"{seed}/demo-image-shared.raw", "wb").write(data)
        img = D.session.post(GURL + '/images', json={'name': 'demo-image-shared', 'disk_format': 'raw', 'container_format': 'bare', 'visibility': 'shared',
                                                     'min_disk': 1, 'min_ram': 64, 'tags': ['shared'], 'backup_test': 'shared'}).json()
        D.session.put(f"{GURL}/images/{img['id']}/file", data=data, headers={'Content-Type': 'application/octet-stream'})
        admin_project = A.identity.find_project('admin', domain_id='default', ignore_missing=False)
        D.session.post(f"{GURL}/images/{img['id']}/members", json={'member': admin_project.id})


# ---- swift, through the SDK's session (one token for everything)
def seed_swift():
    A, D = conns()
    log("swift: large objects, unicode/empty objects, versioned container, account metadata")
    SURL = D.object_store.get_endpoint().rstrip('/')
    q = urllib.parse.quote


    def swift(method, path, data=None, headers=None):
        # the raw session: no version discovery on the account URL
        return D.session.request(SURL + path, method, data=data, headers=headers or {}, raise_exc=False)


    def exists(path):
        return swift('HEAD', path).status_code < 300


    def put(path, data=b'', headers=None):
        r = swift('PUT', path, data, headers)
        if r.status_code >= 300:
            raise RuntimeError(f"PUT {path}: HTTP {r.status_code} {r.text[:200]}")


    def post(path, headers):
        r = swift('POST', path, None, headers)
        if r.status_code >= 300:
            raise RuntimeError(f"POST {path}: HTTP {r.status_code}")


    if not exists('/demo-container'):
        put('/demo-container')
    if not exists('/demo-container/large-slo.bin'):
        put('/demo-segments')
        r = random.Random(31337)
        slo = [r.randbytes(1024 * 1024 + i * 1000) for i in range(3)]
        dlo = [r.randbytes(512 * 1024 + 7 * i) for i in range(2)]
        manifest = []
        for i, data in enumerate(slo):
            open(f"{seed}/slo-seg-{i}", "wb").write(data)
            put(f"/demo-segments/slo/seg-{i}", data)
            manifest.append({"path": f"/demo-segments/slo/seg-{i}", "etag": hashlib.md5(data).hexdigest(), "size_bytes": len(data)})
        put('/demo-container/large-slo.bin?multipart-manifest=put', json.dumps(manifest).encode(), {'Content-Type': 'application/octet-stream'})
        for i, data in enumerate(dlo):
            open(f"{seed}/dlo-seg-{i}", "wb").write(data)
            put(f"/demo-segments/dlo/seg-{i}", data)
        put('/demo-container/large-dlo.bin', b'', {'X-Object-Manifest': 'demo-segments/dlo/seg-'})
    uname = '/demo-container/' + '/'.join(q(p) for p in 'ünïcødé/日本語 ファイル.txt'.split('/'))
    if not exists(uname):
        put(uname, 'unicode name — contenu\n'.encode(), {'Content-Type': 'text/plain; charset=utf-8'})
    if not exists('/demo-container/empty.txt'):
        put('/demo-container/empty.txt', b'')
    if not exists('/demo-container/report.csv.gz'):
        put('/demo-container/report.csv.gz', gzip.compress(b'a,b\n1,2\n', mtime=0),
            {'Content-Type': 'text/csv', 'Content-Encoding': 'gzip', 'Content-Disposition': 'attachment; filename="report.csv"',
             'X-Delete-At': '4102444800', 'X-Object-Meta-Origin': 'seed-extra'})
    if not exists('/demo-versioned'):
        put('/demo-versioned', b'', {'X-Versions-Enabled': 'true', 'X-Container-Meta-Quota-Bytes': '104857600',
                                     'X-Container-Meta-Quota-Count': '1000', 'X-Container-Meta-Purpose': 'versioned'})
        put('/demo-versioned/doc.txt', b'version 1\n')
        put('/demo-versioned/doc.txt', b'version 2\n')
    post('', {'X-Account-Meta-Owner': 'demo-seed'})


with concurrent.futures.ThreadPoolExecutor(max_workers=5) as pool:
    for f in [pool.submit(fn) for fn in (seed_identity, seed_networks, seed_port_qos, seed_image, seed_swift)]:
        f.result()  # re-raises a section's error

# ---- the server
log("waiting for demo-server-ud to be ACTIVE")
server = D.compute.wait_for_server(D.compute.get_server(server.id), status='ACTIVE', failures=['ERROR'], interval=2, wait=600)
log(f"done: demo-server-ud {server.status}")
PYEOF

# ---------------------------------------------------------------- manifest + marker
{
  echo "# devcloud seed-extra manifest ($(date -u +%FT%TZ))"
  echo "image demo-image-shared sha256 $(sha256sum < "$SEED/demo-image-shared.raw" | cut -d' ' -f1)"
  echo "object demo-container/large-slo.bin sha256 $(cat "$SEED"/slo-seg-0 "$SEED"/slo-seg-1 "$SEED"/slo-seg-2 | sha256sum | cut -d' ' -f1)"
  echo "object demo-container/large-dlo.bin sha256 $(cat "$SEED"/dlo-seg-0 "$SEED"/dlo-seg-1 | sha256sum | cut -d' ' -f1)"
} > "$SEED/extra-manifest.txt"
date -u +%FT%TZ > "$SEED/permafrost-extra.done"
dc_log "seed-extra done in $(( $(date +%s) - T0 ))s"
