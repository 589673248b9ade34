/**
 * "Who used my data" (public, outside the staff console): with the citizen token a counter issued
 * (pasted, or from `?token=` in the link, which is then removed from the address) and their ID
 * number, the person sees every access to records about them across the federation — which node
 * asked, when, for which item and purpose, which fields, under which agreement. Operator ids never
 * appear: the report does not carry them.
 */
import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Card, Empty, Flex, Form, Input, Table, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { ApiError, client, ok, type paths } from '../../api/client';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { showFieldError } from '../../components/forms';
import { Time } from '../../components/Time';
import { formatNumber } from '../../i18n/format';
import { LanguageSwitch } from '../../layout/LanguageSwitch';
import { nodeLabel, useNodeNames } from './nodeNames';

type Report = paths['/api/v1/audit/my-accesses']['post']['responses']['200']['content']['application/json'];
type NodePage = Report['nodes'][number];
type Entry = NodePage['entries'][number] & { readonly holder: string };

interface LookupValues {
  token: string;
  idNumber: string;
}

const pageSize = 50;
const idNumberPattern = /^\d{17}[\dXx]$/;

export function CitizenPage() {
  const { t } = useTranslation();
  const [form] = Form.useForm<LookupValues>();
  const [params, setParams] = useSearchParams();
  const [fromLink, setFromLink] = useState(false);
  const names = useNodeNames();
  const [pages, setPages] = useState<NodePage[]>([]);
  const [next, setNext] = useState<Report['next']>(null);
  const [asked, setAsked] = useState<LookupValues | null>(null);
  /** True when the last refusal is shown next to a field rather than above the results. */
  const [onField, setOnField] = useState(false);

  // Take the token from the link once, then drop it from the address bar and history.
  useEffect(() => {
    const token = params.get('token');
    if (!token) return;
    form.setFieldValue('token', token);
    setFromLink(true);
    setParams({}, { replace: true });
  }, [params, setParams, form]);

  const lookup = useMutation({
    mutationFn: (input: { values: LookupValues; after?: Record<string, number> }) =>
      ok(
        client.POST('/api/v1/audit/my-accesses', {
          body: { token: input.values.token.trim(), idNumber: input.values.idNumber.trim().toUpperCase(), limit: pageSize, ...(input.after ? { after: input.after } : {}) },
        }),
      ),
    onSuccess: (report, input) => {
      setOnField(false);
      setAsked(input.values);
      setPages((before) => (input.after ? [...before, ...report.nodes] : report.nodes));
      setNext(report.next);
    },
    onError: (error, input) => {
      if (!input.after) {
        setPages([]);
        setNext(null);
      }
      const message = errorText(error, t);
      if (error instanceof ApiError && error.code.startsWith('citizen_token')) {
        form.setFields([{ name: 'token', errors: [message] }]);
        setOnField(true);
        return;
      }
      setOnField(showFieldError(form, error, message));
    },
  });

  const entries: Entry[] = useMemo(
    () => pages.flatMap((page) => page.entries.map((entry) => ({ ...entry, holder: page.node }))).sort((a, b) => b.at.localeCompare(a.at)),
    [pages],
  );
  const failed = pages.filter((page) => page.status === 'failed');
  const nodesAsked = new Set(pages.map((page) => page.node)).size;
  const name = (code: string) => nodeLabel(names, code);

  return (
    <div style={{ minHeight: '100vh', background: '#f0f2f5', padding: '32px 16px' }}>
      <Flex vertical gap={16} style={{ maxWidth: 1100, margin: '0 auto' }}>
        <Flex justify="space-between" align="center">
          <Typography.Text strong style={{ fontSize: 18 }}>{t('common.productLong')}</Typography.Text>
          <LanguageSwitch />
        </Flex>
        <Card>
          <Typography.Title level={3} style={{ marginTop: 0 }}>{t('citizen.title')}</Typography.Title>
          <Typography.Paragraph type="secondary">{t('citizen.subtitle')}</Typography.Paragraph>
          <Alert type="info" showIcon title={t('citizen.howTo')} style={{ marginBottom: 16 }} />
          <Form<LookupValues> form={form} name="citizen" layout="vertical" onFinish={(values) => lookup.mutate({ values })} requiredMark={false}>
            <Form.Item
              name="token"
              label={t('citizen.token')}
              extra={fromLink ? t('citizen.tokenFromLink') : undefined}
              rules={[{ required: true, whitespace: true, max: 4096, message: t('citizen.tokenRequired') }]}
            >
              <Input.TextArea rows={3} placeholder={t('citizen.tokenPlaceholder')} autoComplete="off" spellCheck={false} />
            </Form.Item>
            <Form.Item
              name="idNumber"
              label={t('citizen.idNumber')}
              extra={t('citizen.idNumberHelp')}
              rules={[
                { required: true, whitespace: true, message: t('citizen.idNumberRequired') },
                { pattern: idNumberPattern, message: t('citizen.idNumberFormat'), transform: (value: string) => value?.trim() },
              ]}
            >
              <Input autoComplete="off" maxLength={18} style={{ maxWidth: 320 }} />
            </Form.Item>
            <Button type="primary" htmlType="submit" loading={lookup.isPending && !lookup.variables?.after} data-testid="citizen-submit">
              {t('citizen.submit')}
            </Button>
          </Form>
        </Card>
        {lookup.error && !onField ? <ErrorAlert error={lookup.error} /> : null}
        {asked ? (
          <Card title={t('citizen.results')} data-testid="citizen-results">
            <Flex vertical gap={12}>
              <Typography.Text type="secondary">{t('citizen.summary', { nodes: formatNumber(nodesAsked), entries: formatNumber(entries.length) })}</Typography.Text>
              {failed.length > 0 ? (
                <Alert
                  type="warning"
                  showIcon
                  title={t('citizen.failedNodes')}
                  description={failed.map((page) => (
                    <div key={page.node}>
                      {name(page.node)}
                      {page.error ? <Typography.Text code style={{ marginLeft: 8 }}>{page.error.code}</Typography.Text> : null}
                    </div>
                  ))}
                />
              ) : null}
              {entries.length === 0 ? (
                <Empty description={t('citizen.empty')} />
              ) : (
                <Table<Entry>
                  size="middle"
                  rowKey={(entry) => `${entry.holder}-${entry.seq}`}
                  dataSource={entries}
                  data-testid="citizen-accesses"
                  pagination={{ defaultPageSize: 20, showSizeChanger: true }}
                  scroll={{ x: 900 }}
                  columns={[
                    { key: 'at', title: t('citizen.at'), dataIndex: 'at', sorter: (a, b) => a.at.localeCompare(b.at), defaultSortOrder: 'descend', render: (value: string) => <Time value={value} /> },
                    {
                      key: 'user',
                      title: t('citizen.user'),
                      dataIndex: 'requester',
                      filters: [...new Set(entries.map((entry) => entry.requester))].map((code) => ({ text: name(code), value: code })),
                      onFilter: (value, entry) => entry.requester === value,
                      render: (value: string) => name(value),
                    },
                    { key: 'holder', title: t('citizen.holder'), dataIndex: 'holder', render: (value: string) => name(value) },
                    { key: 'item', title: t('citizen.item'), dataIndex: 'item' },
                    { key: 'purpose', title: t('citizen.purpose'), dataIndex: 'purpose' },
                    { key: 'op', title: t('citizen.op'), dataIndex: 'op', render: (value: string) => t(`citizen.ops.${value}`, { defaultValue: value }) },
                    {
                      key: 'fields',
                      title: t('citizen.fields'),
                      dataIndex: 'fields',
                      render: (fields: string[]) =>
                        fields.length === 0 ? (
                          <Typography.Text type="secondary">{t('citizen.existence')}</Typography.Text>
                        ) : (
                          <Flex gap={4} wrap>
                            {fields.map((field) => (
                              <Tag key={field}>{field}</Tag>
                            ))}
                          </Flex>
                        ),
                    },
                    { key: 'agreement', title: t('citizen.agreement'), dataIndex: 'agreement', render: (value: string) => <Typography.Text code>{value}</Typography.Text> },
                  ]}
                />
              )}
              {next ? (
                <Flex justify="center">
                  <Button onClick={() => asked && lookup.mutate({ values: asked, after: next })} loading={lookup.isPending && !!lookup.variables?.after} data-testid="citizen-more">
                    {t('citizen.loadMore')}
                  </Button>
                </Flex>
              ) : null}
              <Typography.Text type="secondary">{t('citizen.privacy')}</Typography.Text>
            </Flex>
          </Card>
        ) : null}
      </Flex>
    </div>
  );
}
