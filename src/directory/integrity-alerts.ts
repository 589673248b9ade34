/**
 * (hub) Integrity alerts: a witness that finds a member's new checkpoint inconsistent with one
 * it holds (fork, truncation, bad signature, unknown key) signs an alert and sends it here. The
 * hub checks the witness's signature, stores the alert once, logs it, and publishes it with the
 * member in the signed directory, so every member learns of it at its next sync. The alert stays
 * open until a hub administrator acknowledges it with a reason (the hub registry does both, so the
 * change and the new directory version commit together).
 */
import { z } from 'zod';
import { InputError, markRecorded, TongbanError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { NodeCore } from '../node/node-core.ts';
import type { Db } from '../store/open-store.ts';
import { nodeCodeSchema, timestampSchema, type IntegritySummary } from './domain/directory-member.ts';
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
  /** Set once a hub administrator acknowledged the alert; null while it is open. */
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly acknowledgementReason: string | null;
}

/** The hub's store of alerts. Writes take the caller's transaction, so the registry can publish in it. */
export interface HubIntegrityAlerts {
  /** Checks a witness's signed alert and returns its payload; a refused signature is recorded. */
  verify(jws: unknown): Promise<IntegrityAlertPayload>;
  /** Stores a verified alert once per witness and alert id; `created` is false for a repeat. */
  store(trx: Db, alert: IntegrityAlertPayload, now: string): Promise<{ readonly record: IntegrityAlertRecord; readonly created: boolean }>;
  /** One alert by the hub's id. */
  find(db: Db, id: string): Promise<IntegrityAlertRecord | undefined>;
  /** The open alerts about one member. */
  open(db: Db, node: string): Promise<IntegrityAlertRecord[]>;
  /** Marks open alerts acknowledged; returns how many it changed. */
  acknowledge(trx: Db, ids: readonly string[], by: string, reason: string, now: string): Promise<number>;
  /** Per member code, what the directory publishes about its open alerts. */
  summaries(db: Db): Promise<Map<string, IntegritySummary>>;
  /** Alerts, newest first, all or about one member; `open` keeps only unacknowledged ones. */
  list(node?: string, options?: { readonly open?: boolean }): Promise<IntegrityAlertRecord[]>;
  /** Open alerts per member code. */
  counts(): Promise<Map<string, number>>;
}

type Row = {
  id: string;
  node: string;
  reported_by: string;
  kind: string;
  message: string;
  evidence: string;
  detected_at: string;
  received_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  acknowledgement_reason: string | null;
};

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
    acknowledgedAt: row.acknowledged_at,
    acknowledgedBy: row.acknowledged_by,
    acknowledgementReason: row.acknowledgement_reason,
  };
}

/** What the directory says about a member's open alerts: count, newest detection, kinds and witnesses (sorted, so equal registries sign equal bytes). */
export function summarise(alerts: readonly Pick<IntegrityAlertRecord, 'kind' | 'reportedBy' | 'detectedAt'>[]): IntegritySummary | undefined {
  if (alerts.length === 0) return undefined;
  const sorted = (values: Iterable<string>) => [...new Set(values)].sort();
  return {
    alerts: alerts.length,
    latestAt: alerts.reduce((latest, alert) => (alert.detectedAt > latest ? alert.detectedAt : latest), alerts[0]!.detectedAt),
    kinds: sorted(alerts.map((alert) => alert.kind)),
    witnesses: sorted(alerts.map((alert) => alert.reportedBy)),
  };
}

/** Creates the hub's alert store over the node's database, checking signatures with the hub's own directory view. */
export function createHubIntegrityAlerts(core: NodeCore, directory: () => Pick<DirectoryService, 'assertUsable' | 'member' | 'verificationKey'>): HubIntegrityAlerts {
  const db = core.store.db;
  return {
    async verify(jws) {
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
      return alert;
    },
    async store(trx, alert, now) {
      const existing = await trx.selectFrom('directory_integrity_alerts').selectAll().where('reported_by', '=', alert.witness).where('alert_id', '=', alert.id).executeTakeFirst();
      if (existing) return { record: toRecord(existing), created: false };
      const row: Row & { alert_id: string } = {
        id: newId(),
        node: alert.node,
        reported_by: alert.witness,
        alert_id: alert.id,
        kind: alert.kind,
        message: alert.message,
        evidence: JSON.stringify(alert.evidence),
        detected_at: alert.detectedAt,
        received_at: now,
        acknowledged_at: null,
        acknowledged_by: null,
        acknowledgement_reason: null,
      };
      await trx.insertInto('directory_integrity_alerts').values(row).execute();
      return { record: toRecord(row), created: true };
    },
    async find(from, id) {
      const row = await from.selectFrom('directory_integrity_alerts').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },
    async open(from, node) {
      const rows = await from
        .selectFrom('directory_integrity_alerts')
        .selectAll()
        .where('node', '=', node)
        .where('acknowledged_at', 'is', null)
        .orderBy('received_at')
        .orderBy('id')
        .execute();
      return rows.map(toRecord);
    },
    async acknowledge(trx, ids, by, reason, now) {
      if (ids.length === 0) return 0;
      const result = await trx
        .updateTable('directory_integrity_alerts')
        .set({ acknowledged_at: now, acknowledged_by: by, acknowledgement_reason: reason })
        .where('id', 'in', [...ids])
        .where('acknowledged_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    async summaries(from) {
      const rows = await from
        .selectFrom('directory_integrity_alerts')
        .select(['node', 'kind', 'reported_by', 'detected_at'])
        .where('acknowledged_at', 'is', null)
        .execute();
      const byNode = new Map<string, { kind: string; reportedBy: string; detectedAt: string }[]>();
      for (const row of rows) byNode.set(row.node, [...(byNode.get(row.node) ?? []), { kind: row.kind, reportedBy: row.reported_by, detectedAt: row.detected_at }]);
      return new Map([...byNode].map(([node, alerts]) => [node, summarise(alerts)!]));
    },
    async list(node, options) {
      let select = db.selectFrom('directory_integrity_alerts').selectAll().orderBy('received_at', 'desc').orderBy('id', 'desc').limit(1000);
      if (node) select = select.where('node', '=', node);
      if (options?.open) select = select.where('acknowledged_at', 'is', null);
      return (await select.execute()).map(toRecord);
    },
    async counts() {
      const rows = await db
        .selectFrom('directory_integrity_alerts')
        .select((eb) => ['node', eb.fn.countAll<number>().as('count')])
        .where('acknowledged_at', 'is', null)
        .groupBy('node')
        .execute();
      return new Map(rows.map((row) => [row.node, Number(row.count)]));
    },
  };
}
