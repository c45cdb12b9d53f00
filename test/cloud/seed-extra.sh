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
A() { openstack --os-cloud "$ADM" "$@"; }
D() { openstack --os-cloud "$DEMO" "$@"; }
exists() { "$@" >/dev/null 2>&1; }

# The sections below are independent of each other: they run in parallel (each openstack CLI
# call costs 2–5 s), then the server that needs the server group boots.
seed_identity() {
dc_log "extra: group with membership, role assignment; application credential"
exists A group show --domain default demo-group || A group create --domain default --description "demo group (seed-extra)" demo-group >/dev/null
A group add user --group-domain default --user-domain default demo-group demo >/dev/null
A role add --group demo-group --group-domain default --project demo --project-domain default reader
if ! D application credential show demo-appcred >/dev/null 2>&1; then
  # the secret is not needed by any test; it is never printed
  D application credential create --description "seed-extra app credential" --role member demo-appcred >/dev/null
fi

}

seed_compute() {
exists A flavor show m1.demo-private || A flavor create --vcpus 1 --ram 256 --disk 1 --private --project demo m1.demo-private >/dev/null
exists D server group show demo-group-aa || D server group create --policy soft-anti-affinity demo-group-aa >/dev/null

}

seed_networks() {
dc_log "extra: subnet pool, subnets, port, QoS"
exists D subnet pool show demo-pool || D subnet pool create --pool-prefix 10.20.0.0/16 --default-prefix-length 26 \
  --description "demo subnet pool" demo-pool >/dev/null
# a network's subnets of one IP version must all come from the same pool: a second network
exists D network show demo-net2 || D network create --mtu 1400 --description "demo network with pooled + IPv6 subnets" demo-net2 >/dev/null
exists D subnet show demo-subnet-pool || D subnet create --network demo-net2 --subnet-pool demo-pool \
  --prefix-length 26 --no-dhcp demo-subnet-pool >/dev/null
exists D subnet show demo-subnet-v6 || D subnet create --network demo-net2 --ip-version 6 --subnet-range fd00:10:10::/64 \
  --ipv6-ra-mode slaac --ipv6-address-mode slaac demo-subnet-v6 >/dev/null
exists D port show demo-port-extra || D port create --network demo-net --fixed-ip subnet=demo-subnet \
  --allowed-address ip-address=10.10.0.250 --security-group demo-sg --description "spare port" demo-port-extra >/dev/null
if A extension show qos >/dev/null 2>&1; then
  if ! exists D network qos policy show demo-qos; then
    D network qos policy create --description "demo qos" demo-qos >/dev/null
    D network qos rule create --type bandwidth-limit --max-kbps 10000 --max-burst-kbits 1000 demo-qos >/dev/null
  fi
else
  dc_log "extra: the cloud has no qos extension; no QoS policy seeded"
fi

}

seed_image() {
if ! exists D image show demo-image-shared; then
  "$PY" -c "import random,sys; r=random.Random(99); open(sys.argv[1],'wb').write(r.randbytes(1024*1024+5))" "$SEED/demo-image-shared.raw"
  D image create --disk-format raw --container-format bare --file "$SEED/demo-image-shared.raw" \
    --shared --property backup_test=shared --min-disk 1 --min-ram 64 --tag shared demo-image-shared >/dev/null
  ADMIN_PROJECT=$(A project show admin -f value -c id)
  D image add project demo-image-shared "$ADMIN_PROJECT" >/dev/null
fi

}

seed_swift() {
dc_log "extra: swift large objects, unicode/empty objects, versioned container"
TOKEN=$(D token issue -f value -c id)
PROJ=$(D token issue -f value -c project_id)
SURL="http://$IP:$P_SWIFT/v1/AUTH_$PROJ"
sw() { curl -sf -H "X-Auth-Token: $TOKEN" "$@"; }
urlenc() { "$PY" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
if ! sw -I "$SURL/demo-container/large-slo.bin" -o /dev/null; then
  sw -X PUT "$SURL/demo-segments" -o /dev/null
  "$PY" - "$SEED" <<'PYEOF'
import random, sys
r = random.Random(31337)
d = sys.argv[1]
for i in range(3):
    open(f"{d}/slo-seg-{i}", "wb").write(r.randbytes(1024 * 1024 + i * 1000))
for i in range(2):
    open(f"{d}/dlo-seg-{i}", "wb").write(r.randbytes(512 * 1024 + 7 * i))
PYEOF
  manifest="["
  for i in 0 1 2; do
    sw -X PUT -T "$SEED/slo-seg-$i" "$SURL/demo-segments/slo/seg-$i" -o /dev/null
    etag=$(md5sum < "$SEED/slo-seg-$i" | cut -d' ' -f1)
    size=$(stat -c %s "$SEED/slo-seg-$i")
    manifest="$manifest{\"path\":\"/demo-segments/slo/seg-$i\",\"etag\":\"$etag\",\"size_bytes\":$size},"
  done
  manifest="${manifest%,}]"
  printf '%s' "$manifest" | sw -X PUT -H 'Content-Type: application/octet-stream' --data-binary @- \
    "$SURL/demo-container/large-slo.bin?multipart-manifest=put" -o /dev/null
  for i in 0 1; do sw -X PUT -T "$SEED/dlo-seg-$i" "$SURL/demo-segments/dlo/seg-$i" -o /dev/null; done
  sw -X PUT -H 'X-Object-Manifest: demo-segments/dlo/seg-' -H 'Content-Length: 0' --data-binary '' \
    "$SURL/demo-container/large-dlo.bin" -o /dev/null
fi
UNAME='ünïcødé/日本語 ファイル.txt'
if ! sw -I "$SURL/demo-container/$(urlenc "$UNAME")" -o /dev/null; then
  printf 'unicode name — contenu\n' | sw -X PUT -H 'Content-Type: text/plain; charset=utf-8' --data-binary @- \
    "$SURL/demo-container/$(urlenc "$UNAME")" -o /dev/null
fi
if ! sw -I "$SURL/demo-container/empty.txt" -o /dev/null; then
  sw -X PUT -H 'Content-Length: 0' --data-binary '' "$SURL/demo-container/empty.txt" -o /dev/null
fi
if ! sw -I "$SURL/demo-container/report.csv.gz" -o /dev/null; then
  printf 'a,b\n1,2\n' | gzip -n | sw -X PUT -H 'Content-Type: text/csv' -H 'Content-Encoding: gzip' \
    -H 'Content-Disposition: attachment; filename="report.csv"' -H 'X-Delete-At: 4102444800' \
    -H 'X-Object-Meta-Origin: seed-extra' --data-binary @- "$SURL/demo-container/report.csv.gz" -o /dev/null
fi
if ! sw -I "$SURL/demo-versioned" -o /dev/null; then
  sw -X PUT -H 'X-Versions-Enabled: true' -H 'X-Container-Meta-Quota-Bytes: 104857600' \
    -H 'X-Container-Meta-Quota-Count: 1000' -H 'X-Container-Meta-Purpose: versioned' "$SURL/demo-versioned" -o /dev/null
  printf 'version 1\n' | sw -X PUT --data-binary @- "$SURL/demo-versioned/doc.txt" -o /dev/null
  printf 'version 2\n' | sw -X PUT --data-binary @- "$SURL/demo-versioned/doc.txt" -o /dev/null
fi
sw -X POST -H 'X-Account-Meta-Owner: demo-seed' "$SURL" -o /dev/null
}

pids=()
for section in seed_identity seed_compute seed_networks seed_image seed_swift; do
  "$section" &
  pids+=("$!")
done
failed=0
for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
[ "$failed" = 0 ] || dc_die "a seed-extra section failed (see the messages above)"

# ---------------------------------------------------------------- compute: second server with user data in the group
dc_log "extra: server demo-server-ud (user data, server group)"
if ! exists D server show demo-server-ud; then
  printf '#cloud-config\nhostname: demo-server-ud\n' > "$SEED/user-data.yaml"
  GROUP_ID=$(D server group show demo-group-aa -f value -c id)
  D --os-compute-api-version 2.52 server create --flavor m1.tiny --image demo-image --network demo-net \
    --security-group demo-sg --user-data "$SEED/user-data.yaml" --hint "group=$GROUP_ID" \
    --property role=worker --tag extra --description "server with user data in a server group" \
    --wait demo-server-ud >/dev/null
fi
s=$(D server show demo-server-ud -f value -c status)
[ "$s" = ACTIVE ] || dc_die "demo-server-ud is $s, expected ACTIVE"

# ---------------------------------------------------------------- manifest + marker
{
  echo "# devcloud seed-extra manifest ($(date -u +%FT%TZ))"
  echo "image demo-image-shared sha256 $(sha256sum < "$SEED/demo-image-shared.raw" | cut -d' ' -f1)"
  echo "object demo-container/large-slo.bin sha256 $(cat "$SEED"/slo-seg-0 "$SEED"/slo-seg-1 "$SEED"/slo-seg-2 | sha256sum | cut -d' ' -f1)"
  echo "object demo-container/large-dlo.bin sha256 $(cat "$SEED"/dlo-seg-0 "$SEED"/dlo-seg-1 | sha256sum | cut -d' ' -f1)"
} > "$SEED/extra-manifest.txt"
date -u +%FT%TZ > "$SEED/permafrost-extra.done"
dc_log "seed-extra done in $(( $(date +%s) - T0 ))s"
