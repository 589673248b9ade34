/** Where the directory reports what operators must know (a stale copy, a failing hub); pino's logger fits. */
export interface DirectoryLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** Says nothing: for CLI processes, which print status themselves. */
export const silentLogger: DirectoryLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
