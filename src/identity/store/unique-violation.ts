/**
 * Recognises a unique-constraint violation from either database, so a race between two inserts
 * of the same name ends as `already_exists` rather than an internal error.
 */

/** Whether the error is a unique-key violation. */
export function isUniqueViolation(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || !('code' in error)) return false;
  const code = (error as { code: unknown }).code;
  // SQLite (better-sqlite3): extended result codes for UNIQUE and PRIMARY KEY constraints.
  // PostgreSQL (pg): SQLSTATE 23505, unique_violation.
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
