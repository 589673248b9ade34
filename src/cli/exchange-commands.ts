/** `tongban exchange …`: ask a partner for data under an agreement, from the node's own machine. */
import { Option, type Command } from 'commander';
import { InputError, NotAllowedError, NotFoundError } from '../core/errors.ts';
import { can } from '../identity/index.ts';
import { toExchangeRequest, presentOutcome } from '../exchange/http/routes.ts';
import { configOption, dirOption, jsonOption, type NodeDirOptions } from './main.ts';
import { withNode } from './node-commands.ts';
import { table, type Output } from './output.ts';

interface RequestOptions extends NodeDirOptions {
  to: string;
  agreement: string;
  item: string;
  purpose: string;
  dataset: string;
  key: string[];
  fields?: string;
  predicate?: string;
  case?: string;
  operator: string;
  radial?: boolean;
  async?: boolean;
}

function parseKey(pairs: readonly string[]): Record<string, string> {
  const key: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new InputError(`--key takes field=value, not '${pair}'.`, { path: 'key' });
    key[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return key;
}

export function registerExchangeCommands(program: Command, output: Output): void {
  const exchange = program.command('exchange').description('ask partner nodes for data under an agreement');

  for (const op of ['query', 'verify'] as const) {
    exchange
      .command(op)
      .description(op === 'query' ? 'ask a partner for fields of the records with a key' : 'ask a partner a yes/no question about a record')
      .requiredOption('--to <code>', 'the partner node')
      .requiredOption('--agreement <id@version>', 'the agreement the request is made under')
      .requiredOption('--item <item>', 'the service item (事项)')
      .requiredOption('--purpose <purpose>', 'the purpose')
      .requiredOption('--dataset <id>', 'the partner dataset, e.g. 520400/social-insurance-enrolment')
      .addOption(new Option('--key <field=value...>', 'the key of the record(s)').makeOptionMandatory())
      .option(op === 'query' ? '--fields <a,b,c>' : '--predicate <field=value>', op === 'query' ? 'fields to return' : 'the field and value to check (default: does a record exist?)')
      .option('--case <id>', 'the case (办件) this request serves')
      .requiredOption('--operator <username>', 'the staff member making the request (needs the exchange.request permission)')
      .option('--radial', 'go through the hub, with the body sealed for the partner')
      .option('--async', 'queue in the outbox and deliver with retries')
      .addOption(dirOption())
      .addOption(configOption())
      .addOption(jsonOption())
      .action(async (options: RequestOptions) => {
        await withNode(options, async (node) => {
          const account = await node.identity.findByUsername(options.operator);
          if (!account) throw new NotFoundError(`No account named '${options.operator}'.`, { username: options.operator });
          if (account.status !== 'active' || !can(account, 'exchange.request')) {
            throw new NotAllowedError(`${options.operator} may not make exchange requests.`, { username: options.operator });
          }
          const predicate = options.predicate ? parseKey([options.predicate]) : undefined;
          const request = toExchangeRequest(
            {
              to: options.to,
              op,
              agreement: options.agreement,
              item: options.item,
              purpose: options.purpose,
              dataset: options.dataset,
              key: parseKey(options.key),
              ...(options.fields ? { fields: options.fields.split(',').map((field) => field.trim()) } : {}),
              ...(predicate ? { predicate: { field: Object.keys(predicate)[0]!, equals: Object.values(predicate)[0]! } } : {}),
              ...(options.case ? { case: options.case } : {}),
              route: options.radial ? 'radial' : 'bridge',
            },
            `staff:${account.id}`,
          );
          if (options.async) {
            const queued = await node.exchange.enqueue(request);
            output.result(options, queued, () => `Queued ${queued.id} for ${queued.to}; the outbox delivers it with retries.`);
            return;
          }
          const outcome = presentOutcome(await node.exchange.request(request));
          output.result(options, outcome, () =>
            [
              `${outcome.status === 'ok' ? 'Answered' : 'Denied'} by ${options.to} under ${outcome.decision.agreement}, clause ${outcome.decision.clause}`,
              outcome.records
                ? outcome.records.length === 0
                  ? '(no records)'
                  : table(Object.keys(outcome.records[0]!), outcome.records.map((record) => Object.values(record).map((value) => String(value ?? ''))))
                : `result: ${String(outcome.result)}`,
            ].join('\n'),
          );
        });
      });
  }

  exchange
    .command('outbox')
    .description('requests queued for delivery, newest first')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      await withNode(options, async (node) => {
        const requests = await node.exchange.listOutbound();
        output.result(options, { requests }, () =>
          table(['id', 'to', 'op', 'status', 'attempts', 'next attempt', 'last error'], requests.map((r) => [r.id, r.to, r.op, r.status, String(r.attempts), r.nextAttemptAt, r.lastError ?? ''])),
        );
      });
    });
}
