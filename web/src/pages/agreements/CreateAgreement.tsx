/**
 * Importing an agreement from pasted YAML or JSON (agreements officers). When the document does
 * not validate, every problem the server found is listed with its path and line.
 */
import { FileTextOutlined } from '@ant-design/icons';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { App, Button, Form, Input, Modal, Segmented, Space, Table, Typography, Upload } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { ApiError, client, ok } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';

interface Issue {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

function issuesOf(error: unknown): Issue[] {
  if (!(error instanceof ApiError) || !error.details) return [];
  const listed = error.details.issues;
  if (Array.isArray(listed)) return listed.filter((issue): issue is Issue => typeof issue === 'object' && issue !== null && 'message' in issue);
  const { path, line, column } = error.details as { path?: unknown; line?: unknown; column?: unknown };
  return typeof path === 'string'
    ? [{ path, message: error.message, ...(typeof line === 'number' ? { line } : {}), ...(typeof column === 'number' ? { column } : {}) }]
    : [];
}

export function CreateAgreement({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [form] = Form.useForm<{ format: 'yaml' | 'json'; text: string }>();

  const create = useMutation({
    mutationFn: (values: { format: 'yaml' | 'json'; text: string }) => ok(client.POST('/api/v1/agreements', { body: { text: values.text, format: values.format } })),
    onSuccess: (result) => {
      const renumbered = result.renumberedFrom !== undefined ? t('agreements.import.renumbered', { from: result.renumberedFrom }) : '';
      void message.success(`${t('agreements.import.created', { id: result.agreement.id, version: result.agreement.version })}${renumbered}`);
      void queryClient.invalidateQueries({ queryKey: ['agreements'] });
      form.resetFields();
      onClose();
      navigate(`/agreements/${result.agreement.id}?version=${result.agreement.version}`);
    },
  });
  const issues = issuesOf(create.error);
  const [selected, setSelected] = useState<number | null>(null);

  /** Puts the cursor on the line a problem names, so the author can fix it at once. */
  const goToLine = (line: number | undefined) => {
    if (line === undefined) return;
    const area = document.querySelector<HTMLTextAreaElement>('#agreement-import_text');
    if (!area) return;
    const lines = area.value.split('\n');
    const start = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
    setSelected(line);
  };

  return (
    <Modal
      open={open}
      title={t('agreements.import.title')}
      width={900}
      okText={t('common.submit')}
      okButtonProps={{ loading: create.isPending }}
      onOk={() => form.submit()}
      onCancel={onClose}
      forceRender
    >
      <Typography.Paragraph type="secondary">{t('agreements.import.help')}</Typography.Paragraph>
      <Form form={form} name="agreement-import" layout="vertical" initialValues={{ format: 'yaml' }} onFinish={(values) => create.mutate(values)}>
        <Space style={{ marginBottom: 12 }}>
          <Form.Item name="format" label={t('agreements.import.format')} style={{ marginBottom: 0 }}>
            <Segmented options={[{ value: 'yaml', label: 'YAML' }, { value: 'json', label: 'JSON' }]} />
          </Form.Item>
          <Upload
            accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
            showUploadList={false}
            beforeUpload={(file) => {
              void file.text().then((text) => {
                form.setFieldsValue({ text, format: file.name.toLowerCase().endsWith('.json') ? 'json' : 'yaml' });
              });
              return false;
            }}
          >
            <Button icon={<FileTextOutlined />} style={{ marginTop: 30 }}>{t('agreements.import.loadFile')}</Button>
          </Upload>
        </Space>
        <Form.Item
          name="text"
          label={t('agreements.import.text')}
          rules={[{ required: true, whitespace: true, message: t('agreements.import.textRequired') }]}
          validateStatus={issues.length > 0 ? 'error' : undefined}
        >
          <Input.TextArea rows={16} spellCheck={false} style={{ fontFamily: 'monospace' }} data-testid="agreement-text" />
        </Form.Item>
      </Form>
      {create.error ? <ErrorAlert error={create.error} /> : null}
      {issues.length > 0 ? (
        <Table<Issue>
          style={{ marginTop: 12 }}
          size="small"
          data-testid="agreement-issues"
          title={() => t('agreements.import.issues')}
          rowKey={(issue) => `${issue.path}:${issue.line ?? ''}:${issue.message}`}
          dataSource={issues}
          pagination={{ pageSize: 10, hideOnSinglePage: true }}
          rowClassName={(issue) => (issue.line !== undefined && issue.line === selected ? 'ant-table-row-selected' : '')}
          columns={[
            { title: t('agreements.import.path'), dataIndex: 'path', render: (path: string) => <Typography.Text code>{path || '/'}</Typography.Text> },
            {
              title: t('agreements.import.line'),
              dataIndex: 'line',
              render: (line: number | undefined, issue) =>
                line !== undefined ? (
                  <Button type="link" size="small" onClick={() => goToLine(line)}>
                    {line}
                    {issue.column !== undefined ? `:${issue.column}` : ''}
                  </Button>
                ) : '—',
            },
            { title: t('agreements.import.problem'), dataIndex: 'message' },
          ]}
        />
      ) : null}
    </Modal>
  );
}
