/** `tongban demo`: the demo federation on loopback, and a helper to read one-time codes. */
import type { Command } from 'commander';
import { TOTP } from 'otpauth';
import { InputError } from '../core/errors.ts';
import { generatePeople } from '../demo/people.ts';
import { demoAgreement, demoSeed, startDemo, stopDemo } from '../demo/start-demo.ts';
import { jsonOption } from './main.ts';
import type { Output } from './output.ts';

export function registerDemoCommands(program: Command, output: Output): void {
  const demo = program
    .command('demo')
    .description('start the demo federation (a hub and province nodes) on loopback; Ctrl-C stops it')
    .option('--dir <path>', 'where the demo nodes keep their data (recreated on every start)', './data/demo')
    .option('--base-port <port>', 'the hub listens here, the other nodes on the next ports', '8300')
    .addOption(jsonOption())
    .action(async (options: { dir: string; basePort: string; json?: boolean }) => {
      const basePort = Number(options.basePort);
      if (!Number.isInteger(basePort) || basePort < 1 || basePort > 65000) throw new InputError('--base-port must be 1–65000.');
      const nodes = await startDemo({ dir: options.dir, basePort });
      output.result(
        options,
        nodes.map((node) => ({ code: node.member.code, name: node.member.name, url: node.url, accounts: node.accounts })),
        () =>
          [
            'Tongban demo federation is running (Ctrl-C stops it):',
            ...nodes.flatMap((node) => [
              '',
              `${node.member.name} (${node.member.code})  ${node.url}   API docs: ${node.url}/docs`,
              ...node.accounts.map(
                (account) =>
                  `  ${account.username.padEnd(11)} ${account.password}  [${account.roles.join(',')}]${account.totpSecret ? `  2FA secret ${account.totpSecret}` : ''}`,
              ),
            ]),
            '',
            'One-time codes for 2FA accounts: npx tongban demo code <2FA secret>',
            '',
            `Try it: 浙江省 asks 贵州省安顺市 under ${demoAgreement}, bridge or (with --radial) through the hub:`,
            `  npx tongban exchange query --dir ${options.dir}/330000 --operator caseworker --to 520400 \\`,
            `    --agreement ${demoAgreement} --item 就医结算备案 --purpose medical-filing \\`,
            `    --dataset 520400/social-insurance-enrolment --key idNumber=${generatePeople(1, demoSeed)[0]!.idNumber} --fields name,insuredStatus,insuredSince`,
          ].join('\n'),
      );
      await new Promise<void>((resolveStop) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void stopDemo(nodes).then(resolveStop);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
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
