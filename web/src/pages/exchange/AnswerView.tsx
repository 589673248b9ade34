/**
 * One exchange's outcome as a caseworker reads it: the partner's signed answer (records masked
 * as the agreement says, or the yes/no of a verify), the clause that decided it, and the evidence
 * (signing key, answer and request ids); or the refusal with its code and refusing clause.
 */
import { Alert, Descriptions, Empty, Flex, Result, Spin, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiError } from '../../api/client';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';
import { nodeLabel, useNodeNames } from '../citizen/nodeNames';
import { isBatchedEvidence, isJws, readEvidence, type BatchedEvidence, type FlattenedJws } from './evidence';

/** Labels keep one line, so long values wrap instead of squeezing them letter by letter. */
const labelStyles = { label: { width: 150, whiteSpace: 'nowrap' as const } };

export interface Decision {
  readonly agreement: string;
  readonly clause: string;
  readonly code?: string;
  readonly reason: string;
}

/** What the page shows, whichever way the request went (now, or through the outbox). */
export interface ShownOutcome {
  readonly requestId?: string;
  readonly route?: string;
  readonly op?: string;
  readonly status: 'ok' | 'denied' | 'queued' | 'delivering' | 'failed';
  readonly decision?: Decision;
  readonly records?: readonly Record<string, unknown>[];
  readonly result?: boolean;
  readonly evidence?: FlattenedJws | BatchedEvidence;
  readonly timings?: { readonly sent: string; readonly answered: string };
  readonly refusal?: ApiError;
  readonly attempts?: number;
  readonly lastError?: string | null;
  /** `sync` rows keep only the decision: no records, no evidence. */
  readonly mode?: string;
}

/**
 * The stored answer of a sent request as a ShownOutcome: `{ answer, evidence }` for an outbox row,
 * `{ answer }` with the decision only for a sync row, or the refusal body.
 */
export function outcomeOfOutbound(row: {
  id: string;
  route: string;
  op: string;
  status: string;
  attempts: number;
  lastError: string | null;
  answer?: unknown;
  mode?: string;
}): ShownOutcome {
  const base = { requestId: row.id, route: row.route, op: row.op, attempts: row.attempts, lastError: row.lastError, ...(row.mode ? { mode: row.mode } : {}) };
  const stored = (row.answer ?? null) as Record<string, unknown> | null;
  if (row.status === 'answered' && stored && typeof stored.answer === 'object' && stored.answer) {
    const answer = stored.answer as { status?: string; decision?: Decision; body?: Record<string, unknown> };
    const body = answer.body ?? {};
    return {
      ...base,
      status: answer.status === 'denied' ? 'denied' : 'ok',
      ...(answer.decision ? { decision: answer.decision } : {}),
      ...(Array.isArray(body.records) ? { records: body.records as Record<string, unknown>[] } : {}),
      ...(typeof body.result === 'boolean' ? { result: body.result } : {}),
      ...(isBatchedEvidence(stored.evidence) || isJws(stored.evidence) ? { evidence: stored.evidence } : {}),
    };
  }
  if (row.status === 'denied' || (row.status === 'failed' && typeof stored?.code === 'string')) {
    const code = typeof stored?.code === 'string' ? stored.code : (row.lastError ?? 'internal_error');
    const message = typeof stored?.message === 'string' ? stored.message : code;
    const details = stored?.details && typeof stored.details === 'object' ? (stored.details as Record<string, unknown>) : undefined;
    return { ...base, status: row.status === 'failed' ? 'failed' : 'denied', refusal: new ApiError(row.status === 'failed' ? 503 : 403, code, message, details) };
  }
  if (row.status === 'failed') {
    return { ...base, status: 'failed', refusal: new ApiError(503, row.lastError ?? 'partner_unreachable', row.lastError ?? '') };
  }
  return { ...base, status: row.status === 'delivering' ? 'delivering' : 'queued' };
}

function agreementLink(ref: string) {
  const at = ref.lastIndexOf('@');
  if (at < 0) return <Typography.Text code>{ref}</Typography.Text>;
  return (
    <Link to={`/agreements/${ref.slice(0, at)}?version=${ref.slice(at + 1)}`}>
      <Typography.Text code>{ref}</Typography.Text>
    </Link>
  );
}

function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function Records({ records, masks }: { records: readonly Record<string, unknown>[]; masks: Readonly<Record<string, string>> }) {
  const { t } = useTranslation();
  if (records.length === 0) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('exchange.answer.noRecords')} />;
  const keys = [...new Set(records.flatMap((record) => Object.keys(record)))];
  return (
    <Table
      size="small"
      data-testid="exchange-records"
      rowKey={(_, index) => String(index)}
      dataSource={records.map((record) => ({ ...record }))}
      pagination={records.length > 10 ? { pageSize: 10 } : false}
      columns={keys.map((key) => ({
        key,
        dataIndex: key,
        title: (
          <Flex gap={4} align="center">
            <span>{key}</span>
            {masks[key] ? <Tag color="orange">{t(`exchange.masks.${masks[key]}`, { defaultValue: masks[key] })}</Tag> : null}
          </Flex>
        ),
        render: (value: unknown) => cell(value),
      }))}
    />
  );
}

function RefusalView({ refusal }: { refusal: ApiError }) {
  const { t } = useTranslation();
  const details = refusal.details ?? {};
  const clause = typeof details.clause === 'string' ? details.clause : null;
  const agreement = typeof details.agreement === 'string' ? details.agreement : null;
  const partner = typeof details.partner === 'string' ? details.partner : null;
  const names = useNodeNames();
  return (
    <Flex vertical gap={12} data-testid="exchange-refusal">
      <ErrorAlert error={refusal} />
      <Descriptions styles={labelStyles} size="small" bordered column={1}>
        <Descriptions.Item label={t('exchange.answer.code')}>
          <Typography.Text code data-testid="refusal-code">{refusal.code}</Typography.Text>
        </Descriptions.Item>
        {clause ? (
          <Descriptions.Item label={t('exchange.answer.clause')}>
            <Typography.Text code copyable data-testid="refusal-clause">{clause}</Typography.Text>
          </Descriptions.Item>
        ) : null}
        {agreement ? <Descriptions.Item label={t('exchange.answer.agreement')}>{agreementLink(agreement)}</Descriptions.Item> : null}
        {partner ? <Descriptions.Item label={t('exchange.answer.partner')}>{nodeLabel(names, partner)}</Descriptions.Item> : null}
      </Descriptions>
    </Flex>
  );
}

export function AnswerView({ outcome, masks = {} }: { outcome: ShownOutcome; masks?: Readonly<Record<string, string>> }) {
  const { t } = useTranslation();
  const names = useNodeNames();
  if (outcome.status === 'queued' || outcome.status === 'delivering') {
    return (
      <Flex vertical gap={12} align="center" data-testid="exchange-pending">
        <Spin />
        <Typography.Text>{t(`exchange.answer.${outcome.status}`)}</Typography.Text>
        {outcome.requestId ? <CopyableId value={outcome.requestId} /> : null}
        {outcome.lastError ? (
          <Typography.Text type="secondary">
            {t('exchange.answer.lastError')}: <Typography.Text code>{outcome.lastError}</Typography.Text>
            {' · '}
            {t('exchange.answer.attempts')}: {formatNumber(outcome.attempts ?? 0)}
          </Typography.Text>
        ) : null}
      </Flex>
    );
  }
  if (outcome.refusal) {
    return (
      <Flex vertical gap={12}>
        <Typography.Title level={5} style={{ margin: 0 }}>
          {outcome.status !== 'failed' ? t('exchange.answer.refusalTitle') : outcome.attempts !== undefined && outcome.mode !== 'sync' ? t('exchange.answer.failed') : t('exchange.answer.unreachable')}
        </Typography.Title>
        <RefusalView refusal={outcome.refusal} />
        {outcome.requestId ? (
          <Typography.Text type="secondary">
            {t('exchange.answer.requestId')}: <CopyableId value={outcome.requestId} length={36} />
          </Typography.Text>
        ) : null}
      </Flex>
    );
  }
  const evidence = outcome.evidence ? readEvidence(outcome.evidence) : null;
  const denied = outcome.status === 'denied';
  return (
    <Flex vertical gap={16} data-testid="exchange-answer">
      <Result
        style={{ padding: '8px 0' }}
        status={denied ? 'warning' : 'success'}
        title={denied ? t('exchange.answer.denied') : t('exchange.answer.ok')}
        subTitle={
          outcome.result !== undefined ? (
            <Tag color={outcome.result ? 'green' : 'red'} data-testid="verify-result" style={{ fontSize: 14, padding: '2px 10px' }}>
              {outcome.result ? t('exchange.answer.verifyTrue') : t('exchange.answer.verifyFalse')}
            </Tag>
          ) : undefined
        }
      />
      {outcome.records ? (
        <div>
          <Typography.Title level={5}>{t('exchange.answer.records')}</Typography.Title>
          <Records records={outcome.records} masks={masks} />
        </div>
      ) : null}
      {outcome.decision ? (
        <Descriptions styles={labelStyles} size="small" bordered column={1} title={t('exchange.answer.decision')}>
          <Descriptions.Item label={t('exchange.answer.agreement')}>{agreementLink(outcome.decision.agreement)}</Descriptions.Item>
          <Descriptions.Item label={t('exchange.answer.clause')}>
            <Typography.Text code copyable data-testid="answer-clause">{outcome.decision.clause}</Typography.Text>
          </Descriptions.Item>
          {outcome.decision.code ? (
            <Descriptions.Item label={t('exchange.answer.code')}>
              <Typography.Text code>{outcome.decision.code}</Typography.Text>
            </Descriptions.Item>
          ) : null}
          <Descriptions.Item label={t('exchange.answer.reason')}>{outcome.decision.reason}</Descriptions.Item>
        </Descriptions>
      ) : null}
      {evidence ? (
        <Descriptions styles={labelStyles} size="small" bordered column={1} title={t('exchange.answer.evidence')} data-testid="exchange-evidence">
          {outcome.requestId ? (
            <Descriptions.Item label={t('exchange.answer.requestId')}>
              <CopyableId value={outcome.requestId} length={36} />
            </Descriptions.Item>
          ) : null}
          <Descriptions.Item label={t('exchange.answer.answerId')}>
            <CopyableId value={evidence.answerId} length={36} />
          </Descriptions.Item>
          <Descriptions.Item label={t('exchange.answer.signer')}>{evidence.from ? nodeLabel(names, evidence.from) : '—'}</Descriptions.Item>
          <Descriptions.Item label={t('exchange.answer.kid')}>
            <span data-testid="evidence-kid">
              <CopyableId value={evidence.kid} length={40} />
            </span>
          </Descriptions.Item>
          <Descriptions.Item label={t('exchange.answer.alg')}>{evidence.alg ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('exchange.answer.signature')}>
            <CopyableId value={evidence.signature} length={32} />
          </Descriptions.Item>
          {evidence.batch ? (
            <Descriptions.Item label={t('exchange.answer.batch')}>
              <span data-testid="evidence-batch">
                {formatNumber(evidence.batch.index + 1)} / {evidence.batch.size !== undefined ? formatNumber(evidence.batch.size) : '—'}
                {' · '}
                <CopyableId value={evidence.batch.id} length={36} />
              </span>
            </Descriptions.Item>
          ) : null}
          {outcome.route ? <Descriptions.Item label={t('exchange.answer.route')}>{t(`exchange.routes.${outcome.route}`, { defaultValue: outcome.route })}</Descriptions.Item> : null}
          {outcome.timings ? (
            <Descriptions.Item label={t('exchange.answer.sentAt')}>
              <Time value={outcome.timings.sent} />
            </Descriptions.Item>
          ) : null}
          <Descriptions.Item label={t('exchange.answer.answeredAt')}>
            <Time value={outcome.timings?.answered ?? evidence.ts} />
          </Descriptions.Item>
        </Descriptions>
      ) : outcome.mode === 'sync' ? null : (
        <Alert type="info" showIcon title={t('exchange.answer.evidence')} description="—" />
      )}
    </Flex>
  );
}
