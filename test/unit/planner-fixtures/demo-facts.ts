// Test inputs for the restore planner: the real inventory of the seeded `demo` project (taken
// from the local cloud, data streams added the way the backup records them) and target facts
// shaped like what the executor gathers from a target cloud.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResourceRecord } from '../../../src/model/resource.js';
import type { SnapshotManifestInput, TargetFacts } from '../../../restore-plans/index.js';

export function loadDemoManifest(): SnapshotManifestInput {
  const path = fileURLToPath(new URL('./demo-manifest.json', import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as SnapshotManifestInput;
}

export const IDS = {
  project: 'b25f6ae43b2340c99ed87bb875ee798d',
  user: 'fbc4e7b952e24fdaab88622371345fc5',
  memberRole: '1c10ba8f7b444b5fa817dccaa165172a',
  demoNet: '1e61a30a-95d9-4cb9-9f04-c3573dc4fa0a',
  demoNet2: 'fbdbc0ab-134c-4ef7-861d-8e204cbe4b84',
  demoSubnet: '975869e4-ca18-4863-8a39-c06b95a17b82',
  subnetV6: 'af8b3678-2efc-4ebb-b7be-1416b31c961d',
  subnetFromPool: 'b6f600f4-74db-47ad-95e4-81293da78021',
  pool: '76d0c554-a21f-48ab-b197-1e251b52dad9',
  serverPort: '56a8bacf-a9e1-4923-984d-677248bdf95a',
  serverUdPort: '0615c28b-7100-4835-8bc9-f6c9eb0cc14f',
  routerPort: '5e01ab9b-2f5e-458d-b553-0aba0cae771d',
  dhcpPort: '6a69c822-5cbc-4509-ad58-434e78a6ccf9',
  dhcpPortV6: 'deedf981-624c-480f-afbc-a256d7d83328',
  extraPort: 'd34e0985-f14c-44a2-a1e8-9150bb1d4c98',
  router: '83f5d937-e6a2-46a6-baef-fc92712a66f2',
  demoSg: '19877689-6451-401d-877a-d99b1ad14da6',
  defaultSg: '3290463e-10bd-493f-92b8-f238ea50562b',
  remoteGroupRule: '7eedabab-a892-4e96-a93f-2ae60ea5e31b',
  fip: '505c995d-afd9-4afb-bddc-5aefeaeef539',
  publicNet: '5b91e28a-b49d-45aa-911f-e9ac3b5110c2',
  image: '26e15d17-aae9-408e-acb9-9d9a8d844187',
  imageShared: '49961b0e-8ba9-455e-a43b-b8d0c1d2c091',
  volFromImage: 'cae15d5e-50f4-45f9-ac4a-23b06f43cc19',
  volBlank: 'b2459bbb-b099-462c-b3a8-da5f5068563c',
  snapshot: '08ef9a8d-4afa-4f88-bab6-c47034a487a8',
  volumeType: '1878f3fe-cd71-4f64-a449-30fcc8ad3ae8',
  server: '770bda60-81c0-4794-a90d-42ec5e5bbce5',
  serverUd: '0dfcfd16-7d00-41ee-b89d-4cf1cb31505f',
  serverGroup: '2960ab45-3ca5-4d13-a458-fc25123d3fde',
  tinyFlavor: 'bf5d20ee-be27-4109-890b-c28056208e00',
  privateFlavor: 'a4e969a2-9985-4a9d-a582-a6f835f4dad7',
  appCred: 'bb24ef582d84497badea4d59c4e13bb6',
} as const;

export const IMAGE_MD5 = '5fbe3800c02687008f8f30046cb5fddf';

/** The same cloud, another (existing, empty) project `demo-copy`, as the demo user would see it. */
export function sameCloudFacts(overrides: Partial<TargetFacts> = {}): TargetFacts {
  return {
    cloud: 'devcloud-demo',
    region: 'RegionOne',
    authUrl: 'http://127.0.0.1:5000/v3',
    isAdmin: false,
    project: { name: 'demo-copy', id: '7d1c0ffee0a94f4f8d3b5d1e2f3a4b5c', exists: true },
    flavors: [
      { id: IDS.tinyFlavor, name: 'm1.tiny', vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0 },
      { id: '3c6e2f4a-1d2b-4c5e-8f9a-0b1c2d3e4f50', name: 'm1.small', vcpus: 1, ram: 1024, disk: 2, ephemeral: 0, swap: 0 },
      { id: IDS.privateFlavor, name: 'm1.demo-private', vcpus: 1, ram: 256, disk: 1 },
    ],
    networks: [{ id: IDS.publicNet, name: 'public', external: true, shared: true }],
    subnetPools: [],
    volumeTypes: [{ id: IDS.volumeType, name: '__DEFAULT__', isDefault: true }],
    availabilityZones: { compute: ['nova'], volume: ['nova'] },
    images: [{ id: 'c1a2b3c4-0000-4000-8000-000000000001', name: 'cirros-0.6.2', checksum: 'c8fc807773e5354afe61636071771906', status: 'active', visibility: 'public' }],
    users: [{ id: IDS.user, name: 'demo' }],
    roles: [
      { id: IDS.memberRole, name: 'member' },
      { id: '0f9e8d7c6b5a49382716a5b4c3d2e1f0', name: 'reader' },
    ],
    existing: [],
    ...overrides,
  };
}

/** The second cloud (`up.sh --instance two`): other IDs, other names for flavors and the external network. */
export function otherCloudFacts(overrides: Partial<TargetFacts> = {}): TargetFacts {
  return sameCloudFacts({
    cloud: 'devcloud-two-demo',
    authUrl: 'http://127.0.0.1:15000/v3',
    project: { name: 'demo', id: '0a1b2c3d4e5f40718293a4b5c6d7e8f9', exists: true },
    flavors: [
      { id: '11111111-2222-4333-8444-555555555555', name: 'small-1', vcpus: 1, ram: 512, disk: 1, ephemeral: 0, swap: 0 },
      { id: '66666666-7777-4888-9999-aaaaaaaaaaaa', name: 'medium-2', vcpus: 2, ram: 2048, disk: 10, ephemeral: 0, swap: 0 },
    ],
    networks: [{ id: 'e7e7e7e7-0000-4000-8000-0000000000aa', name: 'ext-net', external: true, shared: true }],
    volumeTypes: [{ id: '9a9a9a9a-0000-4000-8000-0000000000bb', name: '__DEFAULT__', isDefault: true }],
    images: [],
    users: [{ id: '2b2b2b2b2b2b4b2b8b2b2b2b2b2b2b2b', name: 'demo' }],
    roles: [{ id: '3c3c3c3c3c3c4c3c8c3c3c3c3c3c3c3c', name: 'member' }],
    ...overrides,
  });
}

/** Every resource of the manifest as already present in the target (nothing was deleted). */
export function everythingExists(manifest: SnapshotManifestInput): TargetFacts['existing'] {
  return manifest.resources.map((r: ResourceRecord) => ({ kind: r.kind, id: r.id, name: r.name, fields: r.fields, refs: r.refs }));
}
