/** The log's verification status: the latest recorded run, and a full run on demand. */
import { SafetyCertificateOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Empty, Flex, Skeleton, Table, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { client, ok, type paths } from '../../api/client';
import { useSession } from '../../auth/session';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';

/** Labels keep one line, so long values wrap instead of squeezing them letter by letter. */
const labelStyles = { label: { width: 150, whiteSpace: 'nowrap' as const } };

type Run = paths['/api/v1/audit/verification']['post']['responses']['200']['content']['application/json'];
type Problem = Run['problems'][number];

export function VerificationCard() {
  const { t } = useTranslation();
  const session = useSession();
  // Only the audit permission may verify; administrators configure the node but do not review its audit.
  if (session.me && !session.hasRole('auditor')) {
    return (
      <Card title={t('audit.verification.title')}>
        <Alert type="info" showIcon title={t('audit.verification.auditorsOnly')} data-testid="audit-verification-restricted" />
      </Card>
    );
  }
  return <VerificationRuns />;
}

function VerificationRuns() {
  const { t } = useTranslation();
  const queryClient = useQueryClient();
  const latest = useQuery({ queryKey: ['audit-verification'], queryFn: () => ok(client.GET('/api/v1/audit/verification')) });
  const run = useMutation({
    mutationFn: () => ok(client.POST('/api/v1/audit/verification')),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['audit-verification'] });
      void queryClient.invalidateQueries({ queryKey: ['audit-events'] });
    },
  });

  const fresh = run.data;
  const shown = fresh ?? latest.data?.verification ?? null;
  const problemCount = fresh ? fresh.problems.length : (latest.data?.verification?.problems ?? 0);

  return (
    <Card
      title={t('audit.verification.title')}
      extra={
        <Button type="primary" icon={<SafetyCertificateOutlined />} loading={run.isPending} onClick={() => run.mutate()} data-testid="audit-verify">
          {t('audit.verification.run')}
        </Button>
      }
    >
      {run.error ? <div style={{ marginBottom: 16 }}><ErrorAlert error={run.error} onRetry={() => run.mutate()} /></div> : null}
      {run.isPending ? (
        <Flex vertical gap={8}>
          <Typography.Text type="secondary">{t('audit.verification.running')}</Typography.Text>
          <Skeleton active />
        </Flex>
      ) : latest.error && !fresh ? (
        <ErrorAlert error={latest.error} onRetry={() => void latest.refetch()} />
      ) : latest.isPending && !fresh ? (
        <Skeleton active />
      ) : !shown ? (
        <Empty description={t('audit.verification.never')} />
      ) : (
        <Flex vertical gap={16} data-testid="audit-verification">
          <Alert
            type={shown.ok ? 'success' : 'error'}
            showIcon
            title={<span data-testid="audit-verification-status">{shown.ok ? t('audit.verification.ok') : t('audit.verification.failed')}</span>}
            description={
              <span>
                {t('audit.verification.lastRun')}: <Time value={shown.verifiedAt} />
                {shown.verifiedBy ? ` · ${t('audit.verification.by')}: ${shown.verifiedBy}` : ''}
                {!shown.ok ? ` · ${t('audit.verification.problemCount', { count: problemCount })}` : ''}
              </span>
            }
          />
          <Descriptions styles={labelStyles} size="small" bordered column={1}>
            <Descriptions.Item label={t('audit.verification.size')}>{formatNumber(shown.size)}</Descriptions.Item>
            <Descriptions.Item label={t('audit.verification.entries')}>{formatNumber(shown.entries)}</Descriptions.Item>
            <Descriptions.Item label={t('audit.verification.checkpoints')}>{formatNumber(shown.checkpoints)}</Descriptions.Item>
            {fresh ? <Descriptions.Item label={t('audit.verification.pruned')}>{formatNumber(fresh.pruned)}</Descriptions.Item> : null}
            <Descriptions.Item label={t('audit.verification.root')}>
              <CopyableId value={shown.root} length={24} />
            </Descriptions.Item>
            <Descriptions.Item label={t('audit.verification.event')}>
              <CopyableId value={shown.event} length={36} />
            </Descriptions.Item>
          </Descriptions>
          {fresh && fresh.problems.length > 0 ? (
            <Table<Problem>
              size="small"
              title={() => t('audit.verification.problems')}
              rowKey={(problem) => `${problem.kind}-${problem.seq ?? ''}-${problem.checkpoint ?? ''}-${problem.message}`}
              dataSource={fresh.problems}
              pagination={{ pageSize: 10 }}
              columns={[
                { key: 'kind', title: t('audit.verification.kind'), dataIndex: 'kind', render: (value: string) => <Typography.Text code>{value}</Typography.Text> },
                { key: 'where', title: t('audit.verification.where'), render: (_, problem) => (problem.seq !== undefined ? `#${problem.seq}` : problem.checkpoint ?? '—') },
                { key: 'message', title: t('audit.verification.message'), dataIndex: 'message' },
              ]}
            />
          ) : null}
        </Flex>
      )}
    </Card>
  );
}
