// What cannot be restored exactly as it was, said per step so that nothing changes silently:
// passwords, secrets, private keys, addresses that another cloud cannot give back, states that
// are re-applied after the resource exists, and resources that Neutron manages by itself.
import type { ResourceRecord } from '../src/model/resource.js';
import { getPath } from './field-paths.js';
import type { PlanNote } from './plan-schema.js';

export interface NoteContext {
  /** Target is the same cloud as the source (same Keystone). */
  sameCloud: boolean;
  /**
   * Floating IP addresses can be asked for again: same cloud and the snapshot's own project
   * (restoring after deletion). Into another project the source may still hold them.
   */
  keepsAddresses: boolean;
  /** Whether a network (old ID) is restored by this plan, i.e. owned by the target project. */
  networkIsRestored(oldNetworkId: string): boolean;
}

/** Server states the executor re-applies after boot. */
const REAPPLIED_STATES: ReadonlySet<string> = new Set(['SHUTOFF', 'STOPPED', 'PAUSED', 'SUSPENDED', 'SHELVED', 'SHELVED_OFFLOADED']);

const warn = (code: string, message: string): PlanNote => ({ level: 'warning', code, message });
const info = (code: string, message: string): PlanNote => ({ level: 'info', code, message });

export function restoreNotesFor(record: ResourceRecord, ctx: NoteContext): PlanNote[] {
  const f = record.fields;
  const notes: PlanNote[] = [];
  switch (record.kind) {
    case 'user':
      notes.push(warn('password-not-restored', `passwords are never backed up: user ${record.name} is created without a usable password; set a new one (openstack user set --password-prompt ${record.name})`));
      break;
    case 'application_credential':
      notes.push(warn('secret-not-restored', `the secret of application credential ${record.name} is not in the backup: a new secret is generated (shown once by the executor) and clients must be given it; only the owning user can create it`));
      break;
    case 'keypair':
      notes.push(info('public-key-only', `keypair ${record.name}: only the public key is restored (the private key never left its owner and keeps working); keypairs belong to the user who runs the restore`));
      break;
    case 'floating_ip': {
      const address = f.floating_ip_address;
      notes.push(
        ctx.keepsAddresses
          ? info('floating-ip-address', `the same address ${String(address)} is requested; if it is taken meanwhile, the restore fails for this step and says so`)
          : warn(
              'floating-ip-address',
              ctx.sameCloud
                ? `floating IP ${String(address)} is not requested again (the source project may still hold it): a new address is allocated`
                : `floating IP ${String(address)} cannot be kept in another cloud: a new address is allocated from the mapped external network`,
            ),
      );
      break;
    }
    case 'port': {
      const owner = String(f.device_owner ?? '');
      const networkId = String(f.network_id ?? '');
      if (!ctx.networkIsRestored(networkId) && !owner.startsWith('network:')) {
        notes.push(warn('port-addresses', `port ${record.name || record.id} is on a network the project does not own: its MAC address ${String(f.mac_address ?? '?')} and fixed IPs cannot be chosen and are assigned anew`));
      }
      if (Array.isArray(f.allowed_address_pairs) && f.allowed_address_pairs.length > 0) {
        notes.push(info('allowed-address-pairs', 'allowed address pairs are restored as they were (they name addresses, not IDs)'));
      }
      if (f['binding:profile'] && typeof f['binding:profile'] === 'object' && Object.keys(f['binding:profile'] as object).length > 0) {
        notes.push(warn('binding-profile', 'the port binding profile is host-specific and admin-only: it is not restored'));
      }
      break;
    }
    case 'router': {
      const fixed = getPath(f, 'external_gateway_info.external_fixed_ips');
      if (Array.isArray(fixed) && fixed.length > 0) {
        notes.push(info('gateway-address', 'the router gateway address is assigned by the target (choosing it needs admin)'));
      }
      break;
    }
    case 'network':
      if (Object.keys(f).some((key) => key.startsWith('provider:'))) {
        notes.push(warn('provider-attributes', 'provider attributes (network type, physical network, segmentation ID) are chosen by the target cloud, not restored'));
      }
      break;
    case 'security_group':
      if (record.name === 'default') {
        notes.push(info('default-security-group', 'every project has its own "default" group (Neutron creates it): it is reused, and its rules that already exist are matched, not duplicated'));
      }
      break;
    case 'security_group_rule':
      if (f.direction === 'egress' && (f.protocol === null || f.protocol === undefined) && !f.remote_ip_prefix && !f.remote_group_id) {
        notes.push(info('default-egress-rule', 'Neutron adds this allow-all egress rule to every new group: an "already exists" answer counts as restored'));
      }
      break;
    case 'server': {
      const status = String(f.status ?? '');
      const vmState = String(f['OS-EXT-STS:vm_state'] ?? '').toLowerCase();
      const state = status !== 'ACTIVE' && status !== '' ? status : vmState !== '' && vmState !== 'active' ? vmState.toUpperCase() : '';
      if (REAPPLIED_STATES.has(state)) notes.push(warn('server-state', `server was ${state}: it is booted, then put back into that state`));
      else if (state === 'ERROR') notes.push(warn('server-state', 'server was in ERROR at backup time: it is restored running (ACTIVE)'));
      else if (state !== '') notes.push(info('server-state', `server was ${state} (in transition) at backup time: it is restored running (ACTIVE)`));
      if (f.locked === true) notes.push(warn('server-locked', 'server was locked: it is locked again after the restore (the lock reason is kept where the API allows)'));
      if (!('user_data' in f) && !('OS-EXT-SRV-ATTR:user_data' in f)) {
        notes.push(info('user-data', 'user data was not readable at backup time (admin-only on this cloud): the server is restored without it'));
      }
      if ((record.data?.length ?? 0) > 0) {
        notes.push(info('root-disk', 'the root disk is restored from its backed-up image, so the server boots with the disk content of backup time'));
      }
      if ('adminPass' in f || 'admin_pass' in f) notes.push(warn('admin-password', 'the server admin password is not restored'));
      break;
    }
    case 'volume': {
      const attachments = Array.isArray(f.attachments) ? f.attachments : [];
      if (attachments.length > 0) notes.push(info('attach-device', 'the volume is attached again; the device name is a request the hypervisor may change'));
      if (f.encrypted === true) notes.push(warn('encrypted-volume', 'the volume was encrypted: its key is not in the backup; the data is restored into a volume of the mapped type'));
      break;
    }
    case 'volume_snapshot':
      if ((record.data ?? []).some((d) => d.stream === `volume_snapshot/${record.id}`)) {
        notes.push(info('snapshot-content', `snapshot ${record.name || record.id} gets its own backed-up data back: its volume is made from its oldest snapshot's data and reimaged with each next one (Cinder 3.68); on a file-based volume driver (NFS) it is re-taken from the restored volume instead, said in the report`));
      } else {
        notes.push(warn('snapshot-content', `snapshot ${record.name || record.id} is re-taken from the restored volume: its content is the volume's content at restore time, not at the original snapshot time (back up with --snapshot-data to restore its own data)`));
      }
      break;
    case 'image':
      if (f.protected === true) notes.push(info('image-protected', 'the protected flag is set again after the upload'));
      break;
    case 'object':
      if (f.delete_at !== undefined && f.delete_at !== null && f.delete_at !== '') {
        notes.push(info('object-expiry', `the object keeps its expiry time (X-Delete-At ${String(f.delete_at)}); if that time has passed, Swift removes it again`));
      }
      if (f.slo_manifest !== undefined || f.static_large_object === true || f['x-static-large-object'] === 'True') {
        notes.push(info('large-object', 'a static large object: its manifest is recreated after its segments'));
      }
      break;
    default:
      break;
  }
  if (record.status !== 'ok') {
    notes.push(warn('not-in-backup', `the snapshot marks this resource ${record.status}${record.reason ? `: ${record.reason}` : ''}`));
  }
  return notes;
}

/** Ports that Neutron creates and deletes by itself; restoring them would duplicate them. */
export function isAutoManagedPort(record: ResourceRecord): boolean {
  const owner = String(record.fields.device_owner ?? '');
  return owner.startsWith('network:') && !isRouterInterfacePort(record);
}

export function isRouterInterfacePort(record: ResourceRecord): boolean {
  const owner = String(record.fields.device_owner ?? '');
  return owner === 'network:router_interface' || owner === 'network:router_interface_distributed' || owner === 'network:ha_router_replicated_interface';
}
