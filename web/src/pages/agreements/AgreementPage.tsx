/**
 * One agreement version read as a document, its versions and who signed which, its history,
 * standing approvals and deliveries; lifecycle actions by role, each confirmed first; and
 * "what would this request get?" for this version. The JSON is in a collapsible panel.
 */
import { ArrowLeftOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Collapse, Descriptions, Empty, Form, Input, Modal, Space, Spin, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams, useSearchParams } from 'react-router';
import { client, ok } from '../../api/client';
import { useSession } from '../../auth/session';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';
import { AgreementDocumentView } from './AgreementDocument';
import { ExplainForm } from './ExplainForm';
import { documentOf, stateColour, type AgreementDetail, type AgreementState, type AgreementSummary } from './model';

type Action = 'propose' | 'sign' | 'activate' | 'suspend' | 'reinstate' | 'terminate';
const finalStates: readonly AgreementState[] = ['expired', 'terminated', 'superseded'];
const withReason: readonly Action[] = ['suspend', 'reinstate', 'terminate'];

/** The lifecycle actions the state allows; the server checks roles and states again. */
function availableActions(agreement: AgreementDetail, me: string | undefined): Action[] {
  const actions: Action[] = [];
  if (agreement.state === 'draft') actions.push('propose');
  const party = agreement.parties.some((candidate) => candidate.node === me);
  if (agreement.state === 'proposed' && party && me && !agreement.signedBy.includes(me)) actions.push('sign');
  if (agreement.state === 'signed') actions.push('activate');
  if (agreement.state === 'active') actions.push('suspend');
  if (agreement.state === 'suspended') actions.push('reinstate');
  if (!finalStates.includes(agreement.state)) actions.push('terminate');
  return actions;
}

export function AgreementPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { id = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const version = params.get('version') ? Number(params.get('version')) : undefined;
  const session = useSession();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState<Action | null>(null);
  const [form] = Form.useForm<{ reason?: string }>();

  const node = useQuery({ queryKey: ['node'], queryFn: () => ok(client.GET('/api/v1/node')) });
  const detail = useQuery({
    queryKey: ['agreements', 'detail', id, version],
    queryFn: () => ok(client.GET('/api/v1/agreements/{id}', { params: { path: { id }, query: version ? { version } : {} } })),
  });
  const list = useQuery({ queryKey: ['agreements', 'list'], queryFn: () => ok(client.GET('/api/v1/agreements')) });

  const act = useMutation({
    mutationFn: ({ action, reason }: { action: Action; reason?: string }) =>
      ok(
        client.POST(`/api/v1/agreements/{id}/${action}`, {
          params: { path: { id } },
          body: { ...(detail.data ? { version: detail.data.version } : {}), ...(reason ? { reason } : {}) },
        }),
      ),
    onSuccess: (result, { action }) => {
      void message.success(t('agreements.actionDone', { action: t(`agreements.actions.${action}`), state: t(`agreements.states.${result.agreement.state}`) }));
      const failed = result.deliveries.filter((delivery) => delivery.status !== 'delivered').length;
      if (failed > 0) void message.warning(t('agreements.deliveryFailed', { count: failed }));
      setPending(null);
      form.resetFields();
      void queryClient.invalidateQueries({ queryKey: ['agreements'] });
    },
  });

  const back = (
    <Link to="/agreements">
      <ArrowLeftOutlined /> {t('agreements.back')}
    </Link>
  );
  if (detail.isLoading) return <Spin />;
  if (detail.error || !detail.data) {
    return (
      <Space orientation="vertical">
        {back}
        {detail.error ? <ErrorAlert error={detail.error} onRetry={() => void detail.refetch()} /> : <Empty description={t('agreements.notFound')} />}
      </Space>
    );
  }

  const agreement = detail.data;
  const document = documentOf(agreement);
  const canManage = session.hasRole('agreements');
  const actions = canManage ? availableActions(agreement, node.data?.code) : [];
  const versions: AgreementSummary[] = (list.data?.agreements ?? []).filter((candidate) => candidate.id === id).sort((a, b) => b.version - a.version);

  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      {back}
      <div>
        <Typography.Title level={3} style={{ marginTop: 0 }} data-testid="agreement-title">{agreement.title}</Typography.Title>
        <Space wrap>
          <CopyableId value={agreement.id} length={48} />
          <Tag>{t('agreements.versionN', { version: agreement.version })}</Tag>
          <Tag color={stateColour[agreement.state]} data-testid="agreement-state">{t(`agreements.states.${agreement.state}`)}</Tag>
          {agreement.supersededBy !== null ? <Tag>{t('agreements.supersededBy', { version: agreement.supersededBy })}</Tag> : null}
        </Space>
      </div>

      <Card
        size="small"
        title={t('common.actions')}
        extra={
          <Space wrap>
            {actions.map((action) => (
              <Button
                key={action}
                type={action === 'terminate' || action === 'suspend' ? 'default' : 'primary'}
                danger={action === 'terminate'}
                onClick={() => setPending(action)}
                data-testid={`agreement-${action}`}
              >
                {t(`agreements.actions.${action}`)}
              </Button>
            ))}
          </Space>
        }
      >
        <Descriptions size="small" column={{ xs: 1, md: 3 }}>
          <Descriptions.Item label={t('agreements.hash')}>
            <CopyableId value={agreement.hash} length={16} /> <Typography.Text type="secondary">{agreement.hashAlg}</Typography.Text>
          </Descriptions.Item>
          <Descriptions.Item label={t('agreements.proposedBy')}>{agreement.proposedBy ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('agreements.signedBy')}>{agreement.signedBy.length > 0 ? agreement.signedBy.join('、') : '—'}</Descriptions.Item>
          <Descriptions.Item label={t('agreements.updatedAt')}><Time value={agreement.updatedAt} /></Descriptions.Item>
        </Descriptions>
      </Card>

      <Card title={t('agreements.document')}>
        {document ? <AgreementDocumentView document={document} /> : <Alert type="warning" showIcon title={t('agreements.notFound')} />}
        <Collapse
          style={{ marginTop: 16 }}
          items={[{ key: 'json', label: t('agreements.json'), children: <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }} data-testid="agreement-json">{JSON.stringify(agreement.document, null, 2)}</pre> }]}
        />
      </Card>

      <Card title={t('agreements.versions')}>
        <Table<AgreementSummary>
          size="small"
          rowKey="version"
          loading={list.isLoading}
          dataSource={versions}
          pagination={false}
          rowClassName={(row) => (row.version === agreement.version ? 'ant-table-row-selected' : '')}
          columns={[
            {
              title: t('agreements.version'),
              dataIndex: 'version',
              render: (value: number) =>
                value === agreement.version ? (
                  <strong>{t('agreements.versionN', { version: value })}</strong>
                ) : (
                  <Button type="link" size="small" onClick={() => setParams({ version: String(value) })}>{t('agreements.versionN', { version: value })}</Button>
                ),
            },
            { title: t('agreements.state'), dataIndex: 'state', render: (state: AgreementState) => <Tag color={stateColour[state]}>{t(`agreements.states.${state}`)}</Tag> },
            { title: t('agreements.signedBy'), dataIndex: 'signedBy', render: (signedBy: string[]) => (signedBy.length > 0 ? signedBy.join('、') : '—') },
            { title: t('agreements.hash'), dataIndex: 'hash', render: (hash: string) => <CopyableId value={hash} length={16} /> },
            { title: t('agreements.updatedAt'), dataIndex: 'updatedAt', render: (value: string) => <Time value={value} /> },
          ]}
        />
        <Typography.Title level={5} style={{ marginTop: 16 }}>
          {t('agreements.signatures')} · {t('agreements.versionN', { version: agreement.version })}
        </Typography.Title>
        <Table
          size="small"
          data-testid="agreement-signatures"
          rowKey={(signature) => `${signature.party}:${signature.kid}`}
          dataSource={agreement.signatures}
          pagination={false}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('agreements.noSignatures')} /> }}
          columns={[
            { title: t('agreements.party'), dataIndex: 'party' },
            { title: t('agreements.kid'), dataIndex: 'kid', render: (kid: string) => <CopyableId value={kid} length={36} /> },
            { title: t('agreements.hashAlg'), dataIndex: 'hashAlg' },
            { title: t('agreements.hash'), dataIndex: 'hash', render: (hash: string) => <CopyableId value={hash} length={16} /> },
            { title: t('agreements.signedAt'), dataIndex: 'signedAt', render: (value: string) => <Time value={value} /> },
            { title: t('agreements.receivedAt'), dataIndex: 'receivedAt', render: (value: string) => <Time value={value} /> },
          ]}
        />
      </Card>

      <Card title={t('agreements.history')}>
        <Table
          size="small"
          rowKey={(transition) => `${transition.at}:${transition.to}`}
          dataSource={agreement.transitions}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          columns={[
            { title: t('agreements.at'), dataIndex: 'at', render: (value: string) => <Time value={value} /> },
            { title: t('agreements.from'), dataIndex: 'from', render: (state: AgreementState | null) => (state ? t(`agreements.states.${state}`) : '—') },
            { title: t('agreements.to'), dataIndex: 'to', render: (state: AgreementState) => <Tag color={stateColour[state]}>{t(`agreements.states.${state}`)}</Tag> },
            { title: t('agreements.actor'), dataIndex: 'actor' },
            { title: t('agreements.reason'), dataIndex: 'reason', render: (reason: string | null) => reason ?? '—' },
          ]}
        />
      </Card>

      {agreement.approvals.length > 0 ? (
        <Card title={t('agreements.approvals')}>
          <Table
            size="small"
            rowKey="id"
            dataSource={agreement.approvals}
            pagination={false}
            columns={[
              { title: 'ID', dataIndex: 'id', render: (value: string) => <CopyableId value={value} /> },
              { title: t('agreements.dataset'), dataIndex: 'dataset' },
              { title: t('agreements.grantTo'), dataIndex: 'requester' },
              { title: t('agreements.grantItems'), dataIndex: 'items', render: (items: string[] | null) => items?.join('、') ?? '—' },
              { title: t('agreements.purposes'), dataIndex: 'purposes', render: (purposes: string[] | null) => purposes?.join('、') ?? '—' },
              { title: t('agreements.validFrom'), dataIndex: 'validFrom', render: (value: string) => <Time value={value} /> },
              { title: t('agreements.validTo'), dataIndex: 'validTo', render: (value: string) => <Time value={value} /> },
            ]}
          />
        </Card>
      ) : null}

      {agreement.deliveries.length > 0 ? (
        <Card title={t('agreements.deliveries')}>
          <Table
            size="small"
            rowKey="id"
            dataSource={agreement.deliveries}
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            columns={[
              { title: t('agreements.deliveryKind'), dataIndex: 'kind', render: (kind: string) => t(`agreements.deliveryKinds.${kind}`, { defaultValue: kind }) },
              { title: t('agreements.deliveryTo'), dataIndex: 'to' },
              { title: t('agreements.deliveryStatus'), dataIndex: 'status', render: (status: string) => <Tag color={status === 'delivered' ? 'success' : status === 'failed' ? 'error' : 'processing'}>{t(`agreements.deliveryStatuses.${status}`, { defaultValue: status })}</Tag> },
              { title: t('agreements.attempts'), dataIndex: 'attempts', render: (value: number) => formatNumber(value) },
              { title: t('agreements.lastError'), dataIndex: 'lastError', render: (value: string | null) => value ?? '—' },
            ]}
          />
        </Card>
      ) : null}

      <ExplainForm agreements={list.data?.agreements ?? [agreement]} initial={`${agreement.id}@${agreement.version}`} />

      <Modal
        open={pending !== null}
        title={pending ? t(`agreements.actions.${pending}`) : ''}
        okText={pending ? t(`agreements.actions.${pending}`) : ''}
        okButtonProps={{ danger: pending === 'terminate', loading: act.isPending, 'data-testid': 'agreement-confirm' } as never}
        onOk={() => form.submit()}
        onCancel={() => {
          setPending(null);
          act.reset();
          form.resetFields();
        }}
        // Rendered from the start and kept mounted between actions (reset instead), so the form
        // exists whenever a confirmation comes.
        forceRender
      >
        <Typography.Paragraph>{pending ? t(`agreements.confirm.${pending}`, { version: agreement.version }) : ''}</Typography.Paragraph>
        <Form form={form} layout="vertical" name="agreement-action" onFinish={(values) => pending && act.mutate({ action: pending, ...(values.reason?.trim() ? { reason: values.reason.trim() } : {}) })}>
          {pending && withReason.includes(pending) ? (
            <Form.Item
              name="reason"
              label={t('agreements.actionReason')}
              rules={[{ required: pending !== 'reinstate', whitespace: true, max: 500, message: t('agreements.actionReasonRequired') }]}
            >
              <Input.TextArea rows={3} maxLength={500} showCount />
            </Form.Item>
          ) : null}
        </Form>
        {act.error ? <ErrorAlert error={act.error} /> : null}
      </Modal>
    </Space>
  );
}
