/** Where the CLI prints, so tests can capture it and `--json` stays one JSON document. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Prints `value` as JSON with `--json`, else the human text. */
  result(options: { json?: boolean }, value: unknown, human: () => string): void;
  /** Marks the run as failed (exit 1) after printing a result, e.g. when a check found problems. */
  fail(): void;
  readonly failed: boolean;
}

export function createOutput(
  write: { out: (text: string) => void; err: (text: string) => void } = {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  },
): Output {
  let failed = false;
  return {
    out: write.out,
    err: write.err,
    result(options, value, human) {
      write.out(options.json ? JSON.stringify(value, null, 2) : human());
    },
    fail() {
      failed = true;
    },
    get failed() {
      return failed;
    },
  };
}

/** Renders rows as an aligned text table. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const width = (text: string) => [...text].reduce((sum, char) => sum + (char.charCodeAt(0) > 0x2e80 ? 2 : 1), 0);
  const widths = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => cell + ' '.repeat(Math.max(0, widths[column]! - width(cell)))).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
