/**
 * Data quality overview: this node's datasets (paginated on the server by the catalogue) with
 * each one's latest overall and per-dimension scores; a steward can run a check from here.
 */
import { ReloadOutlined } from '@ant-design/icons';
import { useQuery } from '@tanstack/react-query';
import { Button, Card, Empty, Input, Skeleton, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { client, ok, type paths } from '../../api/client';
import { serverPagination } from '../../components/pagination';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';
import { dimensionKeys, ScoreBar, StatusTag, useScore, type DimensionKey } from './shared';

type Dataset = paths['/api/v1/catalog/datasets']['get']['responses']['200']['content']['application/json']['datasets'][number];

function slugOf(dataset: Dataset): string {
  return dataset.id.includes('/') ? dataset.id.slice(dataset.id.indexOf('/') + 1) : dataset.id;
}

/** One cell of a dataset's latest score; cells of the same row share one request. */
function ScoreCell({ dataset, show }: { dataset: Dataset; show: 'overall' | 'status' | DimensionKey }) {
  const { t } = useTranslation();
  const score = useScore(dataset.provider, slugOf(dataset));
  if (score.isPending) return <Skeleton.Button active size="small" style={{ width: 60 }} />;
  if (score.isError) return <Typography.Text type="danger" title={String(score.error)}>—</Typography.Text>;
  const latest = score.data.latest;
  if (!latest) return show === 'overall' ? <Typography.Text type="secondary">{dataset.data.rows === null ? t('quality.noData') : t('quality.notRun')}</Typography.Text> : <>—</>;
  if (show === 'overall') return <ScoreBar score={latest.scores.overall} />;
  if (show === 'status') {
    return (
      <Space orientation="vertical" size={0}>
        <StatusTag status={latest.status} />
        <Typography.Text type="secondary" style={{ fontSize: 12 }}>
          <Time value={latest.finishedAt} />
        </Typography.Text>
      </Space>
    );
  }
  const value = latest.scores.dimensions[show];
  return value === null ? <Typography.Text type="secondary">{t('quality.dimensionNone')}</Typography.Text> : <span style={{ fontVariantNumeric: 'tabular-nums' }}>{formatNumber(value, 1)}</span>;
}

/** The search box and refresh button above a server-paged list of datasets. */
function ListToolbar({ list, onSearch }: { list: { refetch(): unknown; isFetching: boolean }; onSearch: (query: string) => void }) {
  const { t } = useTranslation();
  return (
    <Space style={{ marginBottom: 16, width: '100%', justifyContent: 'space-between' }}>
      <Input.Search
        allowClear
        placeholder={t('quality.searchPlaceholder')}
        aria-label={t('quality.searchPlaceholder')}
        style={{ width: 320 }}
        onSearch={(value) => onSearch(value.trim())}
      />
      <Button icon={<ReloadOutlined />} onClick={() => void list.refetch()} loading={list.isFetching}>
        {t('common.refresh')}
      </Button>
    </Space>
  );
}

function OwnDatasets() {
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  const [page, setPage] = useState({ current: 1, pageSize: 20 });
  const datasets = useQuery({
    queryKey: ['catalog-datasets', query, page.current, page.pageSize],
    queryFn: () =>
      ok(client.GET('/api/v1/catalog/datasets', { params: { query: { limit: page.pageSize, offset: (page.current - 1) * page.pageSize, ...(query ? { q: query } : {}) } } })),
    placeholderData: (previous) => previous,
  });

  return (
    <>
      <ListToolbar
        list={datasets}
        onSearch={(value) => {
          setQuery(value);
          setPage((current) => ({ ...current, current: 1 }));
        }}
      />
      {datasets.isError ? (
        <ErrorAlert error={datasets.error} onRetry={() => void datasets.refetch()} />
      ) : datasets.isPending ? (
        <Skeleton active paragraph={{ rows: 6 }} />
      ) : (
        <Table<Dataset>
          rowKey="id"
          data-testid="quality-datasets"
          dataSource={datasets.data.datasets}
          loading={datasets.isFetching && datasets.isPlaceholderData}
          scroll={{ x: 1150 }}
          locale={{ emptyText: <Empty description={query ? t('common.empty') : t('quality.emptyDatasets')} /> }}
          pagination={serverPagination({
            ...page,
            total: datasets.data.total,
            label: (count, total) => t('quality.total', { count, total }),
            onChange: (current, pageSize) => setPage({ current, pageSize }),
          })}
          columns={[
            {
              title: t('quality.dataset'),
              key: 'name',
              fixed: 'left',
              width: 210,
              render: (_, dataset) => (
                <Space orientation="vertical" size={0}>
                  <Link to={`/quality/${dataset.provider}/${slugOf(dataset)}`} data-testid={`quality-open-${slugOf(dataset)}`}>{dataset.name}</Link>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {dataset.providerName} · {dataset.code}
                  </Typography.Text>
                </Space>
              ),
            },
            {
              title: t('quality.rows'),
              key: 'rows',
              align: 'right',
              width: 90,
              render: (_, dataset) => formatNumber(dataset.data.rows),
            },
            { title: t('quality.overall'), key: 'overall', width: 140, render: (_, dataset) => <ScoreCell dataset={dataset} show="overall" /> },
            ...dimensionKeys.map((dimension) => ({
              title: t(`quality.dimensions.${dimension}`),
              key: dimension,
              align: 'right' as const,
              width: 84,
              render: (_: unknown, dataset: Dataset) => <ScoreCell dataset={dataset} show={dimension} />,
            })),
            { title: t('quality.lastRun'), key: 'status', width: 170, render: (_, dataset) => <ScoreCell dataset={dataset} show="status" /> },
            {
              title: t('common.actions'),
              key: 'actions',
              fixed: 'right',
              width: 90,
              render: (_, dataset) => <Link to={`/quality/${dataset.provider}/${slugOf(dataset)}`}>{t('quality.view')}</Link>,
            },
          ]}
        />
      )}
    </>
  );
}

type Published = paths['/api/v1/catalog/search']['get']['responses']['200']['content']['application/json']['datasets'][number];

/** Every member's latest published (signed) score, from the federation catalogue, paginated on the server. */
function FederationScores() {
  const { t } = useTranslation();
  const [query, setQuery] = useState('');
  const [page, setPage] = useState({ current: 1, pageSize: 20 });
  const node = useQuery({ queryKey: ['node'], queryFn: () => ok(client.GET('/api/v1/node')) });
  const datasets = useQuery({
    queryKey: ['catalog-search-quality', query, page.current, page.pageSize],
    queryFn: () =>
      ok(client.GET('/api/v1/catalog/search', { params: { query: { limit: page.pageSize, offset: (page.current - 1) * page.pageSize, ...(query ? { q: query } : {}) } } })),
    placeholderData: (previous) => previous,
  });
  return (
    <>
      <Typography.Paragraph type="secondary">{t('quality.federationIntro')}</Typography.Paragraph>
      <ListToolbar
        list={datasets}
        onSearch={(value) => {
          setQuery(value);
          setPage((current) => ({ ...current, current: 1 }));
        }}
      />
      {datasets.isError ? (
        <ErrorAlert error={datasets.error} onRetry={() => void datasets.refetch()} />
      ) : datasets.isPending ? (
        <Skeleton active paragraph={{ rows: 6 }} />
      ) : (
        <Table<Published>
          rowKey={(dataset) => `${dataset.provider}/${dataset.id}`}
          data-testid="quality-federation"
          dataSource={datasets.data.datasets}
          loading={datasets.isFetching && datasets.isPlaceholderData}
          scroll={{ x: 1150 }}
          locale={{ emptyText: <Empty description={query ? t('common.empty') : t('quality.federationEmpty')} /> }}
          pagination={serverPagination({
            ...page,
            total: datasets.data.total,
            label: (count, total) => t('quality.total', { count, total }),
            onChange: (current, pageSize) => setPage({ current, pageSize }),
          })}
          columns={[
            {
              title: t('quality.dataset'),
              key: 'name',
              fixed: 'left',
              width: 210,
              render: (_, dataset) => (
                <Space orientation="vertical" size={0}>
                  <Typography.Text strong>{dataset.name}</Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {dataset.code}
                  </Typography.Text>
                </Space>
              ),
            },
            {
              title: t('quality.provider'),
              key: 'provider',
              width: 160,
              render: (_, dataset) => (
                <Space size={4} wrap>
                  <Typography.Text>{dataset.providerName}</Typography.Text>
                  <Tag>{dataset.provider}</Tag>
                  {dataset.provider === node.data?.code ? <Tag color="blue">{t('quality.ownNode')}</Tag> : null}
                </Space>
              ),
            },
            {
              title: t('quality.overall'),
              key: 'overall',
              width: 140,
              render: (_, dataset) => (dataset.quality ? <ScoreBar score={dataset.quality.overall} /> : <Typography.Text type="secondary">{t('quality.notPublished')}</Typography.Text>),
            },
            ...dimensionKeys.map((dimension) => ({
              title: t(`quality.dimensions.${dimension}`),
              key: dimension,
              align: 'right' as const,
              width: 84,
              render: (_: unknown, dataset: Published) => formatNumber(dataset.quality?.dimensions[dimension] ?? null, 1),
            })),
            {
              title: t('quality.lastRun'),
              key: 'status',
              width: 170,
              render: (_, dataset) =>
                dataset.quality ? (
                  <Space orientation="vertical" size={0}>
                    <StatusTag status={dataset.quality.status} />
                    <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                      <Time value={dataset.quality.finishedAt} />
                    </Typography.Text>
                  </Space>
                ) : (
                  '—'
                ),
            },
          ]}
        />
      )}
    </>
  );
}

export function QualityPage() {
  const { t } = useTranslation();
  return (
    <Card title={t('quality.title')}>
      <Typography.Paragraph type="secondary">{t('quality.subtitle')}</Typography.Paragraph>
      <Tabs
        destroyOnHidden={false}
        items={[
          { key: 'own', label: t('quality.tabOwn'), children: <OwnDatasets /> },
          { key: 'federation', label: t('quality.tabFederation'), children: <FederationScores /> },
        ]}
      />
    </Card>
  );
}
