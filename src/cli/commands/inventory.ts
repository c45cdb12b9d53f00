// `permafrost inventory`: lists every resource of a project (or, for an admin, of every
// project) across the service modules, with references and counts per kind.
import { phaseProgress } from '../progress-bar.js';
import { Option, type Command } from 'commander';
import { addCloudOptions, sessionFromOptions, type CloudCommandOptions } from '../../openstack/connect.js';
import { ExitCode, UsageError } from '../../errors.js';
import { selectServiceModules } from '../../../services/registry.js';
import { mapLimit } from '../../../services/common/limit.js';
import { inventoryProject, type ProjectInventory } from '../../inventory/run-inventory.js';
import { listAllProjects, resolveProject, type ProjectTarget } from '../../inventory/resolve-project.js';
import { renderInventory } from '../../inventory/render-text.js';

interface InventoryOptions extends CloudCommandOptions {
  project?: string;
  allProjects?: boolean;
  services?: string;
  json?: boolean;
  pageSize?: number;
}

export function register(program: Command): void {
  const cmd = program
    .command('inventory')
    .description("list every resource of a project across identity, compute, volumes, images, networks and objects, with the resources each refers to and a count per kind")
    .addOption(new Option('--project <name|id>', "project to list (default: the cloud's project); another project needs a role on it or the admin role"))
    .addOption(new Option('--all-projects', 'list every project of the cloud (admin)').conflicts('project'))
    .addOption(new Option('--services <list>', 'comma-separated service modules to list (default: all): identity,compute,volumes,images,networks,objects'))
    .addOption(new Option('--json', 'print one JSON document instead of tables'))
    .addOption(new Option('--page-size <n>', 'items per page on list calls (default: the services\' own)').argParser(positiveInt));
  addCloudOptions(cmd).action(async (_opts: InventoryOptions, command: Command) => {
    const opts = command.optsWithGlobals<InventoryOptions>();
    process.exitCode = await runInventoryCommand(opts);
  });
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--page-size must be a positive integer, got "${value}"`);
  return n;
}

async function runInventoryCommand(opts: InventoryOptions): Promise<number> {
  const names = opts.services?.split(',').map((s) => s.trim()).filter(Boolean);
  const modules = await selectServiceModules(names);
  const session = await sessionFromOptions(opts);
  const runOpts = { pageSize: opts.pageSize };
  try {
    let inventories: ProjectInventory[];
    if (opts.allProjects) {
      const projects = await listAllProjects(session);
      const progress = phaseProgress('inventory', opts);
      let done = 0;
      // Projects one or two at a time: each one already runs several services in parallel.
      inventories = await mapLimit(projects, 2, async (p) => {
        const target = await resolveProject(session, p.id);
        try {
          return await inventoryProject(target, modules, runOpts);
        } finally {
          await closeTarget(target);
          progress.update(`projects (${p.name})`, ++done, projects.length);
        }
      }).finally(() => progress.stop());
    } else {
      const target = await resolveProject(session, opts.project);
      try {
        inventories = [await inventoryProject(target, modules, runOpts)];
      } finally {
        await closeTarget(target);
      }
    }
    if (opts.json) {
      const doc = opts.allProjects ? { projects: inventories } : inventories[0];
      process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    } else {
      process.stdout.write(inventories.map(renderInventory).join('\n'));
    }
    const failed = inventories.some((i) => i.failed.length > 0);
    if (failed) process.stderr.write('permafrost: some kinds could not be listed (see "failed"); the inventory is partial\n');
    return failed ? ExitCode.partial : ExitCode.ok;
  } finally {
    await session.close();
  }
}

async function closeTarget(target: ProjectTarget): Promise<void> {
  if (target.ownsSession) await target.session.close();
}
