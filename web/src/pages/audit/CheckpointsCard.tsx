/** Signed checkpoints, newest first (paged on the server by tree size), each with its witnesses. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Button, Card, Descriptions, Empty, Flex, Skeleton, Table, Tag, Tooltip, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { client, ok, type paths } from '../../api/client';
import { useSession } from '../../auth/session';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';

/** Labels keep one line, so long values wrap instead of squeezing them letter by letter. */
const labelStyles = { label: { width: 150, whiteSpace: 'nowrap' as const } };

type Checkpoint = paths['/api/v1/audit/checkpoints']['get']['responses']['200']['content']['application/json']['checkpoints'][number];

const pageSize = 10;

function CheckpointDetail({ checkpoint }: { checkpoint: Checkpoint }) {
  const { t } = useTranslation();
  return (
    <Flex vertical gap={12}>
      <div>
        <Typography.Text type="secondary">{t('audit.checkpoints.note')}</Typography.Text>
        <Typography.Paragraph copyable={{ text: checkpoint.note }} style={{ marginBottom: 0 }}>
          <pre style={{ margin: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-all', fontSize: 12 }} data-testid="checkpoint-note">{checkpoint.note}</pre>
        </Typography.Paragraph>
      </div>
      {checkpoint.witnesses.length === 0 ? (
        <Typography.Text type="secondary">{t('audit.checkpoints.noWitness')}</Typography.Text>
      ) : (
        checkpoint.witnesses.map((witness) => (
          <Descriptions styles={labelStyles} key={witness.witness} size="small" bordered column={1} title={`${t('audit.checkpoints.witnesses')}: ${witness.witness}`}>
            <Descriptions.Item label={t('audit.checkpoints.signedAt')}>
              <Time value={witness.signedAt} />
            </Descriptions.Item>
            <Descriptions.Item label={t('audit.checkpoints.receivedAt')}>
              <Time value={witness.receivedAt} />
            </Descriptions.Item>
            <Descriptions.Item label={t('audit.checkpoints.cosignature')}>
              <Typography.Text code copyable style={{ wordBreak: 'break-all' }}>{witness.cosignature}</Typography.Text>
            </Descriptions.Item>
          </Descriptions>
        ))
      )}
    </Flex>
  );
}

export function CheckpointsCard() {
  const { t } = useTranslation();
  // Cursor stack: each page starts below the smallest size of the one before.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const beforeSize = cursors[cursors.length - 1];
  const page = useQuery({
    queryKey: ['audit-checkpoints', beforeSize],
    queryFn: () => ok(client.GET('/api/v1/audit/checkpoints', { params: { query: { limit: pageSize, ...(beforeSize !== undefined ? { beforeSize } : {}) } } })),
  });
  const rows = page.data?.checkpoints ?? [];
  const last = rows[rows.length - 1];
  const queryClient = useQueryClient();
  // Signing a checkpoint on demand is node configuration: administrators only.
  const mayConfigure = useSession().hasRole('admin');
  const sign = useMutation({
    mutationFn: () => ok(client.POST('/api/v1/audit/checkpoints')),
    onSuccess: () => {
      setCursors([undefined]);
      void queryClient.invalidateQueries({ queryKey: ['audit-checkpoints'] });
      void queryClient.invalidateQueries({ queryKey: ['audit-events'] });
    },
  });

  return (
    <Card
      title={t('audit.checkpoints.title')}
      extra={
        mayConfigure ? (
          <Button onClick={() => sign.mutate()} loading={sign.isPending} data-testid="checkpoint-sign">
            {t('audit.checkpoints.sign')}
          </Button>
        ) : null
      }
    >
      {sign.error ? <div style={{ marginBottom: 12 }}><ErrorAlert error={sign.error} /></div> : null}
      {page.error ? (
        <ErrorAlert error={page.error} onRetry={() => void page.refetch()} />
      ) : page.isPending ? (
        <Skeleton active />
      ) : rows.length === 0 && cursors.length === 1 ? (
        <Empty description={t('audit.checkpoints.empty')} />
      ) : (
        <>
          <Table<Checkpoint>
            size="small"
            rowKey="id"
            data-testid="audit-checkpoints"
            dataSource={rows}
            pagination={false}
            expandable={{ expandedRowRender: (checkpoint) => <CheckpointDetail checkpoint={checkpoint} /> }}
            columns={[
              { key: 'size', title: t('audit.checkpoints.size'), dataIndex: 'size', align: 'right', onHeaderCell: () => ({ style: { whiteSpace: 'nowrap' } }), render: (value: number) => formatNumber(value) },
              { key: 'root', title: t('audit.checkpoints.root'), dataIndex: 'root', render: (value: string) => <CopyableId value={value} length={16} /> },
              { key: 'createdAt', title: t('audit.checkpoints.createdAt'), dataIndex: 'createdAt', render: (value: string) => <Time value={value} /> },
              {
                key: 'witnesses',
                title: t('audit.checkpoints.witnesses'),
                onHeaderCell: () => ({ style: { whiteSpace: 'nowrap' } }),
                render: (_, checkpoint) =>
                  checkpoint.witnesses.length === 0 ? (
                    <Typography.Text type="secondary">{t('audit.checkpoints.noWitness')}</Typography.Text>
                  ) : (
                    <Flex gap={4} wrap data-testid="checkpoint-witnesses">
                      {checkpoint.witnesses.map((witness) => (
                        <Tooltip key={witness.witness} title={<Time value={witness.signedAt} />}>
                          <Tag color="green">{witness.witness}</Tag>
                        </Tooltip>
                      ))}
                    </Flex>
                  ),
              },
            ]}
          />
          <Flex justify="end" gap={8} style={{ marginTop: 12 }}>
            <Button disabled={cursors.length === 1} onClick={() => setCursors((stack) => stack.slice(0, -1))}>
              {t('audit.checkpoints.newer')}
            </Button>
            <Button disabled={rows.length < pageSize || !last} onClick={() => last && setCursors((stack) => [...stack, last.size])}>
              {t('audit.checkpoints.older')}
            </Button>
          </Flex>
        </>
      )}
    </Card>
  );
}
