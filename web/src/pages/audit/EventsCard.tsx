/**
 * The event log, paged on the server. Unfiltered, sequence numbers are dense (0 … size−1), so any
 * page of the newest-first list is one request; filtered by type, pages follow a cursor (the last
 * sequence number seen), oldest first, as the API reads them.
 */
import { SearchOutlined } from '@ant-design/icons';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Button, Card, Empty, Flex, Input, Pagination, Skeleton, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { client, ok, type paths } from '../../api/client';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';

type LoggedEvent = paths['/api/v1/events']['get']['responses']['200']['content']['application/json']['events'][number];

const outcomeColours: Record<string, string> = { success: 'green', failure: 'red', denied: 'orange' };

export function EventsCard({ onProve }: { onProve: (eventId: string) => void }) {
  const { t } = useTranslation();
  const [typeInput, setTypeInput] = useState('');
  const [type, setType] = useState('');
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(20);
  // Filtered paging: the `after` cursor of each page visited.
  const [cursors, setCursors] = useState<number[]>([-1]);

  const size = useQuery({ queryKey: ['audit-events', 'size'], queryFn: () => ok(client.GET('/api/v1/events', { params: { query: { limit: 1 } } })) });
  const total = size.data?.size ?? 0;

  const events = useQuery({
    queryKey: ['audit-events', type, type ? cursors[cursors.length - 1] : page, pageSize, total],
    enabled: !!size.data,
    placeholderData: keepPreviousData,
    queryFn: async () => {
      if (type) {
        const after = cursors[cursors.length - 1]!;
        return (await ok(client.GET('/api/v1/events', { params: { query: { type, after, limit: pageSize } } }))).events;
      }
      const end = Math.max(0, total - (page - 1) * pageSize);
      const start = Math.max(0, end - pageSize);
      if (end === 0) return [];
      const result = await ok(client.GET('/api/v1/events', { params: { query: { after: start - 1, limit: end - start } } }));
      return [...result.events].reverse();
    },
  });

  const rows = events.data ?? [];
  const error = size.error ?? events.error;
  const applyFilter = () => {
    setType(typeInput.trim());
    setCursors([-1]);
    setPage(1);
  };

  return (
    <Card title={t('audit.events.title')} extra={<Typography.Text type="secondary">{t('audit.events.total', { total: formatNumber(total) })}</Typography.Text>}>
      <Flex gap={8} style={{ marginBottom: 12 }}>
        <Input
          allowClear
          value={typeInput}
          onChange={(event) => {
            setTypeInput(event.target.value);
            if (!event.target.value) {
              setType('');
              setCursors([-1]);
              setPage(1);
            }
          }}
          onPressEnter={applyFilter}
          placeholder={t('audit.events.typePlaceholder')}
          aria-label={t('audit.events.type')}
          style={{ maxWidth: 360 }}
          data-testid="events-type"
        />
        <Button icon={<SearchOutlined />} onClick={applyFilter}>
          {t('common.search')}
        </Button>
      </Flex>
      {error ? (
        <ErrorAlert error={error} onRetry={() => void Promise.all([size.refetch(), events.refetch()])} />
      ) : events.isPending ? (
        <Skeleton active />
      ) : rows.length === 0 && page === 1 && cursors.length === 1 ? (
        <Empty description={t('audit.events.empty')} />
      ) : (
        <>
          <Table<LoggedEvent>
            size="small"
            rowKey="id"
            loading={events.isFetching}
            data-testid="audit-events"
            dataSource={rows}
            pagination={false}
            expandable={{
              expandedRowRender: (event) => (
                <pre style={{ margin: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 12 }}>
                  {JSON.stringify({ subjectHash: event.subjectHash, details: event.details }, null, 2)}
                </pre>
              ),
            }}
            columns={[
              { key: 'seq', title: t('audit.events.seq'), dataIndex: 'seq', align: 'right', render: (value: number) => formatNumber(value) },
              { key: 'ts', title: t('audit.events.ts'), dataIndex: 'ts', render: (value: string) => <Time value={value} /> },
              { key: 'type', title: t('audit.events.type'), dataIndex: 'type', render: (value: string) => <Typography.Text code>{value}</Typography.Text> },
              { key: 'actor', title: t('audit.events.actor'), dataIndex: 'actor', render: (value: string | null) => value ?? '—' },
              {
                key: 'outcome',
                title: t('audit.events.outcome'),
                dataIndex: 'outcome',
                render: (value: string) => <Tag color={outcomeColours[value]}>{t(`audit.outcomes.${value}`, { defaultValue: value })}</Tag>,
              },
              { key: 'id', title: t('audit.events.id'), dataIndex: 'id', render: (value: string) => <CopyableId value={value} /> },
              {
                key: 'actions',
                title: t('common.actions'),
                render: (_, event) => (
                  <Button type="link" onClick={() => onProve(event.id)} data-testid={`prove-${event.seq}`}>
                    {t('audit.events.prove')}
                  </Button>
                ),
              },
            ]}
          />
          <Flex justify="end" style={{ marginTop: 12 }}>
            {type ? (
              <Flex gap={8} align="center">
                <Typography.Text type="secondary">{t('audit.events.pageOf', { page: cursors.length })}</Typography.Text>
                <Button disabled={cursors.length === 1} onClick={() => setCursors((stack) => stack.slice(0, -1))}>
                  {t('audit.events.prev')}
                </Button>
                <Button
                  disabled={rows.length < pageSize}
                  onClick={() => setCursors((stack) => [...stack, rows[rows.length - 1]!.seq])}
                >
                  {t('audit.events.next')}
                </Button>
              </Flex>
            ) : (
              <Pagination
                current={page}
                pageSize={pageSize}
                total={total}
                showSizeChanger
                pageSizeOptions={[10, 20, 50, 100]}
                onChange={(next, nextSize) => {
                  setPage(nextSize !== pageSize ? 1 : next);
                  setPageSize(nextSize);
                }}
              />
            )}
          </Flex>
        </>
      )}
    </Card>
  );
}
