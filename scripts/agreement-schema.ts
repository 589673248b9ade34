/** Prints the published agreement JSON Schema: `node --import tsx scripts/agreement-schema.ts > docs/agreement.schema.json`. */
import { agreementJsonSchema } from '../src/agreements/domain/agreement-schema.ts';

/** docs/agreement.schema.json as it must read: the TypeBox schema, pretty-printed. */
export function agreementSchemaDocument(): string {
  return `${JSON.stringify(agreementJsonSchema(), null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(agreementSchemaDocument());
