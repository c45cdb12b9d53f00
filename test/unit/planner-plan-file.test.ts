// The plan file: JSON round trip, validation a person can act on, re-check against fresh facts,
// and the text rendering.
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { buildPlan, parseMapArgs, parsePlan, PlanFileError, preflight, renderPlan, serializePlan, type Plan } from '../../restore-plans/index.js';
import { IDS, loadDemoManifest, otherCloudFacts, sameCloudFacts } from './planner-fixtures/demo-facts.js';

function demoPlan(): Plan {
  return buildPlan(loadDemoManifest(), sameCloudFacts(), { createdAt: '2026-11-21T23:00:00Z' });
}

function problemsOf(text: string): string[] {
  try {
    parsePlan(text, 'plan.json');
  } catch (err) {
    expect(err).toBeInstanceOf(PlanFileError);
    expect((err as PlanFileError).exitCode).toBe(ExitCode.config);
    return (err as PlanFileError).problems;
  }
  throw new Error('the plan was accepted');
}

function edited(mutate: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(serializePlan(demoPlan())) as Record<string, any>;
  mutate(doc);
  return JSON.stringify(doc);
}

describe('plan file', () => {
  it('round-trips through JSON unchanged, with format and version at the top', () => {
    const plan = demoPlan();
    const text = serializePlan(plan);
    expect(text.startsWith('{\n  "format": "permafrost-restore-plan",\n  "version": 1,')).toBe(true);
    expect(parsePlan(text)).toEqual(plan);
  });

  it('names the bad field of a hand edit', () => {
    const stepId = `server:${IDS.server}`;
    expect(problemsOf(edited((d) => (d.steps[stepId].action = 'recreate'))).join('\n')).toMatch(/^steps\["server:770bda60-[^"]+"\]\.action: /m);
    expect(problemsOf(edited((d) => (d.steps[stepId].colour = 'red'))).join('\n')).toContain(`steps["${stepId}"]`);
    expect(problemsOf(edited((d) => (d.waves[0] = 'project')))[0]).toMatch(/^waves\[0\]: /);
    expect(problemsOf(edited((d) => (d.mode = 'sideways')))[0]).toMatch(/^mode: /);
  });

  it('checks the plan is consistent: steps in waves, dependencies present and earlier, mappings present', () => {
    const server = `server:${IDS.server}`;
    const port = `port:${IDS.serverPort}`;
    expect(
      problemsOf(
        edited((d) => {
          delete d.steps[port];
          d.waves = d.waves.map((w: string[]) => w.filter((id) => id !== port));
        }),
      ),
    ).toEqual(expect.arrayContaining([`steps["${server}"].dependsOn: "${port}" is not a step of this plan`]));
    expect(
      problemsOf(
        edited((d) => {
          // move the server into the first wave, before everything it needs
          d.waves = d.waves.map((w: string[]) => w.filter((id) => id !== server));
          d.waves[0].push(server);
        }),
      ).some((p) => p.includes(`steps["${server}"].dependsOn`) && p.includes('not before this step')),
    ).toBe(true);
    expect(problemsOf(edited((d) => d.waves.push([server])))[0]).toContain('is already in waves');
    expect(problemsOf(edited((d) => delete d.mappings.flavor['m1.tiny']))).toEqual(
      expect.arrayContaining([expect.stringContaining('mappings.flavor has no entry "m1.tiny"')]),
    );
    expect(problemsOf(edited((d) => (d.steps[server].action = 'update')))).toEqual(
      expect.arrayContaining([expect.stringContaining('needs a strategy'), expect.stringContaining('needs the ID of the existing target resource')]),
    );
  });

  it('refuses other formats and newer versions, and text that is not JSON', () => {
    expect(problemsOf('{"format": "something-else"}')[0]).toContain('format');
    expect(problemsOf(edited((d) => (d.version = 2)))[0]).toContain('newer permafrost');
    expect(problemsOf('{ not json')[0]).toContain('not JSON');
  });

  it('accepts a person’s edit (skip a step) and recomputes the totals', () => {
    const plan = demoPlan();
    const text = edited((d) => {
      d.steps[`server:${IDS.serverUd}`].action = 'skip';
      d.totals.steps = 9999;
    });
    const parsed = parsePlan(text);
    expect(parsed.totals.steps).toBe(plan.totals.steps);
    expect(parsed.totals.actions.skip).toBe(plan.totals.actions.skip + 1);
    expect(parsed.totals.bytesToTransfer).toBe(plan.totals.bytesToTransfer - 2 ** 30);
  });

  it('re-checks an edited mapping against fresh target facts before apply', () => {
    const facts = otherCloudFacts({ isAdmin: true });
    const plan = buildPlan(loadDemoManifest(), facts, { mappings: parseMapArgs(['network:public=ext-net']) });
    expect(preflight(plan, facts).ok).toBe(true);
    const doc = JSON.parse(serializePlan(plan)) as Record<string, any>;
    doc.mappings.flavor['m1.tiny'] = { to: 'medium-2', by: 'explicit' };
    doc.mappings.network.public.toId = 'gone-network-id';
    const result = preflight(parsePlan(JSON.stringify(doc)), facts);
    expect(result.ok).toBe(false);
    expect(result.errors.map((e) => e.code)).toEqual(['mapping-target-gone']);
    doc.mappings.flavor['m1.tiny'] = { to: 'nonexistent', by: 'explicit' };
    expect(preflight(parsePlan(JSON.stringify(doc)), facts).errors.map((e) => e.code)).toEqual(expect.arrayContaining(['mapping-target-missing', 'mapping-target-gone']));
    doc.mappings.flavor['m1.tiny'] = { to: null, by: 'unresolved' };
    expect(preflight(parsePlan(JSON.stringify(doc))).errors.map((e) => e.code)).toContain('unresolved-mapping');
  });
});

describe('renderPlan', () => {
  it('prints waves, actions, data, mappings, warnings, totals and the preflight verdict', () => {
    const text = renderPlan(demoPlan());
    expect(text).toContain('into  devcloud-demo/RegionOne, project demo-copy');
    expect(text).toMatch(/Wave 1 \(identity\)/);
    expect(text).toMatch(/Wave \d+ \(objects\)/);
    expect(text).toMatch(/create +image +demo-image +48\.0 MiB/);
    expect(text).toMatch(/map +flavor +m1\.tiny → m1\.tiny/);
    expect(text).toMatch(/skip +port +6a69c822/);
    expect(text).toContain('[floating-ip-associate]');
    expect(text).toContain('! the secret of application credential demo-appcred is not in the backup');
    expect(text).toMatch(/Totals: \d+ steps: \d+ create, 2 reuse, 2 skip, 0 update, \d+ map; data to upload 4\.1 GiB/);
    expect(text).toContain('Preflight: OK');
    expect(text).toContain('object               demo-container/blob.bin  3.0 MiB');
  });

  it('lists preflight problems with their hints', () => {
    const plan = buildPlan(loadDemoManifest(), otherCloudFacts({ flavors: [] }), {});
    const text = renderPlan(plan);
    expect(text).toContain('Preflight: FAILED');
    expect(text).toContain('flavor m1.tiny (1 vCPU, 512 MiB RAM, 1 GB disk) has no match in the target');
    expect(text).toContain('→ add --map flavor:m1.tiny=<target flavor>');
    expect(text).toContain('flavor             m1.tiny → UNRESOLVED');
  });
});
