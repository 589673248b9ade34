/** `tongban agreement …`: agreements, managed by the operator on the node's own machine. */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Option, type Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { InputError, NotFoundError } from '../core/errors.ts';
import { configOption, dirOption, jsonOption, type NodeDirOptions } from '../cli/main.ts';
import { withNode } from '../cli/node-commands.ts';
import { table, type Output } from '../cli/output.ts';
import { systemActor } from '../identity/index.ts';
import type { ActionResult, AgreementDetail, AgreementService, AgreementSummary, Explanation } from './agreement-service.ts';
import type { DeliveryResult } from './federation-deliveries.ts';
import { agreementJsonSchema } from './domain/agreement-schema.ts';

async function withAgreements<T>(options: NodeDirOptions, work: (agreements: AgreementService) => Promise<T>): Promise<T> {
  return withNode(options, (node) => work(node.agreements));
}

function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new NotFoundError(`Cannot read ${file}: ${(error as Error).message}`, { file });
  }
}

function parseVersion(value: string): number {
  const version = Number(value);
  if (!Number.isInteger(version) || version < 1) throw new InputError(`--version must be a whole number from 1, not '${value}'.`, { path: 'version' });
  return version;
}

const versionOption = () => new Option('--version <n>', 'which version (default: the one the command applies to)').argParser(parseVersion);

function deliveryLines(deliveries: readonly DeliveryResult[]): string[] {
  return deliveries.map(
    (delivery) =>
      `  ${delivery.kind} → ${delivery.to}: ${delivery.status}${delivery.error ? ` (${delivery.error}${delivery.status === 'pending' ? '; retried in the background by the running node' : ''})` : ''}`,
  );
}

function summaryLine(agreement: AgreementSummary): string {
  return `${agreement.id} version ${agreement.version} is ${agreement.state} (signed by ${agreement.signedBy.join(', ') || 'nobody yet'})`;
}

function actionText(verb: string, result: ActionResult): string {
  return [`${verb}: ${summaryLine(result.agreement)}`, ...deliveryLines(result.deliveries)].join('\n');
}

function detailText(detail: AgreementDetail): string {
  const parties = detail.parties.map((party) => `${party.node} (${party.role})`).join(', ');
  return [
    `${detail.id} version ${detail.version}: ${detail.title}`,
    `  state:     ${detail.state}${detail.supersededBy !== null ? ` (by version ${detail.supersededBy})` : ''}`,
    `  parties:   ${parties}`,
    `  validity:  ${detail.validity.from} – ${detail.validity.to}`,
    `  hash:      ${detail.hashAlg} ${detail.hash}`,
    `  versions:  ${detail.versions.map((v) => `${v.version} ${v.state}`).join(', ')}`,
    '',
    'Signatures:',
    detail.signatures.length === 0
      ? '  none yet'
      : table(['party', 'kid', 'signed at'], detail.signatures.map((s) => [s.party, s.kid, s.signedAt])),
    '',
    'History:',
    table(['at', 'from', 'to', 'by', 'reason'], detail.transitions.map((t) => [t.at, t.from ?? '', t.to, t.actor, t.reason ?? ''])),
    ...(detail.approvals.length > 0
      ? ['', 'Standing approvals:', table(['dataset', 'requester', 'items', 'purposes', 'valid until'], detail.approvals.map((a) => [a.dataset, a.requester, a.items?.join(',') ?? '(all)', a.purposes?.join(',') ?? '(all)', a.validTo]))]
      : []),
    ...(detail.deliveries.length > 0
      ? ['', 'Messages to partners:', table(['kind', 'to', 'status', 'attempts', 'last error'], detail.deliveries.map((d) => [d.kind, d.to, d.status, String(d.attempts), d.lastError ?? '']))]
      : []),
  ].join('\n');
}

function explanationText(explanation: Explanation): string {
  const { request, decision } = explanation;
  return [
    explanation.sentence,
    '',
    `  request:  ${request.requester} → ${request.provider}, ${request.operation} ${request.dataset} [${request.fields.join(', ')}]`,
    `            item "${request.item}", purpose "${request.purpose}", at ${request.at}`,
    `  clause:   ${decision.clause || '(the agreement as a whole)'}`,
    ...(decision.allow ? [`  fields:   ${decision.fields.join(', ') || '(none)'}`, ...Object.entries(decision.masks).map(([field, rule]) => `  mask:     ${field}: ${rule}`)] : []),
    ...(explanation.clauseText !== undefined ? ['', 'Clause text:', ...explanation.clauseText.split('\n').map((line) => `  ${line}`)] : []),
  ].join('\n');
}

/** Adds `tongban agreement …` to the command tree. */
export function registerAgreementCommands(program: Command, output: Output): void {
  const agreement = program.command('agreement').description('draft, propose, sign and activate agreements; explain decisions');

  const nodeCommand = (name: string, description: string) =>
    agreement.command(name).description(description).addOption(dirOption()).addOption(configOption()).addOption(jsonOption());

  nodeCommand('import', 'store an agreement from a YAML or JSON file as a draft (a new version if the id exists)')
    .argument('<file>', 'the agreement document (- for standard input)')
    .addOption(new Option('--format <format>', 'the file format (default: from the file name)').choices(['yaml', 'json']))
    .action(async (file: string, options: NodeDirOptions & { format?: 'yaml' | 'json' }) => {
      const format = options.format ?? (extname(file).toLowerCase() === '.json' ? 'json' : 'yaml');
      const text = readText(file);
      const result = await withAgreements(options, (agreements) => agreements.importDocument(systemActor, { text, format, source: file }));
      output.result(options, result, () =>
        [
          `${result.created ? 'Imported' : 'Replaced the draft'}: ${summaryLine(result.agreement)}`,
          ...(result.renumberedFrom !== undefined
            ? [`  The file says version ${result.renumberedFrom}, which is already taken; the draft is version ${result.agreement.version}.`]
            : []),
          `  hash: ${result.agreement.hashAlg} ${result.agreement.hash}`,
          `Next: tongban agreement propose ${result.agreement.id}`,
        ].join('\n'),
      );
    });

  nodeCommand('list', 'list every agreement version held here').action(async (options: NodeDirOptions) => {
    const list = await withAgreements(options, (agreements) => agreements.list());
    output.result(options, { agreements: list }, () =>
      list.length === 0
        ? 'No agreements yet. Import one with: tongban agreement import FILE'
        : table(
            ['id', 'version', 'state', 'parties', 'validity', 'signed by', 'title'],
            list.map((a) => [a.id, String(a.version), a.state, a.parties.map((p) => p.node).join(','), `${a.validity.from}–${a.validity.to}`, a.signedBy.join(','), a.title]),
          ),
    );
  });

  nodeCommand('show', 'show one version: document, signatures, history, approvals, deliveries')
    .argument('<id>', 'the agreement id')
    .addOption(versionOption())
    .option('--document', 'print the document itself (as YAML; JSON with --json)')
    .action(async (id: string, options: NodeDirOptions & { version?: number; document?: boolean }) => {
      const detail = await withAgreements(options, (agreements) => agreements.get(id, options.version));
      if (options.document) {
        output.result(options, detail.document, () => JSON.stringify(detail.document, null, 2));
        return;
      }
      output.result(options, detail, () => detailText(detail));
    });

  const lifecycle: ReadonlyArray<{ name: string; description: string; verb: string; reason?: boolean; run: (agreements: AgreementService, id: string, options: { version?: number; reason?: string }) => Promise<ActionResult> }> = [
    { name: 'propose', description: 'send a draft to every other party, signed by this node', verb: 'Proposed', run: (a, id, o) => a.propose(systemActor, id, o.version) },
    { name: 'sign', description: "sign a proposed version with this node's key and send the signature to every party", verb: 'Signed', run: (a, id, o) => a.sign(systemActor, id, o.version) },
    { name: 'activate', description: 'activate a version every party has signed', verb: 'Activated', run: (a, id, o) => a.activate(systemActor, id, o.version) },
    { name: 'suspend', description: 'suspend the active version', verb: 'Suspended', reason: true, run: (a, id, o) => a.suspend(systemActor, id, o) },
    { name: 'reinstate', description: 'make a suspended version active again', verb: 'Reinstated', run: (a, id, o) => a.reinstate(systemActor, id, o) },
    { name: 'terminate', description: 'end a version for good', verb: 'Terminated', reason: true, run: (a, id, o) => a.terminate(systemActor, id, o) },
  ];
  for (const command of lifecycle) {
    const sub = nodeCommand(command.name, command.description).argument('<id>', 'the agreement id').addOption(versionOption());
    if (command.reason) sub.option('--reason <text>', 'why, for the record and the other parties');
    sub.action(async (id: string, options: NodeDirOptions & { version?: number; reason?: string }) => {
      const result = await withAgreements(options, (agreements) => command.run(agreements, id, options));
      output.result(options, result, () => actionText(command.verb, result));
    });
  }

  nodeCommand('approve', 'issue a standing approval for a conditional dataset this node provides')
    .argument('<id>', 'the agreement id')
    .requiredOption('--dataset <dataset>', 'the dataset, <node>/<slug>')
    .requiredOption('--requester <node>', 'the node the approval is for')
    .requiredOption('--until <date>', 'last day covered (YYYY-MM-DD, Beijing time) or an ISO timestamp')
    .option('--from <date>', 'first moment covered (default: now)')
    .option('--item <code...>', 'limit to these items (default: every item the grant covers)')
    .option('--purpose <purpose...>', 'limit to these purposes (default: every purpose the grant covers)')
    .addOption(versionOption())
    .action(
      async (
        id: string,
        options: NodeDirOptions & { dataset: string; requester: string; until: string; from?: string; item?: string[]; purpose?: string[]; version?: number },
      ) => {
        const result = await withAgreements(options, (agreements) =>
          agreements.approve(systemActor, id, {
            dataset: options.dataset,
            requester: options.requester,
            validTo: options.until,
            ...(options.version !== undefined ? { version: options.version } : {}),
            ...(options.from ? { validFrom: options.from } : {}),
            ...(options.item ? { items: options.item } : {}),
            ...(options.purpose ? { purposes: options.purpose } : {}),
          }),
        );
        output.result(options, result, () =>
          [
            `Approved ${result.approval.requester} on ${result.approval.dataset} from ${result.approval.validFrom} until ${result.approval.validTo}` +
              ` (items: ${result.approval.items?.join(', ') ?? 'all granted'}; purposes: ${result.approval.purposes?.join(', ') ?? 'all granted'})`,
            ...deliveryLines(result.deliveries),
          ].join('\n'),
        );
      },
    );

  nodeCommand('explain', 'decide a hypothetical request and explain the decision with its clause')
    .requiredOption('--request <file>', 'the request as YAML or JSON (- for standard input)')
    .action(async (options: NodeDirOptions & { request: string }) => {
      let request: unknown;
      try {
        request = parseYaml(readText(options.request));
      } catch (error) {
        if (error instanceof NotFoundError) throw error;
        throw new InputError(`${options.request} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}`, { path: options.request });
      }
      const explanation = await withAgreements(options, (agreements) => agreements.explain(systemActor, request));
      output.result(options, explanation, () => explanationText(explanation));
    });

  agreement
    .command('schema')
    .description('print the JSON Schema of the agreement document')
    .action(() => {
      output.out(JSON.stringify(agreementJsonSchema(), null, 2));
    });
}
