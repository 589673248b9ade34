/**
 * One dataset: the core metadata of the cataloguing guide (code, name, provider, abstract,
 * information items, sharing type with condition and legal basis, update cycle, grade) and its
 * row count; for this node's own datasets, stewards import rows. A partner's dataset is shown
 * from the federation catalogue.
 */
import { ArrowLeftOutlined } from '@ant-design/icons';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Card, Collapse, Descriptions, Empty, Space, Spin, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { ApiError, client, ok, type paths } from '../../api/client';
import { useSession } from '../../auth/session';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';
import { ImportPanel } from './ImportPanel';
import { GradeTag, SharingTag } from './tags';

type Local = paths['/api/v1/catalog/datasets/{provider}/{slug}']['get']['responses']['200']['content']['application/json'];
type Published = paths['/api/v1/catalog/search']['get']['responses']['200']['content']['application/json']['datasets'][number];
type Item = Local['items'][number];

type Loaded = { kind: 'local'; dataset: Local } | { kind: 'federation'; dataset: Published } | { kind: 'missing' };

async function loadDataset(provider: string, slug: string): Promise<Loaded> {
  try {
    return { kind: 'local', dataset: await ok(client.GET('/api/v1/catalog/datasets/{provider}/{slug}', { params: { path: { provider, slug } } })) };
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) throw error;
  }
  // Not in this catalogue: look it up among what the provider published to the hub.
  const id = `${provider}/${slug}`;
  for (let offset = 0; ; offset += 200) {
    const page = await ok(client.GET('/api/v1/catalog/search', { params: { query: { provider, limit: 200, offset } } }));
    const found = page.datasets.find((dataset) => dataset.id === id);
    if (found) return { kind: 'federation', dataset: found };
    if (offset + page.datasets.length >= page.total || page.datasets.length === 0) return { kind: 'missing' };
  }
}

export function DatasetPage() {
  const { t } = useTranslation();
  const { provider = '', slug = '' } = useParams();
  const session = useSession();
  const queryClient = useQueryClient();
  const loaded = useQuery({ queryKey: ['catalog', 'dataset', provider, slug], queryFn: () => loadDataset(provider, slug) });

  const back = (
    <Link to="/catalog">
      <ArrowLeftOutlined /> {t('catalog.back')}
    </Link>
  );
  if (loaded.isLoading) return <Spin />;
  if (loaded.error) return <Space orientation="vertical">{back}<ErrorAlert error={loaded.error} onRetry={() => void loaded.refetch()} /></Space>;
  if (!loaded.data || loaded.data.kind === 'missing') {
    return (
      <Space orientation="vertical">
        {back}
        <Empty description={t('catalog.notFound', { id: `${provider}/${slug}` })} />
      </Space>
    );
  }

  const { dataset } = loaded.data;
  const local = loaded.data.kind === 'local' ? loaded.data.dataset : null;
  const itemColumns = [
    { title: t('catalog.itemName'), dataIndex: 'name', render: (name: string) => <Typography.Text code>{name}</Typography.Text> },
    { title: t('catalog.itemTitle'), dataIndex: 'title', render: (title?: string) => title ?? '—' },
    { title: t('catalog.itemType'), dataIndex: 'type', render: (type: Item['type']) => t(`catalog.itemTypes.${type}`) },
    { title: t('catalog.dataElement'), dataIndex: 'dataElement', render: (value?: string) => value ?? '—' },
    {
      title: t('catalog.keyField'),
      key: 'key',
      render: (_: unknown, item: Item) => (dataset.keyFields.includes(item.name) ? <Tag color="blue">{t('common.yes')}</Tag> : null),
    },
  ];

  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      {back}
      <div>
        <Typography.Title level={3} style={{ marginTop: 0 }} data-testid="dataset-name">
          {dataset.name}
        </Typography.Title>
        <Space wrap>
          <CopyableId value={dataset.id} length={48} />
          <SharingTag type={dataset.sharing.type} />
          <GradeTag grade={dataset.grade} />
        </Space>
      </div>
      {!local ? <Alert type="info" showIcon title={t('catalog.foreign')} /> : null}
      <Card title={t('catalog.metadata')}>
        <Descriptions bordered size="small" column={{ xs: 1, md: 2 }} data-testid="dataset-metadata">
          <Descriptions.Item label={t('catalog.code')}>{dataset.code}</Descriptions.Item>
          <Descriptions.Item label={t('catalog.name')}>{dataset.name}</Descriptions.Item>
          <Descriptions.Item label={t('catalog.provider')}>{`${dataset.providerName}（${dataset.provider}）`}</Descriptions.Item>
          <Descriptions.Item label={t('catalog.format')}>{dataset.format ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('catalog.abstract')} span={2}>{dataset.abstract}</Descriptions.Item>
          <Descriptions.Item label={t('catalog.sharing')}><SharingTag type={dataset.sharing.type} /></Descriptions.Item>
          <Descriptions.Item label={t('catalog.sharingMethod')}>{dataset.sharing.method ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('catalog.sharingCondition')}>{dataset.sharing.condition ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('catalog.legalBasis')}>{dataset.sharing.legalBasis ?? '—'}</Descriptions.Item>
          {dataset.open ? (
            <Descriptions.Item label={t('catalog.open')} span={2}>
              <SharingTag type={dataset.open.type} /> {dataset.open.condition ?? ''}
            </Descriptions.Item>
          ) : null}
          <Descriptions.Item label={t('catalog.updateCycle')}>{t(`catalog.updateCycles.${dataset.updateCycle}`)}</Descriptions.Item>
          <Descriptions.Item label={t('catalog.grade')}><GradeTag grade={dataset.grade} /></Descriptions.Item>
          <Descriptions.Item label={t('catalog.publishedOn')}>{dataset.publishedOn ?? '—'}</Descriptions.Item>
          <Descriptions.Item label={t('catalog.version')}>{formatNumber(dataset.version)}</Descriptions.Item>
          {local ? (
            <>
              <Descriptions.Item label={t('catalog.rows')}>
                <span data-testid="dataset-rows">{formatNumber(local.data.rows)}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('catalog.importedAt')}><Time value={local.data.importedAt} /></Descriptions.Item>
              <Descriptions.Item label={t('catalog.backing')}>
                {t(`catalog.backings.${local.backing}`)}
                {local.data.linkedTable ? <Typography.Text code style={{ marginInlineStart: 8 }}>{local.data.linkedTable}</Typography.Text> : null}
              </Descriptions.Item>
            </>
          ) : null}
          <Descriptions.Item label={t('catalog.updatedAt')}><Time value={dataset.updatedAt} /></Descriptions.Item>
          {dataset.related && dataset.related.length > 0 ? (
            <Descriptions.Item label={t('catalog.related')} span={2}>{dataset.related.join('、')}</Descriptions.Item>
          ) : null}
        </Descriptions>
      </Card>
      <Card title={t('catalog.items')}>
        <Table<Item> size="small" rowKey="name" columns={itemColumns} dataSource={[...dataset.items]} pagination={{ pageSize: 50, hideOnSinglePage: true }} />
      </Card>
      {local && local.backing === 'managed' && session.hasRole('steward') ? (
        <ImportPanel provider={provider} slug={slug} onImported={() => void queryClient.invalidateQueries({ queryKey: ['catalog'] })} />
      ) : null}
      <Collapse items={[{ key: 'json', label: t('catalog.document'), children: <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{JSON.stringify(dataset, null, 2)}</pre> }]} />
    </Space>
  );
}
