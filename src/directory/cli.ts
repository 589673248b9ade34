/** `tongban join` and `tongban directory …`: joining a hub, and administering or inspecting the directory. */
import { Option, type Command } from 'commander';
import { configOption, dirOption, jsonOption, type NodeDirOptions } from '../cli/main.ts';
import { withNode } from '../cli/node-commands.ts';
import { table, type Output } from '../cli/output.ts';
import { NotFoundError } from '../core/errors.ts';
import { systemActor } from '../identity/index.ts';
import type { DirectoryMember } from './domain/directory-member.ts';
import type { DirectoryStatus } from './domain/directory-status.ts';
import type { SyncStep } from './member-sync.ts';


function statusText(status: DirectoryStatus): string {
  const lines = [
    `state:      ${status.state}`,
    `hub:        ${status.hub ?? '-'}`,
    `version:    ${status.version ?? '-'}`,
    `fetched at: ${status.fetchedAt ?? '-'}`,
    `expires at: ${status.expiresAt ?? '-'}`,
  ];
  if (status.warning) lines.push('', `warning: ${status.warning}`);
  return lines.join('\n');
}

/** A member's open integrity alerts in a table cell: the directory's summary on members, the registry's count on the hub. */
function alertsCell(member: DirectoryMember & { readonly integrityAlerts?: number }): string {
  if (member.integrity) return `${member.integrity.alerts} (${member.integrity.kinds.join(', ')}; by ${member.integrity.witnesses.join(' ')})`;
  return member.integrityAlerts ? String(member.integrityAlerts) : '';
}

function membersTable(members: readonly (DirectoryMember & { readonly integrityAlerts?: number })[]): string {
  return table(
    ['code', 'name', 'level', 'role', 'status', 'integrity alerts', 'endpoint', 'current keys'],
    members.map((member) => [
      member.code,
      member.name,
      member.level,
      member.role,
      member.status,
      alertsCell(member),
      member.endpoint,
      member.keys.filter((key) => key.validUntil === null).map((key) => key.kid).join(' '),
    ]),
  );
}

function stepsText(steps: readonly SyncStep[]): string {
  return steps
    .map((step) => `  ${step.id}: ${step.status}${step.version !== undefined ? ` (version ${step.version})` : ''}${step.error ? ` — [${step.error.code}] ${step.error.message}` : ''}`)
    .join('\n');
}

const reasonOption = (): Option => new Option('--reason <text>', 'why (the member\'s operators will read it)').makeOptionMandatory();

/** Registers `tongban join` and the `tongban directory` commands. */
export function registerDirectoryCommands(program: Command, output: Output): void {
  program
    .command('join')
    .description("apply to a federation hub: pin the hub's anchor key and send a signed membership application")
    .requiredOption('--hub <url>', "the hub's base URL, e.g. https://hub.example.gov.cn")
    .option('--endpoint <url>', "the URL partners use to reach this node (default: http.publicUrl)")
    .option('--anchor-fingerprint <hex>', "the SHA-256 fingerprint of the hub's anchor key, as its operator gave it; refuse to join on a mismatch")
    .option('--parent <code>', 'the parent division (default: implied by the GB/T 2260 code)')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions & { hub: string; endpoint?: string; anchorFingerprint?: string; parent?: string }) => {
      const result = await withNode(options, (node) =>
        node.directory.join(systemActor, {
          hub: options.hub,
          ...(options.endpoint ? { endpoint: options.endpoint } : {}),
          ...(options.anchorFingerprint ? { anchorFingerprint: options.anchorFingerprint } : {}),
          ...(options.parent ? { parent: options.parent } : {}),
        }),
      );
      output.result(options, result, () =>
        [
          `Applied to hub ${result.hub.code} ${result.hub.name} at ${result.hub.url} (application ${result.application.id}, ${result.application.status}).`,
          '',
          "Pinned the hub's anchor key:",
          ...result.anchor.map((key) => `  ${key.kid}\n  SHA-256 fingerprint: ${key.fingerprint}`),
          result.fingerprintConfirmed
            ? '  (matches the fingerprint you gave)'
            : "  Compare this fingerprint with the hub's operator (tongban directory anchor, on the hub) by a channel you trust.",
          '',
          `This node's endpoint: ${result.endpoint}`,
          'First sync:',
          stepsText(result.sync),
          '',
          'The hub administrator must now approve the application (tongban directory approve CODE).',
        ].join('\n'),
      );
    });

  const directory = program.command('directory').description('the federation directory: status, members, sync; on the hub, applications and suspensions');

  directory
    .command('status')
    .description("how fresh this node's copy of the directory is")
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      const status = await withNode(options, async (node) => node.directory.status());
      output.result(options, status, () => statusText(status));
    });

  directory
    .command('members')
    .description("list the federation's members from this node's copy (on the hub: the registry, with suspension reasons)")
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      const result = await withNode(options, async (node) =>
        node.info.role === 'hub'
          ? { status: node.directory.status(), members: await node.directory.registry.members() }
          : { status: node.directory.status(), members: [...node.directory.members()] },
      );
      output.result(options, result, () =>
        [membersTable(result.members), ...(result.status.warning ? ['', `warning: ${result.status.warning}`] : [])].join('\n'),
      );
    });

  directory
    .command('sync')
    .description('fetch the directory from the hub now and send pending key updates (on the hub: re-publish if due)')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      const result = await withNode(options, (node) => node.directory.sync(systemActor));
      output.result(options, result, () => [stepsText(result.results), '', statusText(result.status)].join('\n'));
    });

  directory
    .command('anchor')
    .description("(hub) print the hub's anchor keys and fingerprints, to give joining nodes out of band")
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      const anchor = await withNode(options, (node) => node.directory.registry.anchor());
      output.result(options, anchor, () =>
        [`Hub ${anchor.code} ${anchor.name}`, ...anchor.keys.map((key) => `  ${key.kid}  SHA-256 fingerprint: ${key.fingerprint}`)].join('\n'),
      );
    });

  directory
    .command('applications')
    .description('(hub) list membership applications')
    .addOption(new Option('--status <status>', 'only applications in this state').choices(['pending', 'approved', 'rejected']))
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions & { status?: 'pending' | 'approved' | 'rejected' }) => {
      const applications = await withNode(options, (node) => node.directory.registry.applications(options.status));
      output.result(options, { applications }, () =>
        table(
          ['code', 'name', 'level', 'status', 'endpoint', 'received', 'decided by', 'reason'],
          applications.map((a) => [a.code, a.name, a.level, a.status, a.endpoint, a.receivedAt, a.decidedBy ?? '', a.reason ?? '']),
        ),
      );
    });

  directory
    .command('approve')
    .description("(hub) admit the node whose application is pending, and publish the directory")
    .argument('<code>', "the applicant's node code")
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (code: string, options: NodeDirOptions) => {
      const member = await withNode(options, (node) => node.directory.registry.approve(systemActor, code));
      output.result(options, member, () => `Admitted ${member.code} ${member.name} (${member.endpoint}); the directory was published.`);
    });

  directory
    .command('reject')
    .description('(hub) turn down a pending application')
    .argument('<code>', "the applicant's node code")
    .addOption(reasonOption())
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (code: string, options: NodeDirOptions & { reason: string }) => {
      const application = await withNode(options, (node) => node.directory.registry.reject(systemActor, code, options.reason));
      output.result(options, application, () => `Rejected the application from ${application.code} ${application.name}: ${application.reason ?? ''}`);
    });

  directory
    .command('suspend')
    .description('(hub) suspend a member: every node refuses it after its next sync')
    .argument('<code>', "the member's node code")
    .addOption(reasonOption())
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (code: string, options: NodeDirOptions & { reason: string }) => {
      const member = await withNode(options, (node) => node.directory.registry.suspend(systemActor, code, options.reason));
      output.result(options, member, () => `Suspended ${member.code} ${member.name}; the directory was published.`);
    });

  directory
    .command('acknowledge-alerts')
    .description("(hub) acknowledge a member's open integrity alerts (or one, with --id): the next directory version no longer flags it")
    .argument('<code>', "the member's node code")
    .option('--id <id>', 'acknowledge only this alert (its id at the hub)')
    .addOption(reasonOption())
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (code: string, options: NodeDirOptions & { reason: string; id?: string }) => {
      const alerts = await withNode(options, async (node) => {
        if (options.id === undefined) return node.directory.registry.acknowledgeIntegrityAlerts(systemActor, { node: code }, options.reason);
        // The code guards against acknowledging an alert about another member by a mistyped id.
        if (!(await node.directory.registry.integrityAlerts(code)).some((candidate) => candidate.id === options.id)) {
          throw new NotFoundError(`No integrity alert ${options.id} is about ${code}; list them with GET /api/v1/directory/integrity-alerts?node=${code}.`, { id: options.id, node: code }, 'integrity_alert_unknown');
        }
        return node.directory.registry.acknowledgeIntegrityAlerts(systemActor, { id: options.id }, options.reason);
      });
      output.result(options, { acknowledged: alerts }, () => `Acknowledged ${alerts.length} integrity alert(s) about ${code}; the directory was published.`);
    });

  directory
    .command('reinstate')
    .description('(hub) lift a suspension')
    .argument('<code>', "the member's node code")
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (code: string, options: NodeDirOptions) => {
      const member = await withNode(options, (node) => node.directory.registry.reinstate(systemActor, code));
      output.result(options, member, () => `Reinstated ${member.code} ${member.name}; the directory was published.`);
    });
}
