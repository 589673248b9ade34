/**
 * Inclusion-proof lookup for an event (id or sequence number) or an exchange (its request id),
 * checked in the browser: leaf recomputed from the event, RFC 9162 path to the root, root and
 * size compared with the signed checkpoint. SM-suite nodes hash with SM3, which browsers lack.
 */
import { CheckCircleFilled, CloseCircleFilled, MinusCircleOutlined, SearchOutlined } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Col, Descriptions, Flex, Form, Input, InputNumber, List, Radio, Row, Typography } from 'antd';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, client, ok, type paths } from '../../api/client';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { showFieldError } from '../../components/forms';
import { formatNumber } from '../../i18n/format';
import { canHash, checkInclusion, type LoggedEventView, type ProofCheck, type StepResult } from './proof';

/** Labels keep one line, so long values wrap instead of squeezing them letter by letter. */
const labelStyles = { label: { width: 150, whiteSpace: 'nowrap' as const } };

type Inclusion = paths['/api/v1/audit/proofs/inclusion']['get']['responses']['200']['content']['application/json'];

interface LookupValues {
  by: 'event' | 'exchange';
  value: string;
  size?: number | null;
}

interface LookupResult {
  readonly answer: Inclusion;
  readonly event: LoggedEventView | null;
  readonly check: ProofCheck | null;
  readonly mode: 'browser' | 'server-sm' | 'no-crypto';
}

/** An exchange id that no recent event mentions. */
class ExchangeNotFound extends Error {}

type StepKey = 'leaf' | 'path' | 'checkpointRoot' | 'checkpointSize';

/** How far back an exchange id is searched for, in events. */
const exchangeScanLimit = 50_000;
const window = 1000;

/** The newest event of an exchange (its request or answer id in the details), searched newest first. */
async function findExchangeEvent(id: string): Promise<string | null> {
  const first = await ok(client.GET('/api/v1/events', { params: { query: { limit: 1 } } }));
  const size = first.size;
  for (let end = size; end > 0 && size - end < exchangeScanLimit; end -= window) {
    const start = Math.max(0, end - window);
    const page = await ok(client.GET('/api/v1/events', { params: { query: { after: start - 1, limit: end - start } } }));
    const found = [...page.events]
      .reverse()
      .find((event) => event.type.startsWith('exchange.') && (event.details.id === id || event.details.answerId === id || event.details.inReplyTo === id));
    if (found) return found.id;
  }
  return null;
}

async function readEvent(seq: number): Promise<LoggedEventView | null> {
  try {
    const page = await ok(client.GET('/api/v1/events', { params: { query: { after: seq - 1, limit: 1 } } }));
    const event = page.events[0];
    return event && event.seq === seq ? event : null;
  } catch {
    // Without events.read the proof is still checked; only the leaf is not recomputed.
    return null;
  }
}

function StepIcon({ result }: { result: StepResult }) {
  if (result === 'pass') return <CheckCircleFilled style={{ color: '#52c41a' }} />;
  if (result === 'fail') return <CloseCircleFilled style={{ color: '#ff4d4f' }} />;
  return <MinusCircleOutlined style={{ color: '#999' }} />;
}

export function ProofCard({ request }: { request: { value: string; nonce: number } | null }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<LookupValues>();
  const node = useQuery({ queryKey: ['node'], queryFn: () => ok(client.GET('/api/v1/node')) });

  const lookup = useMutation({
    mutationFn: async (values: LookupValues): Promise<LookupResult> => {
      const value = values.value.trim();
      let query: { seq?: number; event?: string; size?: number };
      if (values.by === 'exchange') {
        const eventId = await findExchangeEvent(value);
        if (!eventId) throw new ExchangeNotFound(t('audit.proof.notFound', { total: formatNumber(exchangeScanLimit) }));
        query = { event: eventId };
      } else {
        query = /^\d+$/.test(value) ? { seq: Number(value) } : { event: value };
      }
      if (values.size !== undefined && values.size !== null) query.size = values.size;
      const answer = await ok(client.GET('/api/v1/audit/proofs/inclusion', { params: { query } }));
      const event = await readEvent(answer.seq);
      const suite = node.data?.suite ?? (await ok(client.GET('/api/v1/node'))).suite;
      if (suite === 'sm') return { answer, event, check: null, mode: 'server-sm' };
      if (!canHash()) return { answer, event, check: null, mode: 'no-crypto' };
      return { answer, event, check: await checkInclusion(answer, event), mode: 'browser' };
    },
    onError: (error) => {
      if (error instanceof ExchangeNotFound) {
        form.setFields([{ name: 'value', errors: [error.message] }]);
      } else if (error instanceof ApiError && (error.fieldPath === 'value' || error.fieldPath === 'event' || error.fieldPath === 'seq')) {
        form.setFields([{ name: 'value', errors: [errorText(error, t)] }]);
      } else if (error instanceof ApiError && error.fieldPath === 'size') {
        form.setFields([{ name: 'size', errors: [errorText(error, t)] }]);
      } else {
        showFieldError(form, error, errorText(error, t));
      }
    },
  });

  const { mutate } = lookup;
  useEffect(() => {
    if (!request) return;
    form.setFieldsValue({ by: 'event', value: request.value, size: null });
    mutate({ by: 'event', value: request.value });
  }, [request, form, mutate]);

  const result = lookup.data;
  const steps: { key: StepKey; result: StepResult }[] = result?.check
    ? [
        { key: 'leaf', result: result.check.leaf },
        { key: 'path', result: result.check.path },
        { key: 'checkpointRoot', result: result.check.checkpointRoot },
        { key: 'checkpointSize', result: result.check.checkpointSize },
      ]
    : [];

  return (
    <Card title={t('audit.proof.title')}>
      <Typography.Paragraph type="secondary">{t('audit.proof.subtitle')}</Typography.Paragraph>
      <Form<LookupValues> form={form} name="proof" layout="vertical" initialValues={{ by: 'event' }} onFinish={(values) => lookup.mutate(values)}>
        <Form.Item name="by" label={t('audit.proof.by')}>
          <Radio.Group
            options={[
              { value: 'event', label: t('audit.proof.byEvent') },
              { value: 'exchange', label: t('audit.proof.byExchange') },
            ]}
          />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} md={14}>
            <Form.Item
              name="value"
              label={t('audit.proof.value')}
              rules={[{ required: true, whitespace: true, pattern: /^\s*[A-Za-z0-9-]{1,64}\s*$/, message: t('audit.proof.valueRequired') }]}
            >
              <Input autoComplete="off" />
            </Form.Item>
          </Col>
          <Col xs={24} md={10}>
            <Form.Item name="size" label={t('audit.proof.size')}>
              <InputNumber min={1} precision={0} style={{ width: '100%' }} />
            </Form.Item>
          </Col>
        </Row>
        <Button type="primary" htmlType="submit" icon={<SearchOutlined />} loading={lookup.isPending} data-testid="proof-lookup">
          {t('audit.proof.lookup')}
        </Button>
      </Form>
      {lookup.error && !(lookup.error instanceof ExchangeNotFound) && !(lookup.error instanceof ApiError && lookup.error.fieldPath) ? (
        <div style={{ marginTop: 16 }}>
          <ErrorAlert error={lookup.error} />
        </div>
      ) : null}
      {result && !lookup.isPending ? (
        <Flex vertical gap={12} style={{ marginTop: 16 }} data-testid="proof-result">
          {result.mode === 'browser' && result.check ? (
            <Alert
              type={result.check.ok ? 'success' : 'error'}
              showIcon
              title={<span data-testid="proof-status">{result.check.ok ? t('audit.proof.verifiedBrowser') : t('audit.proof.failedBrowser')}</span>}
            />
          ) : (
            <Alert type="info" showIcon title={<span data-testid="proof-status">{result.mode === 'server-sm' ? t('audit.proof.verifiedServer') : t('audit.proof.noCrypto')}</span>} />
          )}
          {steps.length > 0 ? (
            <List
              size="small"
              bordered
              dataSource={steps}
              renderItem={(step) => (
                <List.Item data-testid={`proof-step-${step.key}`} data-result={step.result}>
                  <Flex gap={8} align="center">
                    <StepIcon result={step.result} />
                    <span>
                      {step.result === 'skip' && step.key === 'leaf'
                        ? t('audit.proof.steps.leafUnavailable')
                        : step.result === 'skip'
                          ? t('audit.proof.steps.noCheckpoint')
                          : t(`audit.proof.steps.${step.key}`)}
                    </span>
                  </Flex>
                </List.Item>
              )}
            />
          ) : null}
          <Descriptions styles={labelStyles} size="small" bordered column={1}>
            <Descriptions.Item label={t('audit.proof.seq')}>{formatNumber(result.answer.seq)}</Descriptions.Item>
            <Descriptions.Item label={t('audit.proof.eventId')}>
              <CopyableId value={result.answer.eventId} length={36} />
            </Descriptions.Item>
            <Descriptions.Item label={t('audit.proof.treeSize')}>{formatNumber(result.answer.size)}</Descriptions.Item>
            <Descriptions.Item label={t('audit.proof.leafHash')}>
              <CopyableId value={result.answer.leafHash} length={24} />
            </Descriptions.Item>
            <Descriptions.Item label={t('audit.proof.root')}>
              <CopyableId value={result.answer.root} length={24} />
            </Descriptions.Item>
            <Descriptions.Item label={t('audit.proof.path', { count: result.answer.proof.length })}>
              <Flex vertical gap={2}>
                {result.answer.proof.map((hash, index) => (
                  <Typography.Text key={`${index}-${hash}`} code style={{ fontSize: 12 }}>
                    {hash}
                  </Typography.Text>
                ))}
              </Flex>
            </Descriptions.Item>
            {result.answer.checkpoint ? (
              <Descriptions.Item label={t('audit.proof.checkpoint')}>
                <pre style={{ margin: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 12 }}>{result.answer.checkpoint}</pre>
              </Descriptions.Item>
            ) : null}
            {result.event ? (
              <Descriptions.Item label={t('audit.proof.event')}>
                <Typography.Text code>{result.event.type}</Typography.Text>
                <pre style={{ margin: '4px 0 0', whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 12 }}>{JSON.stringify(result.event.details, null, 2)}</pre>
              </Descriptions.Item>
            ) : null}
          </Descriptions>
        </Flex>
      ) : null}
    </Card>
  );
}
