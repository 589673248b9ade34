/** (hub, administrators) Membership applications with approve and reject. */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Empty, Form, Input, Modal, Popconfirm, Segmented, Space, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { client, ok, type paths } from '../../api/client';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { showFieldError } from '../../components/forms';
import { Time } from '../../components/Time';

type Application = paths['/api/v1/directory/applications']['get']['responses']['200']['content']['application/json']['applications'][number];
type StatusFilter = Application['status'] | 'all';

const statusColour: Record<Application['status'], string> = { pending: 'processing', approved: 'success', rejected: 'default' };

export function Applications() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [filter, setFilter] = useState<StatusFilter>('pending');
  const [rejecting, setRejecting] = useState<Application | null>(null);
  const [form] = Form.useForm<{ reason: string }>();

  const applications = useQuery({
    queryKey: ['directory', 'applications', filter],
    queryFn: () => ok(client.GET('/api/v1/directory/applications', { params: { query: filter === 'all' ? {} : { status: filter } } })),
  });

  const refresh = () => void queryClient.invalidateQueries({ queryKey: ['directory'] });
  const approve = useMutation({
    mutationFn: (code: string) => ok(client.POST('/api/v1/directory/applications/{code}/approve', { params: { path: { code } } })),
    onSuccess: (member) => {
      void message.success(t('federation.approved', { code: member.code }));
      refresh();
    },
    onError: (error) => void message.error(errorText(error, t)),
  });
  const reject = useMutation({
    mutationFn: ({ code, reason }: { code: string; reason: string }) =>
      ok(client.POST('/api/v1/directory/applications/{code}/reject', { params: { path: { code } }, body: { reason } })),
    onSuccess: (application) => {
      void message.success(t('federation.rejected', { code: application.code }));
      setRejecting(null);
      form.resetFields();
      refresh();
    },
    onError: (error) => {
      if (!showFieldError(form, error, errorText(error, t))) void message.error(errorText(error, t));
    },
  });

  const columns: TableColumnsType<Application> = [
    { title: t('federation.code'), dataIndex: 'code', render: (code: string) => <CopyableId value={code} /> },
    { title: t('federation.name'), dataIndex: 'name' },
    { title: t('federation.level'), dataIndex: 'level', render: (level: string) => t(`federation.levels.${level}`, { defaultValue: level }) },
    { title: t('federation.endpoint'), dataIndex: 'endpoint', render: (endpoint: string) => <Typography.Text copyable>{endpoint}</Typography.Text> },
    { title: t('federation.keys'), key: 'keys', render: (_: unknown, application) => application.keys.map((key) => <div key={key.kid}><CopyableId value={key.kid} length={28} /></div>) },
    { title: t('federation.receivedAt'), dataIndex: 'receivedAt', render: (value: string) => <Time value={value} />, sorter: (a, b) => a.receivedAt.localeCompare(b.receivedAt) },
    { title: t('federation.status'), dataIndex: 'status', render: (status: Application['status']) => <Tag color={statusColour[status]}>{t(`federation.appStatus.${status}`)}</Tag> },
    {
      title: t('federation.reason'),
      key: 'decision',
      render: (_: unknown, application) =>
        application.decidedAt ? (
          <span>
            {application.decidedBy ?? '—'} · <Time value={application.decidedAt} />
            {application.reason ? <div>{application.reason}</div> : null}
          </span>
        ) : '—',
    },
    {
      title: t('common.actions'),
      key: 'actions',
      render: (_: unknown, application) =>
        application.status === 'pending' ? (
          <Space>
            <Popconfirm
              title={t('federation.approveConfirm', { name: application.name, code: application.code })}
              onConfirm={() => approve.mutateAsync(application.code).catch(() => undefined)}
            >
              <Button type="primary" size="small" loading={approve.isPending && approve.variables === application.code}>
                {t('federation.approve')}
              </Button>
            </Popconfirm>
            <Button danger size="small" onClick={() => setRejecting(application)}>
              {t('federation.reject')}
            </Button>
          </Space>
        ) : null,
    },
  ];

  return (
    <Card
      title={t('federation.applications')}
      data-testid="applications"
      extra={
        <Segmented<StatusFilter>
          value={filter}
          onChange={setFilter}
          options={[
            { value: 'pending', label: t('federation.appStatus.pending') },
            { value: 'approved', label: t('federation.appStatus.approved') },
            { value: 'rejected', label: t('federation.appStatus.rejected') },
            { value: 'all', label: t('federation.filterAll') },
          ]}
        />
      }
    >
      <Typography.Paragraph type="secondary">{t('federation.applicationsHelp')}</Typography.Paragraph>
      {applications.error ? (
        <ErrorAlert error={applications.error} onRetry={() => void applications.refetch()} />
      ) : (
        <Table<Application>
          rowKey="id"
          loading={applications.isLoading}
          columns={columns}
          dataSource={applications.data?.applications ?? []}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          scroll={{ x: 'max-content' }}
          locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('federation.applicationsEmpty')} /> }}
        />
      )}
      <Modal
        open={rejecting !== null}
        title={rejecting ? t('federation.rejectTitle', { name: rejecting.name, code: rejecting.code }) : ''}
        okText={t('federation.reject')}
        okButtonProps={{ danger: true, loading: reject.isPending }}
        onOk={() => form.submit()}
        onCancel={() => setRejecting(null)}
        destroyOnHidden
      >
        <Form form={form} layout="vertical" name="reject-application" onFinish={(values) => rejecting && reject.mutate({ code: rejecting.code, reason: values.reason.trim() })}>
          <Form.Item name="reason" label={t('federation.rejectReason')} rules={[{ required: true, whitespace: true, max: 500, message: t('federation.rejectReasonRequired') }]}>
            <Input.TextArea rows={3} maxLength={500} showCount />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}
