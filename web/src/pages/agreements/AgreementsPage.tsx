/** Every agreement version this node holds, with its state; importing one; asking what a request would get. */
import { PlusOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Card, Empty, Input, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { client, ok } from '../../api/client';
import { useSession } from '../../auth/session';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatDate } from '../../i18n/format';
import { CreateAgreement } from './CreateAgreement';
import { ExplainForm } from './ExplainForm';
import { stateColour, type AgreementState, type AgreementSummary } from './model';

const states: readonly AgreementState[] = ['draft', 'proposed', 'signed', 'active', 'suspended', 'expired', 'terminated', 'superseded'];

export function AgreementsPage() {
  const { t } = useTranslation();
  const session = useSession();
  const [creating, setCreating] = useState(false);
  const [filter, setFilter] = useState('');
  const agreements = useQuery({ queryKey: ['agreements', 'list'], queryFn: () => ok(client.GET('/api/v1/agreements')) });

  const rows = useMemo(() => {
    const words = filter.trim().toLowerCase();
    const all = agreements.data?.agreements ?? [];
    return words ? all.filter((agreement) => `${agreement.title} ${agreement.id}`.toLowerCase().includes(words)) : all;
  }, [agreements.data, filter]);
  const current = useMemo(() => {
    // The newest version of each agreement is the one most people ask about.
    const newest = new Map<string, AgreementSummary>();
    for (const agreement of agreements.data?.agreements ?? []) {
      const seen = newest.get(agreement.id);
      if (!seen || agreement.version > seen.version) newest.set(agreement.id, agreement);
    }
    const active = [...newest.values()].find((agreement) => agreement.state === 'active');
    return active ? `${active.id}@${active.version}` : undefined;
  }, [agreements.data]);

  const columns: TableColumnsType<AgreementSummary> = [
    {
      title: t('agreements.name'),
      dataIndex: 'title',
      sorter: (a, b) => a.title.localeCompare(b.title, 'zh-CN'),
      render: (title: string, agreement) => (
        <Link to={`/agreements/${agreement.id}?version=${agreement.version}`} data-testid="agreement-link">
          {title}
        </Link>
      ),
    },
    { title: t('agreements.id'), dataIndex: 'id', sorter: (a, b) => a.id.localeCompare(b.id), render: (id: string) => <CopyableId value={id} length={40} /> },
    { title: t('agreements.version'), dataIndex: 'version', align: 'right', sorter: (a, b) => a.version - b.version },
    {
      title: t('agreements.state'),
      dataIndex: 'state',
      filters: states.map((state) => ({ text: t(`agreements.states.${state}`), value: state })),
      onFilter: (value, agreement) => agreement.state === value,
      render: (state: AgreementState) => <Tag color={stateColour[state]}>{t(`agreements.states.${state}`)}</Tag>,
    },
    {
      title: t('agreements.parties'),
      key: 'parties',
      render: (_: unknown, agreement) => agreement.parties.map((party) => <Tag key={party.node}>{`${party.node} · ${t(`agreements.partyRoles.${party.role}`)}`}</Tag>),
    },
    {
      title: t('agreements.validity'),
      key: 'validity',
      sorter: (a, b) => a.validity.to.localeCompare(b.validity.to),
      render: (_: unknown, agreement) => t('agreements.validityRange', { from: formatDate(agreement.validity.from), to: formatDate(agreement.validity.to) }),
    },
    { title: t('agreements.signedBy'), dataIndex: 'signedBy', render: (signedBy: string[]) => (signedBy.length > 0 ? signedBy.join('、') : '—') },
    {
      title: t('agreements.updatedAt'),
      dataIndex: 'updatedAt',
      sorter: (a, b) => a.updatedAt.localeCompare(b.updatedAt),
      defaultSortOrder: 'descend',
      render: (value: string) => <Time value={value} />,
    },
  ];

  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <div>
        <Typography.Title level={3} style={{ marginTop: 0 }}>{t('agreements.title')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('agreements.subtitle')}</Typography.Paragraph>
      </div>
      <Card
        title={
          <Input.Search allowClear placeholder={t('agreements.searchPlaceholder')} onChange={(event) => setFilter(event.target.value)} style={{ maxWidth: 320 }} />
        }
        extra={
          session.hasRole('agreements') ? (
            <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)} data-testid="agreement-create">
              {t('agreements.create')}
            </Button>
          ) : null
        }
      >
        {agreements.error ? (
          <ErrorAlert error={agreements.error} onRetry={() => void agreements.refetch()} />
        ) : (
          <Table<AgreementSummary>
            data-testid="agreements-table"
            rowKey={(agreement) => `${agreement.id}@${agreement.version}`}
            loading={agreements.isLoading}
            columns={columns}
            dataSource={rows}
            scroll={{ x: 'max-content' }}
            pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: true }}
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('agreements.empty')} /> }}
          />
        )}
      </Card>
      {agreements.data && agreements.data.agreements.length > 0 ? <ExplainForm agreements={agreements.data.agreements} initial={current} /> : null}
      <CreateAgreement open={creating} onClose={() => setCreating(false)} />
    </Space>
  );
}
