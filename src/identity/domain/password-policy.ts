/**
 * The password policy: long enough, varied enough, and not built on the user name.
 */
import { InputError } from '../../core/errors.ts';

/** Longest password accepted; anything longer is almost certainly a mistake or an attack. */
export const passwordMaxLength = 1024;

/** The character classes a password draws on; at least three of the four are required. */
const characterClasses = [
  { name: 'lower-case letters', test: /[a-z]/ },
  { name: 'upper-case letters', test: /[A-Z]/ },
  { name: 'digits', test: /[0-9]/ },
  { name: 'symbols', test: /[^A-Za-z0-9]/ },
] as const;

const requiredClasses = 3;

/** One reason a password falls short. */
export type PasswordProblem = 'too_short' | 'too_long' | 'too_few_character_classes' | 'contains_username';

/** What is wrong with a password under the policy: an empty list when it passes. */
export function passwordProblems(
  password: string,
  context: { readonly username: string; readonly minLength: number },
): { problem: PasswordProblem; message: string }[] {
  const found: { problem: PasswordProblem; message: string }[] = [];
  const length = [...password].length;
  if (length < context.minLength) {
    found.push({ problem: 'too_short', message: `at least ${context.minLength} characters (it has ${length})` });
  }
  if (length > passwordMaxLength) {
    found.push({ problem: 'too_long', message: `at most ${passwordMaxLength} characters` });
  }
  const missing = characterClasses.filter((cls) => !cls.test.test(password)).map((cls) => cls.name);
  if (characterClasses.length - missing.length < requiredClasses) {
    found.push({
      problem: 'too_few_character_classes',
      message: `characters from at least ${requiredClasses} of: lower-case letters, upper-case letters, digits, symbols (missing ${missing.join(', ')})`,
    });
  }
  if (context.username.length > 0 && password.toLowerCase().includes(context.username.toLowerCase())) {
    found.push({ problem: 'contains_username', message: 'no copy of the user name' });
  }
  return found;
}

/** Throws `password_too_weak`, saying what is missing, unless the password meets the policy. */
export function assertPasswordPolicy(password: string, context: { readonly username: string; readonly minLength: number }): void {
  if (typeof password !== 'string') throw new InputError('A password is required.', { path: 'password' });
  const found = passwordProblems(password, context);
  if (found.length === 0) return;
  throw new InputError(
    `The password is too weak: it needs ${found.map((item) => item.message).join('; ')}.`,
    { path: 'password', problems: found.map((item) => item.problem) },
    'password_too_weak',
  );
}
