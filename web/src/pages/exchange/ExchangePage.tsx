/**
 * Exchange (caseworker): ask a partner for data (`query`) or a yes/no (`verify`) under an active
 * agreement — partner, dataset, items, purposes and fields offered from the agreement's grants to
 * this node — and read the partner's signed answer or its refusal with the refusing clause. Below,
 * caseworkers issue citizen tokens for the person at the counter, and every request this node
 * sent (sync and async) is listed with a detail drawer.
 */
import { SendOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, AutoComplete, Button, Card, Col, Empty, Flex, Form, Input, Radio, Row, Select, Skeleton, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, client, ok, type paths } from '../../api/client';
import { useSession } from '../../auth/session';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { showFieldError } from '../../components/forms';
import { nodeLabel, useNodeNames } from '../citizen/nodeNames';
import { AnswerView, outcomeOfOutbound, type ShownOutcome } from './AnswerView';
import { CitizenTokenCard } from './CitizenTokenCard';
import { RequestList } from './RequestList';

type RequestBody = paths['/api/v1/exchange/requests']['post']['requestBody']['content']['application/json'];
type Summary = paths['/api/v1/agreements']['get']['responses']['200']['content']['application/json']['agreements'][number];

/** The parts of an agreement document this screen reads (see GET /api/v1/agreements/schema.json). */
interface Grant {
  readonly to: string;
  readonly items: readonly string[];
  readonly purposes: readonly string[];
  readonly query?: readonly string[];
  readonly verify?: readonly string[];
  readonly mask?: Readonly<Record<string, string>>;
}
interface AgreementDocument {
  readonly parties: readonly { node: string; role: string; name?: string }[];
  readonly datasets: readonly { dataset: string; sharing: string; grants: readonly Grant[] }[];
}

interface FormValues {
  agreement?: string;
  to?: string;
  dataset?: string;
  item?: string;
  purpose?: string;
  op: 'query' | 'verify';
  keyField: string;
  keyValue?: string;
  fields?: string[];
  predicateField?: string;
  predicateEquals?: string;
  case?: string;
  route: 'bridge' | 'radial';
  delivery: 'now' | 'outbox';
}

const fieldPattern = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const unique = (values: readonly string[]) => [...new Set(values)];

export function ExchangePage() {
  const { t } = useTranslation();
  const session = useSession();
  // The roles holding exchange.request; others (administrators, auditors) read the audit log instead.
  const mayRequest = session.hasRole('caseworker', 'agreements');
  if (session.me && !mayRequest) {
    return (
      <Flex vertical gap={16}>
        <Typography.Title level={3} style={{ marginTop: 0 }}>{t('exchange.title')}</Typography.Title>
        <Alert type="info" showIcon title={t('exchange.notPermitted')} data-testid="exchange-not-permitted" />
      </Flex>
    );
  }
  return <ExchangeWorkspace />;
}

function ExchangeWorkspace() {
  const { t } = useTranslation();
  const session = useSession();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<FormValues>();
  const [outcome, setOutcome] = useState<ShownOutcome | null>(null);
  const [pageError, setPageError] = useState<unknown>(null);
  const [queuedId, setQueuedId] = useState<string | null>(null);

  const node = useQuery({ queryKey: ['node'], queryFn: () => ok(client.GET('/api/v1/node')) });
  const names = useNodeNames();
  const agreements = useQuery({ queryKey: ['agreements'], queryFn: () => ok(client.GET('/api/v1/agreements')) });
  const me = node.data?.code;

  const usable: Summary[] = useMemo(
    () =>
      (agreements.data?.agreements ?? []).filter(
        (agreement) => agreement.state === 'active' && agreement.parties.some((party) => party.node === me && party.role !== 'provider'),
      ),
    [agreements.data, me],
  );

  const agreementRef = Form.useWatch('agreement', form);
  const to = Form.useWatch('to', form);
  const datasetId = Form.useWatch('dataset', form);
  const op = Form.useWatch('op', form) ?? 'query';

  const chosen = usable.find((agreement) => `${agreement.id}@${agreement.version}` === agreementRef);
  const detail = useQuery({
    queryKey: ['agreement', chosen?.id, chosen?.version],
    enabled: !!chosen,
    queryFn: () => ok(client.GET('/api/v1/agreements/{id}', { params: { path: { id: chosen!.id }, query: { version: chosen!.version } } })),
  });
  const document = detail.data?.document as AgreementDocument | undefined;

  const partners: readonly { node: string; role: string; name?: string }[] = (document?.parties ?? chosen?.parties ?? []).filter((party) => party.node !== me && party.role !== 'requester');
  const datasets = (document?.datasets ?? []).filter((clause) => (!to || clause.dataset.startsWith(`${to}/`)) && clause.grants.some((grant) => grant.to === me));
  const grants = (document?.datasets.find((clause) => clause.dataset === datasetId)?.grants ?? []).filter((grant) => grant.to === me);
  const items = unique(grants.flatMap((grant) => grant.items));
  const purposes = unique(grants.flatMap((grant) => grant.purposes));
  const queryFields = unique(grants.flatMap((grant) => grant.query ?? []));
  const verifyFields = unique(grants.flatMap((grant) => [...(grant.verify ?? []), ...(grant.query ?? [])]));
  const masks = Object.assign({}, ...grants.map((grant) => grant.mask ?? {})) as Record<string, string>;

  // Pick the only choice when there is just one, so a caseworker does not click through the obvious.
  useEffect(() => {
    if (!agreementRef && usable.length === 1) form.setFieldValue('agreement', `${usable[0]!.id}@${usable[0]!.version}`);
  }, [agreementRef, usable, form]);
  useEffect(() => {
    if (document && !to && partners.length === 1) form.setFieldValue('to', partners[0]!.node);
  }, [document, to, partners, form]);

  // Outbox requests: follow the row until it is answered, refused or given up.
  const queued = useQuery({
    queryKey: ['exchange-request', queuedId],
    enabled: !!queuedId,
    queryFn: () => ok(client.GET('/api/v1/exchange/requests/{id}', { params: { path: { id: queuedId! } } })),
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === 'queued' || status === 'delivering' || !status ? 1000 : false;
    },
  });
  useEffect(() => {
    if (!queued.data) return;
    setOutcome(outcomeOfOutbound(queued.data));
    if (!['queued', 'delivering'].includes(queued.data.status)) void queryClient.invalidateQueries({ queryKey: ['exchange-requests'] });
  }, [queued.data, queryClient]);

  const send = useMutation({
    mutationFn: async (values: FormValues): Promise<{ status: number; data: unknown }> => {
      const body: RequestBody = {
        to: values.to!,
        op: values.op,
        agreement: values.agreement!,
        item: values.item!.trim(),
        purpose: values.purpose!.trim(),
        dataset: values.dataset!,
        key: { [values.keyField.trim()]: values.keyValue!.trim() },
        route: values.route,
        ...(values.case?.trim() ? { case: values.case.trim() } : {}),
        ...(values.op === 'query' ? { fields: values.fields ?? [] } : {}),
        ...(values.op === 'verify' && values.predicateField ? { predicate: { field: values.predicateField, equals: values.predicateEquals ?? '' } } : {}),
        ...(values.delivery === 'outbox' ? { async: true } : {}),
      };
      const { data, error, response } = await client.POST('/api/v1/exchange/requests', { body });
      // ok() turns a refusal into an ApiError carrying the code and the refusing clause.
      if (!response.ok) await ok(Promise.resolve({ data, error, response }));
      return { status: response.status, data };
    },
    onMutate: () => {
      setOutcome(null);
      setPageError(null);
      setQueuedId(null);
    },
    // Sync requests are listed too, answered or refused: refresh the list whatever happened.
    onSettled: () => void queryClient.invalidateQueries({ queryKey: ['exchange-requests'] }),
    onSuccess: (answer) => {
      const data = answer.data as Record<string, unknown>;
      if (answer.status === 202) {
        const row = data as Parameters<typeof outcomeOfOutbound>[0];
        setOutcome(outcomeOfOutbound(row));
        setQueuedId(row.id);
        void queryClient.invalidateQueries({ queryKey: ['exchange-requests'] });
        return;
      }
      const sync = data as paths['/api/v1/exchange/requests']['post']['responses']['200']['content']['application/json'];
      setOutcome({
        requestId: sync.id,
        route: sync.route,
        status: sync.status === 'denied' ? 'denied' : 'ok',
        decision: sync.decision,
        ...(sync.records ? { records: sync.records } : {}),
        ...(sync.result !== undefined ? { result: sync.result } : {}),
        evidence: sync.evidence as ShownOutcome['evidence'],
        timings: sync.timings,
      });
    },
    onError: (error) => {
      if (error instanceof ApiError && error.status < 500 && typeof error.details?.clause === 'string') {
        setOutcome({ status: 'denied', refusal: error });
        return;
      }
      const path = error instanceof ApiError ? error.fieldPath : undefined;
      const mapped = path === 'predicate' ? 'predicateField' : path?.startsWith('key') ? 'keyValue' : undefined;
      if (mapped) {
        form.setFields([{ name: mapped, errors: [errorText(error, t)] }]);
        return;
      }
      if (showFieldError(form, error, errorText(error, t))) return;
      // Bad input stays with the form; refusals and an unreachable partner are the request's outcome.
      if (error instanceof ApiError && error.status !== 400 && error.status !== 0) setOutcome({ status: error.status >= 500 ? 'failed' : 'denied', refusal: error });
      else setPageError(error);
    },
  });

  const hint = (values: readonly string[]) => (values.length > 0 ? t('exchange.form.grantHint', { values: values.join('、') }) : undefined);

  const loading = node.isPending || agreements.isPending;
  const loadError = node.error ?? agreements.error;

  return (
    <Flex vertical gap={16}>
      <div>
        <Typography.Title level={3} style={{ marginTop: 0 }}>{t('exchange.title')}</Typography.Title>
        <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>{t('exchange.subtitle')}</Typography.Paragraph>
      </div>
      <Row gutter={[16, 16]}>
        <Col xs={24} xl={12}>
          <Card title={t('exchange.form.title')}>
            {loadError ? (
              <ErrorAlert error={loadError} onRetry={() => void Promise.all([node.refetch(), agreements.refetch()])} />
            ) : loading ? (
              <Skeleton active paragraph={{ rows: 8 }} />
            ) : usable.length === 0 ? (
              <Empty description={t('exchange.form.noAgreements')} data-testid="exchange-no-agreements" />
            ) : (
              <Form<FormValues>
                form={form}
                name="exchange"
                layout="vertical"
                initialValues={{ op: 'query', keyField: 'idNumber', route: 'bridge', delivery: 'now' }}
                onFinish={(values) => send.mutate(values)}
                onValuesChange={(changed: Partial<FormValues>) => {
                  if ('agreement' in changed) form.setFieldsValue({ to: undefined, dataset: undefined, item: undefined, purpose: undefined, fields: [], predicateField: undefined });
                  if ('to' in changed) form.setFieldsValue({ dataset: undefined, fields: [], predicateField: undefined });
                  if ('dataset' in changed) form.setFieldsValue({ fields: [], predicateField: undefined });
                }}
              >
                {pageError ? <div style={{ marginBottom: 16 }}><ErrorAlert error={pageError} /></div> : null}
                <Form.Item name="agreement" label={t('exchange.form.agreement')} rules={[{ required: true, message: t('exchange.form.agreementRequired') }]}>
                  <Select
                    showSearch={{ optionFilterProp: 'label' }}
                    placeholder={t('exchange.form.agreementPlaceholder')}
                    options={usable.map((agreement) => ({ value: `${agreement.id}@${agreement.version}`, label: `${agreement.title}（${agreement.id}@${agreement.version}）` }))}
                  />
                </Form.Item>
                {detail.error ? <ErrorAlert error={detail.error} onRetry={() => void detail.refetch()} /> : null}
                <Row gutter={12}>
                  <Col span={12}>
                    <Form.Item name="to" label={t('exchange.form.partner')} rules={[{ required: true, message: t('exchange.form.partnerRequired') }]}>
                      <Select loading={detail.isFetching} options={partners.map((party) => ({ value: party.node, label: party.name ? `${party.name}（${party.node}）` : nodeLabel(names, party.node) }))} />
                    </Form.Item>
                  </Col>
                  <Col span={12}>
                    <Form.Item name="dataset" label={t('exchange.form.dataset')} rules={[{ required: true, message: t('exchange.form.datasetRequired') }]}>
                      <Select loading={detail.isFetching} options={datasets.map((clause) => ({ value: clause.dataset, label: clause.dataset }))} />
                    </Form.Item>
                  </Col>
                </Row>
                <Row gutter={12}>
                  <Col span={12}>
                    <Form.Item name="item" label={t('exchange.form.item')} extra={hint(items)} rules={[{ required: true, whitespace: true, max: 100, message: t('exchange.form.itemRequired') }]}>
                      <AutoComplete options={items.map((value) => ({ value }))} />
                    </Form.Item>
                  </Col>
                  <Col span={12}>
                    <Form.Item name="purpose" label={t('exchange.form.purpose')} extra={hint(purposes)} rules={[{ required: true, whitespace: true, max: 100, message: t('exchange.form.purposeRequired') }]}>
                      <AutoComplete options={purposes.map((value) => ({ value }))} />
                    </Form.Item>
                  </Col>
                </Row>
                <Form.Item name="op" label={t('exchange.form.op')}>
                  <Radio.Group
                    options={[
                      { value: 'query', label: t('exchange.form.opQuery') },
                      { value: 'verify', label: t('exchange.form.opVerify') },
                    ]}
                  />
                </Form.Item>
                <Row gutter={12}>
                  <Col span={8}>
                    <Form.Item
                      name="keyField"
                      label={t('exchange.form.keyField')}
                      rules={[
                        { required: true, message: t('exchange.form.keyFieldRequired') },
                        { pattern: fieldPattern, message: t('exchange.form.keyFieldFormat') },
                      ]}
                    >
                      <Input />
                    </Form.Item>
                  </Col>
                  <Col span={16}>
                    <Form.Item name="keyValue" label={t('exchange.form.keyValue')} rules={[{ required: true, whitespace: true, max: 256, message: t('exchange.form.keyValueRequired') }]}>
                      <Input placeholder={t('exchange.form.keyValuePlaceholder')} autoComplete="off" />
                    </Form.Item>
                  </Col>
                </Row>
                {op === 'query' ? (
                  <Form.Item
                    name="fields"
                    label={t('exchange.form.fields')}
                    extra={t('exchange.form.fieldsHelp')}
                    rules={[
                      { required: true, type: 'array', min: 1, message: t('exchange.form.fieldsRequired') },
                      { validator: (_, value: string[] | undefined) => ((value ?? []).every((field) => fieldPattern.test(field)) ? Promise.resolve() : Promise.reject(new Error(t('exchange.form.keyFieldFormat')))) },
                    ]}
                  >
                    <Select mode="tags" options={queryFields.map((value) => ({ value, label: value }))} tokenSeparators={[',', ' ']} />
                  </Form.Item>
                ) : (
                  <Row gutter={12}>
                    <Col span={12}>
                      <Form.Item name="predicateField" label={t('exchange.form.predicateField')} extra={t('exchange.form.predicateFieldHelp')}>
                        <Select allowClear options={verifyFields.map((value) => ({ value, label: value }))} />
                      </Form.Item>
                    </Col>
                    <Col span={12}>
                      <Form.Item
                        name="predicateEquals"
                        label={t('exchange.form.predicateEquals')}
                        dependencies={['predicateField']}
                        rules={[({ getFieldValue }) => ({ required: !!getFieldValue('predicateField'), message: t('exchange.form.predicateEqualsRequired') })]}
                      >
                        <Input placeholder="true" />
                      </Form.Item>
                    </Col>
                  </Row>
                )}
                <Form.Item name="case" label={t('exchange.form.case')} rules={[{ max: 100 }]}>
                  <Input />
                </Form.Item>
                <Row gutter={12}>
                  <Col span={12}>
                    <Form.Item name="route" label={t('exchange.form.route')}>
                      <Radio.Group
                        options={[
                          { value: 'bridge', label: t('exchange.form.routeBridge') },
                          { value: 'radial', label: t('exchange.form.routeRadial') },
                        ]}
                      />
                    </Form.Item>
                  </Col>
                  <Col span={12}>
                    <Form.Item name="delivery" label={t('exchange.form.delivery')}>
                      <Radio.Group
                        options={[
                          { value: 'now', label: t('exchange.form.deliveryNow') },
                          { value: 'outbox', label: t('exchange.form.deliveryOutbox') },
                        ]}
                      />
                    </Form.Item>
                  </Col>
                </Row>
                <Flex gap={8}>
                  <Button type="primary" htmlType="submit" icon={<SendOutlined />} loading={send.isPending} data-testid="exchange-submit">
                    {t('exchange.form.submit')}
                  </Button>
                  <Button
                    onClick={() => {
                      form.resetFields();
                      setOutcome(null);
                      setPageError(null);
                      setQueuedId(null);
                    }}
                  >
                    {t('exchange.form.reset')}
                  </Button>
                </Flex>
              </Form>
            )}
          </Card>
        </Col>
        <Col xs={24} xl={12}>
          <Card title={t('exchange.answer.title')} data-testid="exchange-outcome">
            {send.isPending ? (
              <Skeleton active />
            ) : queued.error ? (
              <ErrorAlert error={queued.error} onRetry={() => void queued.refetch()} />
            ) : outcome ? (
              <AnswerView outcome={outcome} masks={masks} />
            ) : (
              <Empty description={t('exchange.answer.empty')} />
            )}
          </Card>
        </Col>
      </Row>
      {session.hasRole('caseworker') ? <CitizenTokenCard /> : null}
      <RequestList />
    </Flex>
  );
}
