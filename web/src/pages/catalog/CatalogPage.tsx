/**
 * The resource catalogue: this node's datasets and the federation-wide catalogue, both searched
 * and paginated on the server; the publication status with "publish to the hub"; registering a
 * dataset (stewards).
 */
import { CloudUploadOutlined, PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Empty, Input, Select, Space, Table, Tabs, Tag, Typography, type TableColumnsType } from 'antd';
import type { SorterResult, SortOrder } from 'antd/es/table/interface';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useSearchParams } from 'react-router';
import { client, ok, type paths } from '../../api/client';
import { useSession } from '../../auth/session';
import { CopyableId } from '../../components/CopyableId';
import { serverPagination } from '../../components/pagination';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';
import { RegisterDataset } from './RegisterDataset';
import { GradeTag, SharingTag, dataGrades, datasetPath, sharingTypes, type DataGrade, type SharingType } from './tags';

type Published = paths['/api/v1/catalog/search']['get']['responses']['200']['content']['application/json']['datasets'][number];
type Local = paths['/api/v1/catalog/datasets']['get']['responses']['200']['content']['application/json']['datasets'][number];

type Sort = NonNullable<NonNullable<paths['/api/v1/catalog/datasets']['get']['parameters']['query']>['sort']>;
type SortKey = 'id' | 'name' | 'code' | 'updated';

interface Filters {
  q?: string;
  provider?: string;
  sharing?: SharingType;
  grade?: DataGrade;
  /** Server-side order; the server's default is by id. */
  sort?: Sort;
  page: number;
  pageSize: number;
}

const publicationColour = { published: 'success', pending: 'processing', waiting_for_hub: 'default', failing: 'error' } as const;

/** The column header's arrow for a sort key, from the sort the page asked for. */
function sortOrderOf(sort: Sort | undefined, key: SortKey): SortOrder {
  if (sort === key) return 'ascend';
  if (sort === `-${key}`) return 'descend';
  return null;
}

/** The sort to ask the server for after a click on a sortable header (none: back to the default). */
function sortOf<T>(sorter: SorterResult<T> | SorterResult<T>[]): Sort | undefined {
  const single = Array.isArray(sorter) ? sorter[0] : sorter;
  const key = single?.columnKey as SortKey | undefined;
  if (!key || !single?.order) return undefined;
  return (single.order === 'descend' ? `-${key}` : key) as Sort;
}

/** A table's change handler: a header click asks the server for that order, from the first page. */
function sortingBy<T>(filters: Filters, setFilters: (next: Filters) => void) {
  return (_pagination: unknown, _filters: unknown, sorter: SorterResult<T> | SorterResult<T>[], { action }: { action: string }) => {
    if (action === 'sort') setFilters({ ...filters, sort: sortOf(sorter), page: 1 });
  };
}

function useColumns<T extends Published | Local>(showProvider: boolean, sort: Sort | undefined): TableColumnsType<T> {
  const { t } = useTranslation();
  const sortable = (key: SortKey) => ({ key, sorter: true, sortOrder: sortOrderOf(sort, key), sortDirections: ['ascend', 'descend'] as SortOrder[] });
  return [
    {
      title: t('catalog.name'),
      dataIndex: 'name',
      ...sortable('name'),
      render: (name: string, dataset) => (
        <Link to={datasetPath(dataset.id)} data-testid="dataset-link">
          {name}
        </Link>
      ),
    },
    { title: t('catalog.code'), dataIndex: 'code', ...sortable('code'), render: (code: string) => <Typography.Text code>{code}</Typography.Text> },
    { title: 'ID', dataIndex: 'id', ...sortable('id'), render: (id: string) => <CopyableId value={id} length={32} /> },
    ...(showProvider
      ? [{ title: t('catalog.provider'), key: 'provider', render: (_: unknown, dataset: T) => `${dataset.providerName}（${dataset.provider}）` }]
      : []),
    { title: t('catalog.sharing'), key: 'sharing', render: (_: unknown, dataset) => <SharingTag type={dataset.sharing.type} /> },
    { title: t('catalog.grade'), dataIndex: 'grade', render: (grade: DataGrade) => <GradeTag grade={grade} /> },
    { title: t('catalog.updateCycle'), dataIndex: 'updateCycle', render: (cycle: string) => t(`catalog.updateCycles.${cycle}`) },
    { title: t('catalog.items'), key: 'items', align: 'right', render: (_: unknown, dataset) => formatNumber(dataset.items.length) },
    ...(!showProvider
      ? [{ title: t('catalog.rows'), key: 'rows', align: 'right' as const, render: (_: unknown, dataset: T) => formatNumber('data' in dataset ? dataset.data.rows : null) }]
      : []),
    { title: t('catalog.version'), dataIndex: 'version', align: 'right' },
    { title: t('catalog.updatedAt'), dataIndex: 'updatedAt', ...sortable('updated'), render: (value: string) => <Time value={value} /> },
  ];
}

function FilterBar({ filters, onChange, withProvider }: { filters: Filters; onChange: (next: Filters) => void; withProvider: boolean }) {
  const { t } = useTranslation();
  const members = useQuery({ queryKey: ['directory', 'members'], queryFn: () => ok(client.GET('/api/v1/directory/members')), enabled: withProvider });
  return (
    <Space wrap style={{ marginBottom: 16 }}>
      <Input.Search
        allowClear
        placeholder={t('catalog.searchPlaceholder')}
        defaultValue={filters.q}
        onSearch={(q) => onChange({ ...filters, q: q.trim() || undefined, page: 1 })}
        style={{ width: 320 }}
        enterButton={t('common.search')}
        data-testid={withProvider ? 'federation-search' : 'own-search'}
      />
      {withProvider ? (
        <Select
          allowClear
          showSearch={{ optionFilterProp: 'label' }}
          placeholder={t('catalog.providerPlaceholder')}
          value={filters.provider}
          loading={members.isLoading}
          onChange={(provider?: string) => onChange({ ...filters, provider, page: 1 })}
          options={(members.data?.members ?? []).filter((member) => member.role !== 'hub').map((member) => ({ value: member.code, label: `${member.name}（${member.code}）` }))}
          style={{ width: 220 }}
          aria-label={t('catalog.provider')}
        />
      ) : null}
      <Select
        allowClear
        placeholder={t('catalog.sharingFilter')}
        value={filters.sharing}
        onChange={(sharing?: SharingType) => onChange({ ...filters, sharing, page: 1 })}
        options={sharingTypes.map((value) => ({ value, label: t(`catalog.sharingTypes.${value}`) }))}
        style={{ width: 150 }}
        aria-label={t('catalog.sharingFilter')}
      />
      <Select
        allowClear
        placeholder={t('catalog.gradeFilter')}
        value={filters.grade}
        onChange={(grade?: DataGrade) => onChange({ ...filters, grade, page: 1 })}
        options={dataGrades.map((value) => ({ value, label: t(`catalog.grades.${value}`) }))}
        style={{ width: 150 }}
        aria-label={t('catalog.gradeFilter')}
      />
    </Space>
  );
}

function queryOf(filters: Filters) {
  return {
    ...(filters.q ? { q: filters.q } : {}),
    ...(filters.sharing ? { sharing: filters.sharing } : {}),
    ...(filters.grade ? { grade: filters.grade } : {}),
    ...(filters.sort ? { sort: filters.sort } : {}),
    limit: filters.pageSize,
    offset: (filters.page - 1) * filters.pageSize,
  };
}

function OwnDatasets() {
  const { t } = useTranslation();
  const [filters, setFilters] = useState<Filters>({ page: 1, pageSize: 20 });
  const columns = useColumns<Local>(false, filters.sort);
  const datasets = useQuery({
    queryKey: ['catalog', 'own', filters],
    queryFn: () => ok(client.GET('/api/v1/catalog/datasets', { params: { query: queryOf(filters) } })),
    placeholderData: (previous) => previous,
  });
  return (
    <>
      <FilterBar filters={filters} onChange={setFilters} withProvider={false} />
      {datasets.error ? <ErrorAlert error={datasets.error} onRetry={() => void datasets.refetch()} /> : null}
      <Table<Local>
        data-testid="own-datasets"
        rowKey="id"
        loading={datasets.isFetching}
        columns={columns}
        dataSource={datasets.data?.datasets ?? []}
        scroll={{ x: 'max-content' }}
        onChange={sortingBy(filters, setFilters)}
        pagination={serverPagination({
          current: filters.page,
          pageSize: filters.pageSize,
          total: datasets.data?.total ?? 0,
          label: (_count, total) => t('catalog.total', { total }),
          onChange: (page, pageSize) => setFilters({ ...filters, page, pageSize }),
        })}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('catalog.ownEmpty')} /> }}
      />
    </>
  );
}

function FederationDatasets() {
  const { t } = useTranslation();
  const [filters, setFilters] = useState<Filters>({ page: 1, pageSize: 20 });
  const columns = useColumns<Published>(true, filters.sort);
  const datasets = useQuery({
    queryKey: ['catalog', 'federation', filters],
    queryFn: () =>
      ok(client.GET('/api/v1/catalog/search', { params: { query: { ...queryOf(filters), ...(filters.provider ? { provider: filters.provider } : {}) } } })),
    placeholderData: (previous) => previous,
  });
  return (
    <>
      <FilterBar filters={filters} onChange={setFilters} withProvider />
      {datasets.error ? <ErrorAlert error={datasets.error} onRetry={() => void datasets.refetch()} /> : null}
      <Table<Published>
        data-testid="federation-datasets"
        rowKey="id"
        loading={datasets.isFetching}
        columns={columns}
        dataSource={datasets.data?.datasets ?? []}
        scroll={{ x: 'max-content' }}
        onChange={sortingBy(filters, setFilters)}
        expandable={{ expandedRowRender: (dataset) => <Typography.Paragraph style={{ margin: 0 }}>{dataset.abstract}</Typography.Paragraph> }}
        pagination={serverPagination({
          current: filters.page,
          pageSize: filters.pageSize,
          total: datasets.data?.total ?? 0,
          label: (_count, total) => t('catalog.total', { total }),
          onChange: (page, pageSize) => setFilters({ ...filters, page, pageSize }),
        })}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('catalog.federationEmpty')} /> }}
      />
    </>
  );
}

function Publication() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const session = useSession();
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: ['catalog', 'publication'], queryFn: () => ok(client.GET('/api/v1/catalog/publication')) });
  const publish = useMutation({
    mutationFn: () => ok(client.POST('/api/v1/catalog/publication')),
    onSuccess: (result) => {
      queryClient.setQueryData(['catalog', 'publication'], result);
      void queryClient.invalidateQueries({ queryKey: ['catalog', 'federation'] });
      if (result.state === 'published') void message.success(t('catalog.published', { version: result.publishedVersion }));
      else void message.warning(t('catalog.publishFailed', { message: result.lastError ?? t(`catalog.publicationState.${result.state}`) }));
    },
    onError: (error) => void message.error(errorText(error, t)),
  });
  if (status.error) return <ErrorAlert error={status.error} onRetry={() => void status.refetch()} />;
  const data = status.data;
  return (
    <Space wrap data-testid="publication">
      <Typography.Text strong>{t('catalog.publication')}:</Typography.Text>
      {data ? (
        <>
          <Tag color={publicationColour[data.state]} data-testid="publication-state">{t(`catalog.publicationState.${data.state}`)}</Tag>
          <Typography.Text type="secondary">{t('catalog.publishedVersion', { published: data.publishedVersion, version: data.version })}</Typography.Text>
          {data.publishedAt ? (
            <Typography.Text type="secondary">
              {t('catalog.publishedAt')} <Time value={data.publishedAt} />
            </Typography.Text>
          ) : null}
          {data.lastError && data.state !== 'published' ? <Typography.Text type="danger">{data.lastError}</Typography.Text> : null}
        </>
      ) : (
        <Typography.Text type="secondary">{t('common.loading')}</Typography.Text>
      )}
      {session.hasRole('steward') ? (
        <Button icon={<CloudUploadOutlined />} onClick={() => publish.mutate()} loading={publish.isPending} data-testid="publish">
          {t('catalog.publish')}
        </Button>
      ) : null}
    </Space>
  );
}

export function CatalogPage() {
  const { t } = useTranslation();
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const [registering, setRegistering] = useState(false);
  const tab = params.get('tab') === 'federation' ? 'federation' : 'own';
  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <div>
        <Typography.Title level={3} style={{ marginTop: 0 }}>{t('catalog.title')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('catalog.subtitle')}</Typography.Paragraph>
      </div>
      <Card>
        <Publication />
      </Card>
      <Card>
        <Tabs
          activeKey={tab}
          onChange={(key) => setParams(key === 'federation' ? { tab: 'federation' } : {}, { replace: true })}
          tabBarExtraContent={
            session.hasRole('steward') ? (
              <Button type="primary" icon={<PlusOutlined />} onClick={() => setRegistering(true)} data-testid="register-dataset">
                {t('catalog.register')}
              </Button>
            ) : null
          }
          items={[
            { key: 'own', label: t('catalog.ownTab'), children: <OwnDatasets /> },
            { key: 'federation', label: t('catalog.federationTab'), children: <FederationDatasets /> },
          ]}
        />
      </Card>
      <RegisterDataset open={registering} onClose={() => setRegistering(false)} />
    </Space>
  );
}
