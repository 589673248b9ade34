/** `tongban user …`: staff accounts, managed locally by the operator of the node's machine. */
import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { NotFoundError } from '../core/errors.ts';
import { roles, systemActor, type IdentityService } from '../identity/index.ts';
import { generatePassword } from '../node/init-node.ts';
import { configOption, dirOption, jsonOption, type NodeDirOptions } from './main.ts';
import { withNode } from './node-commands.ts';
import { table, type Output } from './output.ts';

async function withIdentity<T>(options: NodeDirOptions, work: (identity: IdentityService) => Promise<T>): Promise<T> {
  return withNode(options, (node) => work(node.identity));
}

async function accountIdOf(identity: IdentityService, username: string): Promise<string> {
  const account = await identity.findByUsername(username);
  if (!account) throw new NotFoundError(`No account named '${username}' on this node.`, { username });
  return account.id;
}

export function registerUserCommands(program: Command, output: Output): void {
  const user = program.command('user').description('manage staff accounts on this node');

  user
    .command('add')
    .description('create a staff account; prints its password (and 2FA secret for admin/auditor) once')
    .argument('<username>', 'user name: 3–64 of a-z 0-9 . _ -')
    .addOption(new Option('--role <role...>', 'one or more roles').choices(roles).makeOptionMandatory())
    .option('--display-name <name>', 'the person\'s name as shown in the console')
    .option('--password-file <file>', 'read the password from a file (- for standard input) instead of generating one')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (username: string, options: NodeDirOptions & { role: string[]; displayName?: string; passwordFile?: string }) => {
      const password = options.passwordFile
        ? readFileSync(options.passwordFile === '-' ? 0 : options.passwordFile, 'utf8').replace(/\r?\n$/, '')
        : generatePassword();
      const created = await withIdentity(options, (identity) =>
        identity.createAccount(systemActor, {
          username,
          displayName: options.displayName ?? username,
          roles: options.role,
          password,
        }),
      );
      const shownPassword = options.passwordFile ? '(as given)' : password;
      output.result(options, { ...created, password: options.passwordFile ? undefined : password }, () =>
        [
          `Created ${created.account.username} (${created.account.roles.join(', ')}), id ${created.account.id}`,
          `  password:   ${shownPassword}`,
          ...(created.secondFactor
            ? [`  2FA secret: ${created.secondFactor.secret}`, `  2FA URI:    ${created.secondFactor.uri}`]
            : []),
        ].join('\n'),
      );
    });

  user
    .command('list')
    .description('list staff accounts')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options: NodeDirOptions) => {
      const accounts = await withIdentity(options, (identity) => identity.listAccounts());
      output.result(options, { accounts }, () =>
        table(
          ['user name', 'name', 'roles', 'status', '2FA', 'locked until'],
          accounts.map((a) => [a.username, a.displayName, a.roles.join(','), a.status, a.secondFactorEnrolled ? 'yes' : 'no', a.lockedUntil ?? '']),
        ),
      );
    });

  user
    .command('disable')
    .description('disable an account and end its sessions')
    .argument('<username>')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (username: string, options: NodeDirOptions) => {
      const account = await withIdentity(options, async (identity) =>
        identity.disableAccount(systemActor, await accountIdOf(identity, username)),
      );
      output.result(options, account, () => `Disabled ${username}; its sessions have ended.`);
    });

  user
    .command('enable')
    .description('enable a disabled account')
    .argument('<username>')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (username: string, options: NodeDirOptions) => {
      const account = await withIdentity(options, async (identity) =>
        identity.enableAccount(systemActor, await accountIdOf(identity, username)),
      );
      output.result(options, account, () => `Enabled ${username}.`);
    });

  user
    .command('reset-2fa')
    .description('issue a new authenticator secret for an account (shown once)')
    .argument('<username>')
    .addOption(dirOption())
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (username: string, options: NodeDirOptions) => {
      const result = await withIdentity(options, async (identity) =>
        identity.resetSecondFactor(systemActor, await accountIdOf(identity, username)),
      );
      output.result(options, result, () =>
        [`New second factor for ${username}:`, `  2FA secret: ${result.secret}`, `  2FA URI:    ${result.uri}`].join('\n'),
      );
    });

}
