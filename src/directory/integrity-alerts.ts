/**
 * (hub) Integrity alerts: a witness that finds a member's new checkpoint inconsistent with one
 * it holds (fork, truncation, bad signature, unknown key) signs an alert and sends it here. The
 * hub checks the witness's signature, stores the alert once, logs it, and shows it with the member.
 */
import { z } from 'zod';
import { InputError, markRecorded, TongbanError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { NodeCore } from '../node/node-core.ts';
import { nodeCodeSchema, timestampSchema } from './domain/directory-member.ts';
import type { DirectoryService } from './directory-service.ts';
import { verifySignedByMember } from './signed-by-member.ts';

/** The payload type of a signed integrity alert. */
export const integrityAlertType = 'tongban.integrity-alert';

/** Kinds of inconsistency a witness reports. */
export const integrityAlertKinds = ['fork', 'truncated', 'inconsistent', 'bad_signature', 'unknown_key', 'malformed', 'wrong_origin'] as const;
export type IntegrityAlertKind = (typeof integrityAlertKinds)[number];

/** The payload a witness signs. */
export const integrityAlertPayloadSchema = z.strictObject({
  type: z.literal(integrityAlertType),
  id: z.string().min(1).max(64),
  node: nodeCodeSchema,
  witness: nodeCodeSchema,
  kind: z.enum(integrityAlertKinds),
  message: z.string().min(1).max(2000),
  evidence: z.record(z.string(), z.unknown()),
  detectedAt: timestampSchema,
});
export type IntegrityAlertPayload = z.infer<typeof integrityAlertPayloadSchema>;

/** An alert as the hub shows it. */
export interface IntegrityAlertRecord {
  readonly id: string;
  readonly node: string;
  readonly reportedBy: string;
  readonly kind: string;
  readonly message: string;
  readonly evidence: Readonly<Record<string, unknown>>;
  readonly detectedAt: string;
  readonly receivedAt: string;
}

/** The hub's store of alerts. */
export interface HubIntegrityAlerts {
  receive(jws: unknown): Promise<IntegrityAlertRecord>;
  list(node?: string): Promise<IntegrityAlertRecord[]>;
  /** Alerts per member code. */
  counts(): Promise<Map<string, number>>;
}

type Row = { id: string; node: string; reported_by: string; kind: string; message: string; evidence: string; detected_at: string; received_at: string };

function toRecord(row: Row): IntegrityAlertRecord {
  return {
    id: row.id,
    node: row.node,
    reportedBy: row.reported_by,
    kind: row.kind,
    message: row.message,
    evidence: JSON.parse(row.evidence) as Record<string, unknown>,
    detectedAt: row.detected_at,
    receivedAt: row.received_at,
  };
}

/** Creates the hub's alert store over the node's database, checking signatures with the hub's own directory view. */
export function createHubIntegrityAlerts(core: NodeCore, directory: () => Pick<DirectoryService, 'assertUsable' | 'member' | 'verificationKey'>): HubIntegrityAlerts {
  const db = core.store.db;
  return {
    async receive(jws) {
      const now = core.clock.now();
      let signed;
      try {
        signed = verifySignedByMember(directory(), jws, now);
      } catch (error) {
        await core.events.record({
          type: 'directory.integrity_alert_received',
          actor: null,
          outcome: 'denied',
          details: { reason: error instanceof Error ? error.message : String(error) },
        });
        throw error instanceof TongbanError ? markRecorded(error) : error;
      }
      const parsed = integrityAlertPayloadSchema.safeParse(signed.payload);
      if (!parsed.success) {
        throw new InputError(`The integrity alert is malformed at ${parsed.error.issues[0]?.path.join('.') || '/'}: ${parsed.error.issues[0]?.message}.`, {
          path: parsed.error.issues[0]?.path.join('.'),
        });
      }
      const alert = parsed.data;
      if (alert.witness !== signed.from) throw new InputError(`The alert names witness ${alert.witness} but is signed by ${signed.from}.`, { path: 'witness' });
      if (alert.node === alert.witness) throw new InputError('A node cannot witness its own log.', { path: 'node' });
      return db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('directory_integrity_alerts').selectAll().where('reported_by', '=', alert.witness).where('alert_id', '=', alert.id).executeTakeFirst();
        if (existing) return toRecord(existing);
        const row: Row & { alert_id: string } = {
          id: newId(),
          node: alert.node,
          reported_by: alert.witness,
          alert_id: alert.id,
          kind: alert.kind,
          message: alert.message,
          evidence: JSON.stringify(alert.evidence),
          detected_at: alert.detectedAt,
          received_at: now.toISOString(),
        };
        await trx.insertInto('directory_integrity_alerts').values(row).execute();
        await core.events.append(trx, [
          {
            type: 'directory.integrity_alert_received',
            actor: `node:${alert.witness}`,
            outcome: 'success',
            details: { id: row.id, node: alert.node, witness: alert.witness, kind: alert.kind, detectedAt: alert.detectedAt },
          },
        ]);
        return toRecord(row);
      });
    },
    async list(node) {
      let select = db.selectFrom('directory_integrity_alerts').selectAll().orderBy('received_at', 'desc').orderBy('id', 'desc').limit(1000);
      if (node) select = select.where('node', '=', node);
      return (await select.execute()).map(toRecord);
    },
    async counts() {
      const rows = await db
        .selectFrom('directory_integrity_alerts')
        .select((eb) => ['node', eb.fn.countAll<number>().as('count')])
        .groupBy('node')
        .execute();
      return new Map(rows.map((row) => [row.node, Number(row.count)]));
    },
  };
}
