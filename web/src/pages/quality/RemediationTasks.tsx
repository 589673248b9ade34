/**
 * Remediation tasks of one dataset: opened from a failed rule of a run, assigned, marked fixed,
 * or closed as won't fix; a later passing run verifies them (open → assigned → fixed → verified |
 * wont_fix). The list filters by state on the server.
 */
import { ReloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Empty, Form, Input, Modal, Select, Skeleton, Space, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { client, ok, type paths } from '../../api/client';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { showFieldError } from '../../components/forms';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';
import type { RuleResult } from './shared';

type Task = paths['/api/v1/quality/tasks']['get']['responses']['200']['content']['application/json']['tasks'][number];
type TaskState = Task['state'];
type Change = paths['/api/v1/quality/tasks/{id}/transitions']['post']['requestBody']['content']['application/json'];

const states: readonly TaskState[] = ['open', 'assigned', 'fixed', 'verified', 'wont_fix'];
const stateColors: Record<TaskState, string> = { open: 'red', assigned: 'orange', fixed: 'blue', verified: 'green', wont_fix: 'default' };

/** A failed rule of a run that a steward asked to open a task for. */
export interface RemediationSource {
  readonly runId: string;
  readonly rule: RuleResult;
}

export function TaskStateTag({ state }: { state: TaskState }) {
  const { t } = useTranslation();
  return <Tag color={stateColors[state]} data-state={state}>{t(`quality.remediation.states.${state}`)}</Tag>;
}

function OpenTaskModal({ source, onClose }: { source: RemediationSource | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ assignee?: string }>();
  const [error, setError] = useState<unknown>(null);
  const open = useMutation({
    mutationFn: async ({ assignee }: { assignee?: string }) => {
      const { results } = await ok(client.POST('/api/v1/quality/runs/{id}/tasks', { params: { path: { id: source!.runId } }, body: { rules: [source!.rule.name] } }));
      const result = results[0];
      if (result?.status === 'opened' && result.task && assignee) {
        await ok(client.POST('/api/v1/quality/tasks/{id}/transitions', { params: { path: { id: result.task.id } }, body: { action: 'assign', assignee } }));
      }
      return result?.status ?? 'not_failed';
    },
    onSuccess: async (status) => {
      await queryClient.invalidateQueries({ queryKey: ['quality-tasks'] });
      if (status === 'opened') void message.success(t('quality.remediation.opened'));
      else if (status === 'already_open') void message.info(t('quality.remediation.alreadyOpen'));
      else void message.warning(t('quality.remediation.notFailed'));
      onClose();
    },
    onError: (caught) => setError(caught),
  });
  return (
    <Modal
      open={!!source}
      title={source ? t('quality.remediation.openTitle', { rule: source.rule.name }) : ''}
      onCancel={onClose}
      okText={t('quality.remediation.open')}
      cancelText={t('common.cancel')}
      confirmLoading={open.isPending}
      onOk={() => form.submit()}
      okButtonProps={{ 'data-testid': 'task-open-submit' } as Record<string, string>}
      destroyOnHidden
      afterOpenChange={(visible) => visible && setError(null)}
    >
      {error ? <div style={{ marginBottom: 16 }}><ErrorAlert error={error} /></div> : null}
      {source ? <Typography.Paragraph>{t('quality.remediation.openIntro', { failed: formatNumber(source.rule.failed) })}</Typography.Paragraph> : null}
      <Form form={form} layout="vertical" name="open-task" onFinish={(values) => open.mutate({ ...(values.assignee?.trim() ? { assignee: values.assignee.trim() } : {}) })}>
        <Form.Item name="assignee" label={t('quality.remediation.assignee')} extra={t('quality.remediation.assigneeHelp')} rules={[{ max: 120 }]}>
          <Input autoComplete="off" />
        </Form.Item>
      </Form>
    </Modal>
  );
}

type Pending = { readonly task: Task; readonly action: Change['action'] };

function ChangeModal({ pending, onClose }: { pending: Pending | null; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ assignee?: string; note?: string }>();
  const [error, setError] = useState<unknown>(null);
  const change = useMutation({
    mutationFn: (body: Change) => ok(client.POST('/api/v1/quality/tasks/{id}/transitions', { params: { path: { id: pending!.task.id } }, body })),
    onSuccess: async (task) => {
      await queryClient.invalidateQueries({ queryKey: ['quality-tasks'] });
      if (task.state === 'assigned') void message.success(t('quality.remediation.assigned', { assignee: task.assignee ?? '' }));
      else if (task.state === 'fixed') void message.success(t('quality.remediation.fixedDone'));
      else void message.success(t('quality.remediation.wontFixDone'));
      onClose();
    },
    onError: (caught) => {
      if (!showFieldError(form, caught, errorText(caught, t))) setError(caught);
    },
  });
  const action = pending?.action;
  const title = action === 'assign' ? t('quality.remediation.assignTitle') : action === 'fix' ? t('quality.remediation.fixTitle') : t('quality.remediation.wontFixTitle');
  return (
    <Modal
      open={!!pending}
      title={title}
      onCancel={onClose}
      okText={t('common.submit')}
      cancelText={t('common.cancel')}
      okButtonProps={{ danger: action === 'wont_fix', ...({ 'data-testid': 'task-change-submit' } as Record<string, string>) }}
      confirmLoading={change.isPending}
      onOk={() => form.submit()}
      destroyOnHidden
      afterOpenChange={(visible) => {
        if (visible) {
          setError(null);
          form.setFieldsValue({ assignee: pending?.task.assignee ?? undefined });
        }
      }}
    >
      {error ? <div style={{ marginBottom: 16 }}><ErrorAlert error={error} /></div> : null}
      {pending ? (
        <Typography.Paragraph type="secondary">
          {pending.task.rule} · <TaskStateTag state={pending.task.state} />
        </Typography.Paragraph>
      ) : null}
      <Form
        form={form}
        layout="vertical"
        name="task-change"
        onFinish={(values) => {
          setError(null);
          const note = values.note?.trim();
          if (action === 'assign') change.mutate({ action: 'assign', assignee: values.assignee!.trim() });
          else if (action === 'fix') change.mutate({ action: 'fix', ...(note ? { note } : {}) });
          else change.mutate({ action: 'wont_fix', note: note! });
        }}
      >
        {action === 'assign' ? (
          <Form.Item name="assignee" label={t('quality.remediation.assignee')} rules={[{ required: true, whitespace: true, max: 120, message: t('quality.remediation.assigneeRequired') }]}>
            <Input autoComplete="off" autoFocus />
          </Form.Item>
        ) : action === 'fix' ? (
          <Form.Item name="note" label={t('quality.remediation.fixNote')} extra={t('quality.remediation.fixNoteHelp')} rules={[{ max: 2000 }]}>
            <Input.TextArea rows={3} />
          </Form.Item>
        ) : (
          <Form.Item name="note" label={t('quality.remediation.wontFixReason')} rules={[{ required: true, whitespace: true, max: 2000, message: t('quality.remediation.reasonRequired') }]}>
            <Input.TextArea rows={3} />
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}

export function RemediationTasks({ provider, slug, canWork, source, onSourceUsed }: { provider: string; slug: string; canWork: boolean; source: RemediationSource | null; onSourceUsed: () => void }) {
  const { t } = useTranslation();
  const [filter, setFilter] = useState<TaskState[]>([]);
  const [pending, setPending] = useState<Pending | null>(null);
  const dataset = `${provider}/${slug}`;
  const tasks = useQuery({
    queryKey: ['quality-tasks', dataset, filter],
    queryFn: () => ok(client.GET('/api/v1/quality/tasks', { params: { query: { dataset, limit: 500, ...(filter.length > 0 ? { state: filter } : {}) } } })),
    placeholderData: (previous) => previous,
  });

  return (
    <>
      <Space style={{ marginBottom: 16, width: '100%', justifyContent: 'space-between' }} wrap>
        <Select<TaskState[]>
          mode="multiple"
          allowClear
          style={{ minWidth: 280 }}
          placeholder={t('quality.remediation.stateFilter')}
          aria-label={t('quality.remediation.stateFilter')}
          value={filter}
          onChange={setFilter}
          options={states.map((state) => ({ value: state, label: t(`quality.remediation.states.${state}`) }))}
        />
        <Button icon={<ReloadOutlined />} onClick={() => void tasks.refetch()} loading={tasks.isFetching}>
          {t('common.refresh')}
        </Button>
      </Space>
      {!canWork ? <Alert type="info" showIcon style={{ marginBottom: 16 }} title={t('quality.remediation.readOnly')} /> : null}
      {tasks.isPending ? (
        <Skeleton active paragraph={{ rows: 4 }} />
      ) : tasks.isError ? (
        <ErrorAlert error={tasks.error} onRetry={() => void tasks.refetch()} />
      ) : (
        <Table<Task>
          rowKey="id"
          data-testid="remediation-tasks"
          dataSource={tasks.data.tasks}
          size="middle"
          scroll={{ x: 1300 }}
          pagination={{ pageSize: 20, showSizeChanger: true, hideOnSinglePage: true }}
          locale={{ emptyText: <Empty description={t('quality.remediation.empty')} /> }}
          columns={[
            { title: t('quality.remediation.rule'), dataIndex: 'rule', width: 220, sorter: (a, b) => a.rule.localeCompare(b.rule) },
            { title: t('quality.remediation.state'), dataIndex: 'state', width: 110, render: (state: TaskState) => <TaskStateTag state={state} /> },
            { title: t('quality.remediation.assignee'), dataIndex: 'assignee', width: 120, render: (value: string | null) => value ?? '—' },
            { title: t('quality.remediation.failedRows'), dataIndex: 'failedAtOpen', align: 'right', width: 130, render: (value: number) => formatNumber(value) },
            { title: t('quality.remediation.note'), dataIndex: 'note', width: 200, ellipsis: true, render: (value: string | null) => value ?? '—' },
            { title: t('quality.remediation.id'), dataIndex: 'id', width: 150, render: (value: string) => <CopyableId value={value} length={8} /> },
            { title: t('quality.remediation.openedRun'), dataIndex: 'openedRun', width: 150, render: (value: string) => <CopyableId value={value} length={8} /> },
            { title: t('quality.remediation.verifiedRun'), dataIndex: 'verifiedRun', width: 150, render: (value: string | null) => <CopyableId value={value} length={8} /> },
            { title: t('quality.remediation.openedBy'), dataIndex: 'openedBy', width: 110 },
            { title: t('quality.remediation.createdAt'), dataIndex: 'openedAt', width: 180, sorter: (a, b) => a.openedAt.localeCompare(b.openedAt), render: (value: string) => <Time value={value} /> },
            { title: t('quality.remediation.updatedAt'), dataIndex: 'updatedAt', width: 180, sorter: (a, b) => a.updatedAt.localeCompare(b.updatedAt), render: (value: string) => <Time value={value} /> },
            {
              title: t('common.actions'),
              key: 'actions',
              fixed: 'right',
              width: 220,
              render: (_, task) => {
                if (task.state === 'verified' || task.state === 'wont_fix') return null;
                if (!canWork) return task.state === 'fixed' ? <Typography.Text type="secondary">{t('quality.remediation.verifyHint')}</Typography.Text> : null;
                return (
                  <Space size={0} wrap>
                    {task.state === 'open' || task.state === 'assigned' ? (
                      <Button type="link" size="small" onClick={() => setPending({ task, action: 'assign' })} data-testid={`task-assign-${task.rule}`}>
                        {task.state === 'open' ? t('quality.remediation.assign') : t('quality.remediation.reassign')}
                      </Button>
                    ) : null}
                    {task.state === 'assigned' ? (
                      <Button type="link" size="small" onClick={() => setPending({ task, action: 'fix' })} data-testid={`task-fix-${task.rule}`}>
                        {t('quality.remediation.markFixed')}
                      </Button>
                    ) : null}
                    {task.state === 'fixed' ? <Typography.Text type="secondary">{t('quality.remediation.verifyHint')}</Typography.Text> : null}
                    <Button type="link" size="small" danger onClick={() => setPending({ task, action: 'wont_fix' })} data-testid={`task-wontfix-${task.rule}`}>
                      {t('quality.remediation.wontFix')}
                    </Button>
                  </Space>
                );
              },
            },
          ]}
        />
      )}
      <OpenTaskModal source={canWork ? source : null} onClose={onSourceUsed} />
      <ChangeModal pending={pending} onClose={() => setPending(null)} />
    </>
  );
}
