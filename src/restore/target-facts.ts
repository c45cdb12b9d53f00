// Gathers the planner's TargetFacts from a live target session: what the target cloud offers
// (flavors, external and shared networks, subnet pools, volume types, availability zones,
// images with their checksums, users and roles when readable) and what already exists in the
// target project (its inventory, with the old IDs earlier restores stamped on it). Reads only:
// planning never changes the cloud.
import type { ServiceModule } from '../../services/module.js';
import { ComputeClient } from '../../services/compute/client.js';
import { IdentityClient } from '../../services/identity/client.js';
import { ImageClient } from '../../services/images/client.js';
import { NetworkClient } from '../../services/networks/client.js';
import { VolumeClient } from '../../services/volumes/client.js';
import type { ExistingResource, NamedTarget, TargetFacts } from '../../restore-plans/planner-input.js';
import { readSourceId } from '../../restore-plans/source-marker.js';
import type { Session } from '../openstack/types.js';
import { ExitCode, PermafrostError } from '../errors.js';

export interface GatherOptions {
  /** Target project name (default: the session's project). */
  projectName?: string;
  modules: ServiceModule[];
}

export interface GatheredTarget {
  facts: TargetFacts;
  /** Session scoped to the target project when it exists (else the session given). */
  projectSession: Session;
}

/** Keystone URL of a session (KeystoneSession keeps its cloud config), to tell "same cloud" reliably. */
export function authUrlOf(session: Session): string | undefined {
  const config = (session as { config?: { authUrl?: unknown } }).config;
  return typeof config?.authUrl === 'string' ? config.authUrl : undefined;
}

async function optional<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch {
    return undefined;
  }
}

export async function gatherTargetFacts(session: Session, opts: GatherOptions): Promise<GatheredTarget> {
  const projectName = opts.projectName ?? session.project?.name;
  if (!projectName) throw new PermafrostError('the target session is not scoped to a project: pass --project NAME', ExitCode.usage);
  const projectSession = await projectSessionFor(session, projectName);
  const project = projectSession?.project;
  const work = projectSession ?? session;

  const [flavors, networks, pools, volumeTypes, computeZones, volumeZones, images, identity] = await Promise.all([
    optional(async () => (await ComputeClient.open(work)).listFlavors({ isPublic: 'all' })),
    optional(async () => (await NetworkClient.open(work)).listNetworks()),
    optional(async () => (await NetworkClient.open(work)).listSubnetPools()),
    optional(async () => (await VolumeClient.open(work)).listVolumeTypes()),
    optional(async () => (await ComputeClient.open(work)).listAvailabilityZones()),
    optional(async () => (await VolumeClient.open(work)).listAvailabilityZones()),
    optional(async () => (await ImageClient.open(work)).listImages({ visibility: 'all' })),
    session.isAdmin() ? optional(async () => identityFacts(session)) : Promise.resolve(undefined),
  ]);
  const defaultType = await optional(async () => (await VolumeClient.open(work)).getDefaultVolumeType());
  const existing = project ? await existingResources(work, project.id, opts.modules) : [];

  const facts: TargetFacts = {
    cloud: session.cloudName,
    ...(session.region ? { region: session.region } : {}),
    ...(authUrlOf(session) ? { authUrl: authUrlOf(session)! } : {}),
    isAdmin: session.isAdmin(),
    project: { name: projectName, exists: project !== undefined, ...(project ? { id: project.id, domainId: project.domainId } : {}) },
    flavors: (flavors ?? []).map((f) => ({ id: f.id, name: f.name, vcpus: f.vcpus, ram: f.ram, disk: f.disk, ephemeral: Number(f['OS-FLV-EXT-DATA:ephemeral'] ?? 0), swap: Number(f.swap || 0) })),
    // networks the target project can use but does not own: external and shared ones
    networks: (networks ?? [])
      .filter((n) => n['router:external'] === true || n.shared === true)
      .filter((n) => !project || n.project_id !== project.id || n['router:external'] === true)
      .map((n) => ({ id: n.id, name: n.name, external: n['router:external'] === true, shared: n.shared === true })),
    subnetPools: (pools ?? []).filter((p) => p.shared === true || (project !== undefined && p.project_id !== project.id)).map((p) => ({ id: p.id, name: p.name, ...(p.is_default ? { isDefault: true } : {}) })),
    volumeTypes: (volumeTypes ?? []).map((t) => ({ id: t.id, name: t.name, ...(defaultType && defaultType.id === t.id ? { isDefault: true } : {}) })),
    ...(computeZones || volumeZones
      ? {
          availabilityZones: {
            compute: (computeZones ?? []).filter((z) => z.zoneState.available).map((z) => z.zoneName),
            volume: (volumeZones ?? []).filter((z) => z.zoneState.available).map((z) => z.zoneName),
          },
        }
      : {}),
    images: (images ?? []).map((i) => ({
      id: i.id,
      name: i.name ?? '',
      ...(i.checksum ? { checksum: i.checksum } : {}),
      ...(i.os_hash_algo ? { hashAlgo: i.os_hash_algo } : {}),
      ...(i.os_hash_value ? { hashValue: i.os_hash_value } : {}),
      status: i.status,
      visibility: i.visibility,
      // an admin lists other projects' private images too: the planner never reuses those
      ...(typeof i.owner === 'string' ? { owner: i.owner } : {}),
    })),
    users: identity?.users ?? [],
    roles: identity?.roles ?? [],
    ...(identity?.groups ? { groups: identity.groups } : {}),
    existing,
  };
  return { facts, projectSession: work };
}

/** A session on the target project if it exists and the user may work in it; undefined if it does not exist. */
async function projectSessionFor(session: Session, name: string): Promise<Session | undefined> {
  if (session.project && (session.project.name === name || session.project.id === name)) return session;
  const identity = await IdentityClient.open(session);
  const found = session.isAdmin()
    ? await identity.findProject(name).catch(() => undefined)
    : (await identity.listUserProjects(session.userId).catch(() => [])).find((p) => p.name === name || p.id === name);
  if (!found) return undefined;
  try {
    return await session.scopedTo({ id: found.id });
  } catch (err) {
    throw new PermafrostError(`project ${name} exists, but ${session.isAdmin() ? 'the admin has no role on it' : 'this user cannot work in it'} (${(err as Error).message}): grant the restoring user a role on ${name}`, ExitCode.forbidden, { cause: err });
  }
}

async function identityFacts(session: Session): Promise<{ users: NamedTarget[]; roles: NamedTarget[]; groups: NamedTarget[] }> {
  const identity = await IdentityClient.open(session);
  const [users, roles, groups] = await Promise.all([identity.listUsers(), identity.listRoles(), identity.listGroups().catch(() => [])]);
  return {
    users: users.map((u) => ({ id: u.id, name: u.name })),
    roles: roles.map((r) => ({ id: r.id, name: r.name })),
    groups: groups.map((g) => ({ id: g.id, name: g.name })),
  };
}

/** The target project's inventory, each resource with the old ID an earlier restore stamped on it. */
export async function existingResources(session: Session, projectId: string, modules: ServiceModule[]): Promise<ExistingResource[]> {
  const out: ExistingResource[] = [];
  for (const mod of modules) {
    if (mod.serviceTypes.some((t) => !session.hasService(t))) continue;
    const result = await mod.inventory({ session, projectId }).catch(() => undefined);
    for (const r of result?.resources ?? []) {
      if (r.status !== 'ok') continue;
      const sourceId = readSourceId(r.fields);
      out.push({ kind: r.kind, id: r.id, name: r.name, fields: r.fields, refs: r.refs, ...(sourceId ? { sourceId } : {}) });
    }
  }
  return out;
}
