// The per-service summary of a backup: resources by status, data bytes, and every failure
// with its cause — printed at the end of a run and included in the JSON report.
import type { ServiceModule } from '../../services/module.js';
import type { BackupManifest } from './manifest.js';

export interface ServiceSummary {
  service: string;
  status: string;
  ok: number;
  skipped: number;
  failed: number;
  dataStreams: number;
  dataBytes: number;
}

export interface FailureLine {
  kind: string;
  id: string;
  name: string;
  reason: string;
}

export function summarise(manifest: BackupManifest, modules: Pick<ServiceModule, 'name' | 'kinds'>[]): { services: ServiceSummary[]; failures: FailureLine[] } {
  const services = manifest.services.map((svc) => {
    const kinds = modules.find((m) => m.name === svc.name)?.kinds ?? [];
    const records = manifest.resources.filter((r) => (kinds as string[]).includes(r.kind));
    const streams = records.flatMap((r) => r.data ?? []);
    return {
      service: svc.name,
      status: svc.status,
      ok: records.filter((r) => r.status === 'ok').length,
      skipped: records.filter((r) => r.status === 'skipped').length,
      failed: records.filter((r) => r.status === 'failed').length,
      dataStreams: streams.length,
      dataBytes: streams.reduce((a, s) => a + s.size, 0),
    };
  });
  const failures: FailureLine[] = [
    ...manifest.resources.filter((r) => r.status === 'failed').map((r) => ({ kind: r.kind, id: r.id, name: r.name, reason: r.reason ?? 'unknown' })),
    ...manifest.failedKinds.map((k) => ({ kind: k.kind, id: '*', name: `(all ${k.kind})`, reason: k.reason })),
    ...manifest.services.filter((s) => s.status === 'failed').map((s) => ({ kind: 'service', id: s.name, name: s.name, reason: s.reason ?? 'unknown' })),
  ];
  return { services, failures };
}
