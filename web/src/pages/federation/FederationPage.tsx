/**
 * The federation as this node sees it: its own membership and the freshness of its directory
 * copy, every member with endpoint, keys and integrity alerts, and (on the hub, for
 * administrators) the membership applications waiting for a decision.
 */
import { ReloadOutlined, SyncOutlined, WarningOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Badge, Button, Card, Descriptions, Empty, Space, Spin, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, client, ok, type paths } from '../../api/client';
import { useSession } from '../../auth/session';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';
import { Applications } from './Applications';
import { IntegrityAlerts, type IntegrityAlert } from './IntegrityAlerts';

type MembersView = paths['/api/v1/directory/members']['get']['responses']['200']['content']['application/json'];
export type Member = MembersView['members'][number];
type Key = Member['keys'][number];
type DirectoryState = MembersView['status']['state'];

const stateColour: Record<DirectoryState, string> = { none: 'default', fresh: 'success', stale: 'warning', expired: 'error' };

function keyValidity(key: Key, now: number): 'valid' | 'expired' | 'pending' {
  if (Date.parse(key.validFrom) > now) return 'pending';
  if (key.validUntil && Date.parse(key.validUntil) <= now) return 'expired';
  return 'valid';
}

function KeysTable({ keys }: { keys: readonly Key[] }) {
  const { t } = useTranslation();
  const now = Date.now();
  const columns: TableColumnsType<Key> = [
    { title: t('federation.kid'), dataIndex: 'kid', render: (kid: string) => <CopyableId value={kid} length={40} /> },
    { title: t('federation.use'), dataIndex: 'use', render: (use: Key['use']) => t(`federation.uses.${use}`) },
    { title: t('federation.suite'), dataIndex: 'suite', render: (suite: Key['suite']) => t(`federation.suites.${suite}`) },
    { title: t('federation.validFrom'), dataIndex: 'validFrom', render: (value: string) => <Time value={value} /> },
    { title: t('federation.validUntil'), dataIndex: 'validUntil', render: (value: string | null) => (value ? <Time value={value} /> : t('federation.noExpiry')) },
    {
      title: t('federation.validity'),
      key: 'validity',
      render: (_: unknown, key) => {
        const validity = keyValidity(key, now);
        const colour = validity === 'valid' ? 'success' : validity === 'expired' ? 'default' : 'processing';
        const label = validity === 'valid' ? 'keyValid' : validity === 'expired' ? 'keyExpired' : 'keyPending';
        return <Tag color={colour}>{t(`federation.${label}`)}</Tag>;
      },
    },
  ];
  return <Table<Key> size="small" rowKey="kid" columns={columns} dataSource={[...keys]} pagination={false} />;
}

export function FederationPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const session = useSession();
  const queryClient = useQueryClient();
  const isAdmin = session.hasRole('admin');
  const [alertsOf, setAlertsOf] = useState<string | null>(null);

  const node = useQuery({ queryKey: ['node'], queryFn: () => ok(client.GET('/api/v1/node')) });
  const isHub = node.data?.role === 'hub';
  const directory = useQuery({ queryKey: ['directory', 'members'], queryFn: () => ok(client.GET('/api/v1/directory/members')) });
  const alerts = useQuery({
    queryKey: ['directory', 'integrity-alerts', isHub],
    enabled: node.isSuccess,
    queryFn: async (): Promise<{ source: 'hub' | 'witness'; alerts: IntegrityAlert[] }> => {
      if (isHub) {
        const result = await ok(client.GET('/api/v1/directory/integrity-alerts'));
        return { source: 'hub', alerts: result.alerts.map((alert) => ({ ...alert, reportedBy: alert.reportedBy })) };
      }
      const result = await ok(client.GET('/api/v1/audit/integrity-alerts'));
      return {
        source: 'witness',
        alerts: result.alerts.map((alert) => ({ ...alert, reportedBy: node.data?.code ?? '', detectedAt: alert.createdAt })),
      };
    },
  });

  const sync = useMutation({
    mutationFn: () => ok(client.POST('/api/v1/directory/sync')),
    onSuccess: (result) => {
      const failed = result.results.find((entry) => entry.error);
      if (failed?.error) void message.warning(t('federation.syncFailed', { message: failed.error.message }));
      else void message.success(t('federation.synced', { version: result.status.version ?? '—' }));
      void queryClient.invalidateQueries({ queryKey: ['directory'] });
    },
    onError: (error) => void message.error(errorText(error, t)),
  });

  const alertsByNode = useMemo(() => {
    const counts = new Map<string, IntegrityAlert[]>();
    for (const alert of alerts.data?.alerts ?? []) counts.set(alert.node, [...(counts.get(alert.node) ?? []), alert]);
    return counts;
  }, [alerts.data]);

  // The alerts this node can list, or the count the directory carries for the member when it carries one.
  const alertCount = (member: Member) => Math.max(alertsByNode.get(member.code)?.length ?? 0, (member as { integrityAlerts?: number }).integrityAlerts ?? 0);
  const members = directory.data?.members ?? [];
  const status = directory.data?.status;
  const levels = [...new Set(members.map((member) => member.level))];

  const columns: TableColumnsType<Member> = [
    {
      title: t('federation.code'),
      dataIndex: 'code',
      sorter: (a, b) => a.code.localeCompare(b.code),
      defaultSortOrder: 'ascend',
      render: (code: string) => (
        <Space size={4}>
          <CopyableId value={code} />
          {code === node.data?.code ? <Tag color="blue">{t('federation.thisNode')}</Tag> : null}
        </Space>
      ),
    },
    { title: t('federation.name'), dataIndex: 'name', sorter: (a, b) => a.name.localeCompare(b.name, 'zh-CN') },
    {
      title: t('federation.level'),
      dataIndex: 'level',
      filters: levels.map((level) => ({ text: t(`federation.levels.${level}`, { defaultValue: level }), value: level })),
      onFilter: (value, member) => member.level === value,
      render: (level: string) => t(`federation.levels.${level}`, { defaultValue: level }),
    },
    { title: t('federation.parent'), dataIndex: 'parent', render: (parent: string | null) => parent ?? '—' },
    {
      title: t('federation.memberRole'),
      dataIndex: 'role',
      render: (role: Member['role']) => <Tag color={role === 'hub' ? 'purple' : 'default'}>{t(`federation.role.${role}`)}</Tag>,
    },
    {
      title: t('federation.status'),
      dataIndex: 'status',
      filters: (['active', 'suspended'] as const).map((value) => ({ text: t(`federation.statuses.${value}`), value })),
      onFilter: (value, member) => member.status === value,
      render: (value: Member['status']) => <Badge status={value === 'active' ? 'success' : 'error'} text={t(`federation.statuses.${value}`)} />,
    },
    { title: t('federation.endpoint'), dataIndex: 'endpoint', render: (endpoint: string) => <Typography.Text copyable>{endpoint}</Typography.Text> },
    {
      title: t('federation.keys'),
      key: 'keys',
      render: (_: unknown, member) => t('federation.keyCount', { count: member.keys.length, formatted: formatNumber(member.keys.length) }),
    },
    {
      title: t('federation.alerts'),
      key: 'alerts',
      sorter: (a, b) => alertCount(a) - alertCount(b),
      render: (_: unknown, member) => {
        if (alerts.isLoading) return <Spin size="small" />;
        const count = alertCount(member);
        if (count === 0) return <Typography.Text type="secondary">{t('federation.alertsNone')}</Typography.Text>;
        return (
          <Button danger size="small" icon={<WarningOutlined />} onClick={() => setAlertsOf(member.code)} data-testid={`alerts-${member.code}`}>
            {t('federation.alertCount', { count })}
          </Button>
        );
      },
    },
  ];

  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      <div>
        <Typography.Title level={3} style={{ marginTop: 0 }}>{t('federation.title')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('federation.subtitle')}</Typography.Paragraph>
      </div>

      <Card
        title={t('federation.membership')}
        data-testid="membership"
        extra={
          <Space>
            <Button icon={<ReloadOutlined />} onClick={() => void directory.refetch()} loading={directory.isFetching}>
              {t('common.refresh')}
            </Button>
            {isAdmin ? (
              <Button type="primary" icon={<SyncOutlined />} onClick={() => sync.mutate()} loading={sync.isPending} data-testid="directory-sync">
                {t('federation.sync')}
              </Button>
            ) : null}
          </Space>
        }
      >
        {directory.isLoading ? (
          <Spin />
        ) : directory.error ? (
          <ErrorAlert error={directory.error} onRetry={() => void directory.refetch()} />
        ) : status ? (
          <Space orientation="vertical" style={{ width: '100%' }}>
            {status.state !== 'fresh' || status.warning ? (
              <Alert
                type={status.state === 'expired' ? 'error' : 'warning'}
                showIcon
                title={t(`federation.state.${status.state}`)}
                description={status.state !== 'fresh' ? t(`federation.stateHelp.${status.state}`) : status.warning}
                data-testid="directory-warning"
              />
            ) : null}
            <Descriptions column={{ xs: 1, md: 2, xl: 3 }} size="small">
              <Descriptions.Item label={t('federation.thisNode')}>
                {node.data ? `${node.data.name}（${node.data.code}）` : '—'}
                {node.data ? <Tag style={{ marginInlineStart: 8 }}>{t(`federation.role.${node.data.role === 'hub' ? 'hub' : 'node'}`)}</Tag> : null}
              </Descriptions.Item>
              <Descriptions.Item label={t('federation.status')}>
                <Tag color={stateColour[status.state]} data-testid="directory-state">{t(`federation.state.${status.state}`)}</Tag>
              </Descriptions.Item>
              <Descriptions.Item label={t('federation.directoryVersion')}>
                <span data-testid="directory-version">{status.version === null ? '—' : formatNumber(status.version)}</span>
              </Descriptions.Item>
              <Descriptions.Item label={t('federation.hub')}>{status.hub ?? '—'}</Descriptions.Item>
              <Descriptions.Item label={t('federation.fetchedAt')}><Time value={status.fetchedAt} /></Descriptions.Item>
              <Descriptions.Item label={t('federation.expiresAt')}><Time value={status.expiresAt} /></Descriptions.Item>
            </Descriptions>
          </Space>
        ) : null}
      </Card>

      <Card title={t('federation.members')}>
        {alerts.error && !(alerts.error instanceof ApiError && alerts.error.status === 404) ? (
          <div style={{ marginBottom: 16 }}>
            <ErrorAlert error={alerts.error} onRetry={() => void alerts.refetch()} />
          </div>
        ) : null}
        {directory.error ? (
          <ErrorAlert error={directory.error} onRetry={() => void directory.refetch()} />
        ) : (
          <Table<Member>
            data-testid="members-table"
            rowKey="code"
            loading={directory.isLoading}
            columns={columns}
            dataSource={members}
            expandable={{ expandedRowRender: (member) => <KeysTable keys={member.keys} />, rowExpandable: (member) => member.keys.length > 0 }}
            pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: true }}
            scroll={{ x: 'max-content' }}
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('federation.membersEmpty')} /> }}
          />
        )}
      </Card>

      {isHub && isAdmin ? <Applications /> : null}

      <IntegrityAlerts
        code={alertsOf}
        source={alerts.data?.source ?? 'witness'}
        alerts={alertsOf ? alertsByNode.get(alertsOf) ?? [] : []}
        onClose={() => setAlertsOf(null)}
      />
    </Space>
  );
}

