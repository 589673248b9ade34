/**
 * The exchange envelope of DESIGN §4: what one node asks of another, and the signed answer.
 */
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { InputError } from '../../core/errors.ts';

const NodeCode = Type.String({ pattern: '^(\\d{6}|(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{2,32})$' });
const FieldName = Type.String({ pattern: '^[A-Za-z][A-Za-z0-9_]{0,62}$' });
const DatasetId = Type.String({ pattern: '^[A-Za-z0-9]{2,32}/[a-z0-9-]{2,64}$' });
const KeyValues = Type.Record(FieldName, Type.String({ minLength: 1, maxLength: 256 }), { minProperties: 1, maxProperties: 4 });

export const QueryBodySchema = Type.Object(
  {
    dataset: DatasetId,
    /** Key fields and the values records must have, e.g. `{ idNumber: '…' }`. */
    key: KeyValues,
    fields: Type.Array(FieldName, { minItems: 1, maxItems: 64, uniqueItems: true }),
  },
  { additionalProperties: false },
);

export const VerifyBodySchema = Type.Object(
  {
    dataset: DatasetId,
    key: KeyValues,
    /** Absent: "does a record with this key exist?"; present: "does its `field` equal `equals`?". */
    predicate: Type.Optional(
      Type.Object({ field: FieldName, equals: Type.String({ maxLength: 256 }) }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);

/** A body sealed for the recipient, so the hub that relays it cannot read it. */
export const SealedBodySchema = Type.Object(
  {
    sealed: Type.Object(
      {
        /** `X25519-A256GCM` (intl) or `SM2-SM4-HMAC-SM3` (sm). */
        enc: Type.Union([Type.Literal('X25519-A256GCM'), Type.Literal('SM2-SM4-HMAC-SM3')]),
        /** The recipient's encryption key. */
        kid: Type.String({ minLength: 3, maxLength: 100 }),
        ct: Type.String({ minLength: 1, pattern: '^[A-Za-z0-9_-]+$' }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export const MessageSchema = Type.Object(
  {
    /** UUIDv7 chosen by the sender; also the idempotency key. */
    id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' }),
    ts: Type.String({ format: 'date-time', maxLength: 40 }),
    from: NodeCode,
    to: NodeCode,
    via: Type.Optional(NodeCode),
    op: Type.Union([Type.Literal('query'), Type.Literal('verify')]),
    /** `<agreement id>@<version>`. */
    agreement: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,99}@[1-9][0-9]{0,8}$' }),
    item: Type.String({ minLength: 1, maxLength: 100 }),
    purpose: Type.String({ minLength: 1, maxLength: 100 }),
    case: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    /** The staff member (or system) the sending node vouches for: `staff:<id>`, `token:<id>`, `system`. */
    operator: Type.String({ minLength: 1, maxLength: 100 }),
    body: Type.Union([QueryBodySchema, VerifyBodySchema, SealedBodySchema]),
  },
  { additionalProperties: false },
);

export type QueryBody = Static<typeof QueryBodySchema>;
export type VerifyBody = Static<typeof VerifyBodySchema>;
export type SealedBody = Static<typeof SealedBodySchema>;
export type Message = Static<typeof MessageSchema>;

/** What the provider says back: records, a yes/no, or why not. Signed by the provider. */
export interface Answer {
  readonly type: 'tongban.answer';
  readonly id: string;
  readonly inReplyTo: string;
  readonly ts: string;
  readonly from: string;
  readonly to: string;
  readonly status: 'ok' | 'denied';
  readonly decision: {
    readonly agreement: string;
    readonly clause: string;
    readonly code?: string;
    readonly reason: string;
  };
  /** For `query`: `{ records }`; for `verify`: `{ result }`; sealed for the requester when relayed. */
  readonly body?: { readonly records: readonly Record<string, unknown>[] } | { readonly result: boolean } | SealedBody;
}

const messageValidator = Compile(MessageSchema);
const queryValidator = Compile(QueryBodySchema);
const verifyValidator = Compile(VerifyBodySchema);

/** Checks an envelope payload against the schema; `envelope_invalid` names the first offending path. */
export function parseMessage(value: unknown): Message {
  if (messageValidator.Check(value)) {
    const message = value as Message;
    if (Number.isNaN(Date.parse(message.ts))) throw envelopeError('/ts', 'is not a time');
    return message;
  }
  const [first] = messageValidator.Errors(value);
  throw envelopeError(first?.instancePath || '/', describe(first?.message) ?? 'does not match the envelope schema');
}

/** Checks a plaintext body against the operation's schema. */
export function parseBody(op: Message['op'], body: unknown): QueryBody | VerifyBody {
  const validator = op === 'query' ? queryValidator : verifyValidator;
  if (validator.Check(body)) return body as QueryBody | VerifyBody;
  const [first] = validator.Errors(body);
  throw envelopeError(`/body${first?.instancePath ?? ''}`, describe(first?.message) ?? `is not a ${op} body`);
}

function envelopeError(path: string, problem: string): InputError {
  return new InputError(`The exchange envelope is invalid: '${path}' ${problem}.`, { path }, 'envelope_invalid');
}

/** Splits `id@version`. */
export function parseAgreementRef(ref: string): { id: string; version: number } {
  const at = ref.lastIndexOf('@');
  return { id: ref.slice(0, at), version: Number(ref.slice(at + 1)) };
}

/** Whether a body is sealed for the recipient (radial) rather than readable. */
export function isSealed(body: Message['body'] | Answer['body']): body is SealedBody {
  return typeof body === 'object' && body !== null && 'sealed' in body;
}

/** TypeBox says "schema is false" for a property that is not allowed; say that instead. */
function describe(message: string | undefined): string | undefined {
  return message === 'schema is false' ? 'is not allowed' : message;
}
