/** `tongban audit …`: verify the node's log, sign checkpoints, print proofs, export and check bundles. */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InputError, TongbanError } from '../core/errors.ts';
import { configOption, dirOption, jsonOption, type NodeDirOptions } from '../cli/main.ts';
import { withNode } from '../cli/node-commands.ts';
import type { Output } from '../cli/output.ts';
import { checkBundle } from './domain/bundle.ts';

function parseCount(name: string) {
  return (value: string): number => {
    if (!/^(0|[1-9][0-9]{0,15})$/.test(value)) throw new InputError(`${name} must be a whole number ≥ 0, not '${value}'.`, { path: name });
    return Number(value);
  };
}

/** Registers `tongban audit`. */
export function registerAuditCommands(program: Command, output: Output): void {
  const audit = program.command('audit').description("check and prove the node's tamper-evident log");

  audit
    .command('verify')
    .description('recompute every leaf hash, the stored tree and every checkpoint; report each disagreement')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      await withNode(options, async (node) => {
        const report = await node.audit.verify();
        output.result(options, report, () =>
          [
            report.ok ? 'The log is intact.' : `The log does NOT verify: ${report.problems.length} problem(s).`,
            `  entries:     ${report.entries} (head says ${report.size})`,
            `  checkpoints: ${report.checkpoints}`,
            `  root:        ${report.root}`,
            ...report.problems.map((problem) => `  [${problem.kind}] ${problem.message}`),
          ].join('\n'),
        );
        if (!report.ok) {
          throw new TongbanError('audit_integrity_failed', `The log does not verify: ${report.problems.length} problem(s), listed above.`, { problems: report.problems.length });
        }
      });
    });

  audit
    .command('checkpoint')
    .description('sign a checkpoint of the log now and print it')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      await withNode(options, async (node) => {
        const checkpoint = await node.audit.signCheckpoint('cli');
        output.result(options, { id: checkpoint.id, size: checkpoint.size, note: checkpoint.note }, () => checkpoint.note.trimEnd());
      });
    });

  audit
    .command('prune')
    .description('remove the details of entries past retention (audit.retentionDays; longer where an agreement asks), keeping their leaf hashes')
    .option('--dry-run', 'count what would be pruned, change nothing')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions & { dryRun?: boolean }) => {
      await withNode(options, async (node) => {
        const report = await node.audit.prune('cli', { dryRun: options.dryRun === true });
        output.result(options, report, () =>
          [
            `${report.dryRun ? 'Would prune' : 'Pruned'} the details of ${report.pruned} entries older than ${report.cutoff} (${report.retentionDays} days)` +
              (report.pruned > 0 ? `, entries ${report.firstSeq}..${report.lastSeq}.` : '.'),
            `Kept ${report.keptForAgreements} older entries whose agreement asks for a longer period.`,
          ].join('\n'),
        );
      });
    });

  audit
    .command('prove')
    .description('print an inclusion proof of one event against the latest checkpoint')
    .requiredOption('--event <id>', 'the event id')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions & { event: string }) => {
      await withNode(options, async (node) => {
        const proof = await node.audit.inclusionProof({ eventId: options.event });
        output.result(options, proof, () =>
          [
            `Event ${proof.eventId} is entry ${proof.seq} of ${proof.size}.`,
            `  leaf hash: ${proof.leafHash}`,
            `  root:      ${proof.root}`,
            '  proof:',
            ...proof.proof.map((hash) => `    ${hash}`),
            '  checkpoint:',
            ...(proof.checkpoint ?? '').trimEnd().split('\n').map((line) => `    ${line}`),
          ].join('\n'),
        );
      });
    });

  audit
    .command('export')
    .description('write entries --from..--to with proofs and the latest checkpoint to a self-contained bundle')
    .requiredOption('--from <seq>', 'first entry', parseCount('--from'))
    .requiredOption('--to <seq>', 'last entry (inclusive)', parseCount('--to'))
    .requiredOption('--out <file>', 'where to write the bundle (JSON)')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions & { from: number; to: number; out: string }) => {
      await withNode(options, async (node) => {
        const bundle = await node.audit.exportBundle(options.from, options.to);
        writeFileSync(options.out, `${JSON.stringify(bundle, null, 2)}\n`);
        output.result(options, { file: options.out, entries: bundle.entries.length }, () => `Wrote ${bundle.entries.length} entries with proofs to ${options.out}.`);
      });
    });

  audit
    .command('check-bundle')
    .description('verify an exported bundle offline: checkpoint signature and every inclusion proof')
    .argument('<file>', 'the bundle')
    .addOption(jsonOption())
    .action(async (file: string, options: { json?: boolean }) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new InputError(`Cannot read ${file} as JSON: ${(error as Error).message}`, { path: file });
      }
      const result = checkBundle(parsed);
      output.result(options, result, () =>
        [
          result.ok ? `The bundle verifies: ${result.entries} entries of ${result.origin} are in its checkpoint of size ${result.size}.` : 'The bundle does NOT verify.',
          ...result.keyFingerprints.map((fingerprint) => `  signing key sha256: ${fingerprint} (compare with the federation directory)`),
          ...result.problems.map((problem) => `  ${problem}`),
        ].join('\n'),
      );
      if (!result.ok) throw new TongbanError('audit_integrity_failed', `The bundle ${file} does not verify.`, { problems: result.problems.length });
    });
}
