/** `tongban demo`: the demo federation on loopback, the demo data generator, and a helper to read one-time codes. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { TOTP } from 'otpauth';
import { InputError } from '../core/errors.ts';
import { demoSizes, type DemoSize } from '../demo/demo-federation.ts';
import { demoDataFormats, generateDemoData, type DemoDataFormat } from '../demo/generate/generate-demo-data.ts';
import { demoAgreements, startDemo, stopDemo, type RunningDemo } from '../demo/start-demo.ts';
import { ensureConsoleBuilt } from '../node/console-build.ts';
import { jsonOption } from './main.ts';
import { table, type Output } from './output.ts';

function wholeNumber(text: string, what: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new InputError(`${what} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text)}.`);
  return value;
}

/** The printout of a running demo: console URLs, accounts, agreements, quality, the demo citizen. */
function describeDemo(demo: RunningDemo, dir: string): string {
  return [
    `Tongban demo federation (${demo.size}) is running, ready in ${demo.seconds.toFixed(1)} s (Ctrl-C stops it):`,
    ...demo.nodes.flatMap((node) => [
      '',
      `${node.member.name} (${node.member.code})  console ${node.url}/   API docs ${node.url}/docs`,
      ...node.accounts.map(
        (account) => `  ${account.username.padEnd(11)} ${account.password}  [${account.roles.join(',')}]${account.totpSecret ? `  2FA secret ${account.totpSecret}` : ''}`,
      ),
      ...(node.quality.length > 0
        ? [`  datasets: ${node.datasets.map((dataset) => `${dataset.id.slice(dataset.id.indexOf('/') + 1)} ${dataset.rows.toLocaleString('en')}`).join(', ')}`]
        : []),
      ...(node.quality.length > 0
        ? [
            `  quality:  ${node.quality.map((run) => `${run.dataset.slice(run.dataset.indexOf('/') + 1)} ${run.overall ?? '–'} (${run.status}${run.tasksOpened > 0 ? `, ${run.tasksOpened} remediation tasks` : ''})`).join(', ')}`,
          ]
        : []),
      `  audit checkpoint signed at log size ${node.checkpointSize}${node.witnessedBy.length > 0 ? `, witnessed by ${node.witnessedBy.join(', ')}` : ''}`,
    ]),
    '',
    'Active agreements:',
    ...demo.agreements.map((agreement) => `  ${agreement}`),
    '',
    'Exchanges made at start-up:',
    ...demo.exchanges.map((exchange) => `  ${exchange}`),
    '',
    `Demo citizen: ${demo.citizen.name}, ID number ${demo.citizen.idNumber} (from ${demo.citizen.home}, medical filing in ${demo.citizen.filedIn});`,
    `  浙江省 asked 贵州省安顺市 for this person's records: ask 安顺's access report ("who used my data").`,
    '',
    'One-time codes for 2FA accounts: npx tongban demo code <2FA secret>',
    '',
    `Try it: 浙江省 asks 贵州省安顺市 under ${demoAgreements.socialInsurance}, bridge or (with --radial) through the hub:`,
    `  npx tongban exchange query --dir ${dir}/330000 --operator caseworker --to 520400 \\`,
    `    --agreement ${demoAgreements.socialInsurance} --item 就医结算备案 --purpose medical-filing \\`,
    `    --dataset 520400/social-insurance-enrolment --key idNumber=${demo.citizen.idNumber} --fields name,insuredStatus,insuredSince`,
  ].join('\n');
}

export function registerDemoCommands(program: Command, output: Output): void {
  const demo = program
    .command('demo')
    .description('start the demo federation (a hub and province nodes with generated data) on loopback; Ctrl-C stops it')
    .option('--dir <path>', 'where the demo nodes keep their data (recreated on every start)', './data/demo')
    .option('--base-port <port>', 'the hub listens here, the other nodes on the next ports', '8300')
    .addOption(new Option('--size <size>', 'small starts in seconds; large generates a million people').choices(demoSizes).default('small'))
    .addOption(jsonOption())
    .action(async (options: { dir: string; basePort: string; size: DemoSize; json?: boolean }) => {
      const basePort = wholeNumber(options.basePort, '--base-port', 1, 65000);
      const progress = !options.json;
      const consoleBuild = await ensureConsoleBuilt((line) => output.err(`… ${line}`));
      if (consoleBuild === 'unavailable') output.err('… the web console is not built and cannot be built here (run `npm run build` where Vite is installed); the API still works');
      const running = await startDemo({ dir: options.dir, basePort, size: options.size, ...(progress ? { onStep: (step: string) => output.err(`… ${step}`) } : {}) });
      output.result(
        options,
        {
          size: running.size,
          seconds: running.seconds,
          nodes: running.nodes.map((node) => ({
            code: node.member.code,
            name: node.member.name,
            url: node.url,
            console: `${node.url}/`,
            accounts: node.accounts,
            datasets: node.datasets,
            quality: node.quality,
            checkpointSize: node.checkpointSize,
            witnessedBy: node.witnessedBy,
          })),
          agreements: running.agreements,
          exchanges: running.exchanges,
          citizen: running.citizen,
        },
        () => describeDemo(running, options.dir),
      );
      await new Promise<void>((resolveStop) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void stopDemo(running.nodes).then(resolveStop);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  demo
    .command('generate')
    .description('write generated demo datasets (household register, social insurance, medical filings, a dirty marriage register) and a manifest')
    .requiredOption('--people <n>', 'how many people to generate')
    .option('--seed <n>', 'the seed: the same seed writes the same bytes', '2026')
    .requiredOption('--out <dir>', 'the directory the files and manifest.json go to')
    .addOption(new Option('--format <format>', 'file format').choices(demoDataFormats).default('csv'))
    .option('--counties <codes>', 'comma-separated county codes for the ID numbers (default: every county of the reference table)')
    .addOption(jsonOption())
    .action(async (options: { people: string; seed: string; out: string; format: DemoDataFormat; counties?: string; json?: boolean }) => {
      const people = wholeNumber(options.people, '--people', 1, 50_000_000);
      const seed = wholeNumber(options.seed, '--seed', 0, 4_294_967_295);
      const counties = options.counties?.split(',').map((code) => code.trim()).filter((code) => code !== '');
      const terminal = process.stderr.isTTY && !options.json;
      let lastTenth = 0;
      const started = Date.now();
      const manifest = await generateDemoData({
        people,
        seed,
        out: options.out,
        format: options.format,
        ...(counties ? { counties } : {}),
        onProgress: (done, total) => {
          const line = `generated ${done.toLocaleString('en')} / ${total.toLocaleString('en')} people (${Math.floor((100 * done) / total)}%)`;
          if (terminal) {
            process.stderr.write(`\r  ${line}${done === total ? '\n' : ''}`);
          } else if (!options.json && Math.floor((10 * done) / total) > lastTenth) {
            lastTenth = Math.floor((10 * done) / total);
            output.err(line);
          }
        },
      });
      const seconds = (Date.now() - started) / 1000;
      output.result(options, manifest, () =>
        [
          `Wrote ${manifest.people.toLocaleString('en')} people (seed ${manifest.seed}, ${manifest.format}) to ${options.out} in ${seconds.toFixed(1)} s:`,
          table(
            ['dataset', 'file', 'rows', 'bytes'],
            Object.entries(manifest.datasets).map(([slug, file]) => [slug, file.file, file.rows.toLocaleString('en'), file.bytes.toLocaleString('en')]),
          ),
          '',
          `Defects injected into the marriage register (${manifest.defects.cleanRows.toLocaleString('en')} clean rows):`,
          table(
            ['defect', 'rate', 'rows'],
            Object.entries(manifest.defects.counts).map(([kind, count]) => [kind, String(manifest.defects.rates[kind as keyof typeof manifest.defects.rates]), count.toLocaleString('en')]),
          ),
          '',
          'Exact counts and SHA-256 of each file: manifest.json',
        ].join('\n'),
      );
    });

  demo
    .command('code')
    .description('print the current one-time code for a demo account\'s 2FA secret')
    .argument('<secret>', 'the base32 2FA secret printed at start')
    .action((secret: string) => {
      if (!/^[A-Z2-7]+=*$/i.test(secret)) throw new InputError('The 2FA secret is base32 (letters A–Z and digits 2–7).');
      output.out(new TOTP({ secret }).generate());
    });
}
