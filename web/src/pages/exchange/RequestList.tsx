/**
 * Every request this node sent — answered while the caseworker waited (sync) or queued in the
 * outbox (async) — newest first, with a detail drawer. Paging and filtering (partner, agreement,
 * outcome, mode) happen on the server; the partner choices come from the federation directory and
 * the agreement choices from this node's agreements, not from the rows on screen.
 */
import { ReloadOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Drawer, Empty, Flex, Select, Skeleton, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { client, ok, type paths } from '../../api/client';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';
import { nodeLabel, useNodeNames } from '../citizen/nodeNames';
import { AnswerView, outcomeOfOutbound } from './AnswerView';

/** Labels keep one line, so long values wrap instead of squeezing them letter by letter. */
const labelStyles = { label: { width: 150, whiteSpace: 'nowrap' as const } };

type ListQuery = NonNullable<paths['/api/v1/exchange/requests']['get']['parameters']['query']>;
type Outbound = paths['/api/v1/exchange/requests']['get']['responses']['200']['content']['application/json']['requests'][number];
type Outcome = NonNullable<ListQuery['outcome']>;
type Mode = NonNullable<ListQuery['mode']>;

const statusColours: Record<string, string> = { queued: 'default', delivering: 'processing', answered: 'success', denied: 'warning', failed: 'error' };
const outcomes: readonly Outcome[] = ['queued', 'delivering', 'answered', 'denied', 'failed'];
const modes: readonly Mode[] = ['sync', 'async'];
const pageSizes = ['10', '20', '50', '100'];

interface Filters {
  partner?: string;
  agreement?: string;
  outcome?: Outcome;
  mode?: Mode;
}

function ModeTag({ mode }: { mode: string }) {
  const { t } = useTranslation();
  return (
    <Tag color={mode === 'async' ? 'purple' : 'blue'} data-testid="exchange-mode">
      {t(`exchange.modes.${mode}`, { defaultValue: mode })}
    </Tag>
  );
}

function RequestDrawer({ id, onClose }: { id: string | null; onClose: () => void }) {
  const { t } = useTranslation();
  const request = useQuery({
    queryKey: ['exchange-request', id],
    enabled: !!id,
    queryFn: () => ok(client.GET('/api/v1/exchange/requests/{id}', { params: { path: { id: id! } } })),
    refetchInterval: (query) => (['queued', 'delivering'].includes(query.state.data?.status ?? '') ? 1000 : false),
  });
  const row = request.data;
  const names = useNodeNames();
  return (
    <Drawer open={!!id} onClose={onClose} title={t('exchange.list.detail')} size={640} destroyOnHidden data-testid="exchange-drawer">
      {request.error ? (
        <ErrorAlert error={request.error} onRetry={() => void request.refetch()} />
      ) : !row ? (
        <Skeleton active />
      ) : (
        <>
          <Descriptions styles={labelStyles} size="small" bordered column={1} style={{ marginBottom: 16 }}>
            <Descriptions.Item label={t('exchange.list.id')}>
              <CopyableId value={row.id} length={36} />
            </Descriptions.Item>
            <Descriptions.Item label={t('exchange.list.mode')}>
              <ModeTag mode={row.mode} />
            </Descriptions.Item>
            <Descriptions.Item label={t('exchange.list.to')}>{nodeLabel(names, row.to)}</Descriptions.Item>
            <Descriptions.Item label={t('exchange.list.op')}>{t(`exchange.ops.${row.op}`, { defaultValue: row.op })}</Descriptions.Item>
            <Descriptions.Item label={t('exchange.list.agreement')}>
              <Typography.Text code>{row.agreement}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('exchange.answer.route')}>{t(`exchange.routes.${row.route}`, { defaultValue: row.route })}</Descriptions.Item>
            <Descriptions.Item label={t('exchange.list.status')}>
              <Tag color={statusColours[row.status]}>{t(`exchange.statuses.${row.status}`, { defaultValue: row.status })}</Tag>
            </Descriptions.Item>
            <Descriptions.Item label={t('exchange.list.clause')}>
              {row.clause ? <Typography.Text code copyable data-testid="exchange-row-clause">{row.clause}</Typography.Text> : '—'}
            </Descriptions.Item>
            {row.code ? (
              <Descriptions.Item label={t('exchange.list.code')}>
                <Typography.Text code data-testid="exchange-row-code">{row.code}</Typography.Text>
              </Descriptions.Item>
            ) : null}
            <Descriptions.Item label={t('exchange.answer.answerId')}>
              <CopyableId value={row.answerId} length={36} />
            </Descriptions.Item>
            {row.mode === 'async' ? <Descriptions.Item label={t('exchange.list.attempts')}>{formatNumber(row.attempts)}</Descriptions.Item> : null}
            <Descriptions.Item label={t('exchange.list.operator')}>{row.operator}</Descriptions.Item>
            <Descriptions.Item label={t('exchange.list.createdAt')}>
              <Time value={row.createdAt} />
            </Descriptions.Item>
            <Descriptions.Item label={t('exchange.list.finishedAt')}>
              <Time value={row.finishedAt} />
            </Descriptions.Item>
          </Descriptions>
          {row.mode === 'sync' ? <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('exchange.list.syncKept')} data-testid="exchange-sync-note" /> : null}
          <AnswerView outcome={outcomeOfOutbound(row)} />
        </>
      )}
    </Drawer>
  );
}

/** Partner and agreement choices for the filters: from the directory and this node's agreements. */
function useFilterChoices() {
  const { t } = useTranslation();
  const names = useNodeNames();
  const node = useQuery({ queryKey: ['node'], queryFn: () => ok(client.GET('/api/v1/node')) });
  const agreements = useQuery({ queryKey: ['agreements'], queryFn: () => ok(client.GET('/api/v1/agreements')) });
  const me = node.data?.code;
  return useMemo(() => {
    const partners = Object.keys(names)
      .filter((code) => code !== me)
      .sort()
      .map((code) => ({ value: code, label: nodeLabel(names, code) }));
    const mine = (agreements.data?.agreements ?? []).filter((agreement) => !me || agreement.parties.some((party) => party.node === me));
    const versions = new Map<string, number>();
    for (const agreement of mine) versions.set(agreement.id, (versions.get(agreement.id) ?? 0) + 1);
    const agreementChoices = [
      ...[...versions].filter(([, count]) => count > 1).map(([id]) => ({ value: id, label: t('exchange.list.anyVersion', { id }) })),
      ...mine.map((agreement) => ({ value: `${agreement.id}@${agreement.version}`, label: `${agreement.title}（${agreement.id}@${agreement.version}）` })),
    ];
    return { partners, agreements: agreementChoices, loadingAgreements: agreements.isPending };
  }, [names, me, agreements.data, agreements.isPending, t]);
}

export function RequestList() {
  const { t } = useTranslation();
  const [open, setOpen] = useState<string | null>(null);
  const [filters, setFilters] = useState<Filters>({});
  const [page, setPage] = useState({ current: 1, size: 10 });
  const query: ListQuery = { limit: page.size, offset: (page.current - 1) * page.size, ...filters };
  const requests = useQuery({
    queryKey: ['exchange-requests', query],
    queryFn: () => ok(client.GET('/api/v1/exchange/requests', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const rows = requests.data?.requests ?? [];
  const total = requests.data?.total ?? 0;
  const filtered = Object.values(filters).some((value) => value !== undefined);
  const names = useNodeNames();
  const choices = useFilterChoices();

  /** Any change of filter starts again from the first page. */
  const filterBy = (patch: Filters) => {
    setFilters((before) => ({ ...before, ...patch }));
    setPage((before) => ({ ...before, current: 1 }));
  };

  return (
    <Card
      title={t('exchange.list.title')}
      extra={<Button icon={<ReloadOutlined />} onClick={() => void requests.refetch()} loading={requests.isFetching} aria-label={t('common.refresh')} />}
    >
      <Typography.Paragraph type="secondary">{t('exchange.list.subtitle')}</Typography.Paragraph>
      <Flex gap={8} wrap style={{ marginBottom: 16 }} data-testid="exchange-filters">
        <Select
          allowClear
          showSearch={{ optionFilterProp: 'label' }}
          style={{ minWidth: 220 }}
          placeholder={t('exchange.list.filterPartner')}
          aria-label={t('exchange.list.filterPartner')}
          id="exchange-filter-partner"
          value={filters.partner}
          options={choices.partners}
          onChange={(value?: string) => filterBy({ partner: value })}
        />
        <Select
          allowClear
          showSearch={{ optionFilterProp: 'label' }}
          style={{ minWidth: 280 }}
          loading={choices.loadingAgreements}
          placeholder={t('exchange.list.filterAgreement')}
          aria-label={t('exchange.list.filterAgreement')}
          id="exchange-filter-agreement"
          value={filters.agreement}
          options={choices.agreements}
          onChange={(value?: string) => filterBy({ agreement: value })}
        />
        <Select
          allowClear
          style={{ minWidth: 140 }}
          placeholder={t('exchange.list.filterOutcome')}
          aria-label={t('exchange.list.filterOutcome')}
          id="exchange-filter-outcome"
          value={filters.outcome}
          options={outcomes.map((value) => ({ value, label: t(`exchange.statuses.${value}`) }))}
          onChange={(value?: Outcome) => filterBy({ outcome: value })}
        />
        <Select
          allowClear
          style={{ minWidth: 140 }}
          placeholder={t('exchange.list.filterMode')}
          aria-label={t('exchange.list.filterMode')}
          id="exchange-filter-mode"
          value={filters.mode}
          options={modes.map((value) => ({ value, label: t(`exchange.modes.${value}`) }))}
          onChange={(value?: Mode) => filterBy({ mode: value })}
        />
        {filtered ? (
          <Button onClick={() => filterBy({ partner: undefined, agreement: undefined, outcome: undefined, mode: undefined })} data-testid="exchange-filters-clear">
            {t('exchange.list.clearFilters')}
          </Button>
        ) : null}
      </Flex>
      {requests.error ? (
        <ErrorAlert error={requests.error} onRetry={() => void requests.refetch()} />
      ) : requests.isPending ? (
        <Skeleton active />
      ) : total === 0 ? (
        <Empty description={filtered ? t('exchange.list.emptyFiltered') : t('exchange.list.empty')} data-testid="exchange-requests-empty" />
      ) : (
        <Table<Outbound>
          size="middle"
          rowKey="id"
          data-testid="exchange-requests"
          dataSource={rows}
          loading={requests.isFetching && requests.isPlaceholderData}
          scroll={{ x: 1480 }}
          pagination={{
            current: page.current,
            pageSize: page.size,
            total,
            showSizeChanger: true,
            pageSizeOptions: pageSizes,
            showTotal: (count) => t('exchange.list.total', { count, formatted: formatNumber(count) }),
            onChange: (current, size) => setPage({ current: size === page.size ? current : 1, size }),
          }}
          onRow={(row) => ({ onDoubleClick: () => setOpen(row.id) })}
          columns={[
            { key: 'id', title: t('exchange.list.id'), dataIndex: 'id', width: 150, render: (value: string) => <CopyableId value={value} /> },
            { key: 'mode', title: t('exchange.list.mode'), dataIndex: 'mode', width: 80, render: (value: string) => <ModeTag mode={value} /> },
            { key: 'to', title: t('exchange.list.to'), dataIndex: 'to', width: 180, render: (value: string) => nodeLabel(names, value) },
            { key: 'op', title: t('exchange.list.op'), dataIndex: 'op', width: 70, render: (value: string) => t(`exchange.ops.${value}`, { defaultValue: value }) },
            {
              key: 'status',
              title: t('exchange.list.status'),
              dataIndex: 'status',
              width: 90,
              render: (value: string) => <Tag color={statusColours[value]}>{t(`exchange.statuses.${value}`, { defaultValue: value })}</Tag>,
            },
            {
              key: 'clause',
              title: t('exchange.list.clause'),
              dataIndex: 'clause',
              width: 170,
              ellipsis: true,
              render: (value: string | null) => (value ? <Typography.Text code title={value}>{value}</Typography.Text> : '—'),
            },
            {
              key: 'code',
              title: t('exchange.list.code'),
              dataIndex: 'code',
              width: 190,
              render: (value: string | null) => (value ? <Typography.Text code type="danger" style={{ whiteSpace: 'nowrap' }}>{value}</Typography.Text> : '—'),
            },
            { key: 'agreement', title: t('exchange.list.agreement'), dataIndex: 'agreement', width: 200, ellipsis: true, render: (value: string) => <Typography.Text code>{value}</Typography.Text> },
            { key: 'attempts', title: t('exchange.list.attempts'), dataIndex: 'attempts', width: 70, align: 'right', render: (value: number) => formatNumber(value) },
            { key: 'createdAt', title: t('exchange.list.createdAt'), dataIndex: 'createdAt', width: 190, render: (value: string) => <Time value={value} /> },
            {
              key: 'actions',
              title: t('common.actions'),
              fixed: 'right',
              width: 90,
              render: (_, row) => (
                <Button type="link" onClick={() => setOpen(row.id)} data-testid={`exchange-open-${row.id}`}>
                  {t('common.details')}
                </Button>
              ),
            },
          ]}
        />
      )}
      <RequestDrawer id={open} onClose={() => setOpen(null)} />
    </Card>
  );
}
