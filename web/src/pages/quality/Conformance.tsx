/**
 * A dataset's conformance to data standards: each item against the data element (数据元) it maps
 * to, with a summary; a steward maps items to elements here (the quality rules are generated from
 * the mapping).
 */
import { ReloadOutlined, SaveOutlined, UndoOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Col, Empty, Row, Select, Skeleton, Space, Statistic, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { client, ok, type paths } from '../../api/client';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatNumber } from '../../i18n/format';

type Report = paths['/api/v1/quality/datasets/{provider}/{slug}/conformance']['get']['responses']['200']['content']['application/json'];
type FieldRow = Report['fields'][number];
type Element = paths['/api/v1/standards/elements']['get']['responses']['200']['content']['application/json']['elements'][number];

const statusColors: Record<FieldRow['status'], string> = { ok: 'success', unmapped: 'default', unknown_element: 'warning', type_mismatch: 'error', values_outside: 'error' };
const summaryKeys = ['fields', 'mapped', 'unmapped', 'typeMismatches', 'fieldsWithValuesOutside'] as const;

export function Conformance({ provider, slug, canMap }: { provider: string; slug: string; canMap: boolean }) {
  const { t, i18n } = useTranslation();
  const { message } = App.useApp();
  const queryClient = useQueryClient();
  const [edits, setEdits] = useState<Record<string, string | null>>({});
  const report = useQuery({
    queryKey: ['quality-conformance', provider, slug],
    queryFn: () => ok(client.GET('/api/v1/quality/datasets/{provider}/{slug}/conformance', { params: { path: { provider, slug } } })),
  });
  const elements = useQuery({ queryKey: ['standards-elements'], queryFn: () => ok(client.GET('/api/v1/standards/elements')), enabled: canMap });
  const save = useMutation({
    mutationFn: () => ok(client.PUT('/api/v1/quality/datasets/{provider}/{slug}/mapping', { params: { path: { provider, slug } }, body: { mappings: edits } })),
    onSuccess: async (next) => {
      queryClient.setQueryData(['quality-conformance', provider, slug], next);
      setEdits({});
      await queryClient.invalidateQueries({ queryKey: ['catalog-dataset', provider, slug] });
      void message.success(t('quality.conformance.saved'));
    },
  });

  const options = useMemo(
    () => [
      { value: '', label: t('quality.conformance.none') },
      ...(elements.data?.elements ?? []).map((element: Element) => ({
        value: element.id,
        label: `${i18n.language === 'en' ? element.nameEn : element.nameZh} · ${element.id}`,
      })),
    ],
    [elements.data, i18n.language, t],
  );

  if (report.isPending) return <Skeleton active paragraph={{ rows: 5 }} />;
  if (report.isError) return <ErrorAlert error={report.error} onRetry={() => void report.refetch()} />;
  const changed = Object.keys(edits).length;

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>{t('quality.conformance.intro')}</Typography.Paragraph>
      <Row gutter={16} data-testid="conformance-summary">
        {summaryKeys.map((key) => (
          <Col key={key} xs={12} sm={8} md={4}>
            <Statistic title={t(`quality.conformance.summary.${key}`)} value={report.data.summary[key]} formatter={(value) => formatNumber(Number(value))} />
          </Col>
        ))}
      </Row>
      {!canMap ? <Alert type="info" showIcon title={t('quality.conformance.readOnly')} /> : null}
      {elements.isError ? <ErrorAlert error={elements.error} onRetry={() => void elements.refetch()} /> : null}
      {save.isError ? <ErrorAlert error={save.error} /> : null}
      <Table<FieldRow>
        rowKey="field"
        size="middle"
        data-testid="conformance-fields"
        dataSource={report.data.fields}
        pagination={false}
        scroll={{ x: 900 }}
        locale={{ emptyText: <Empty description={t('common.empty')} /> }}
        columns={[
          { title: t('quality.conformance.field'), dataIndex: 'field', width: 160, render: (value: string) => <Typography.Text code>{value}</Typography.Text> },
          { title: t('quality.conformance.type'), dataIndex: 'type', width: 90 },
          {
            title: t('quality.conformance.element'),
            dataIndex: 'element',
            width: 300,
            render: (value: string | null, row) => {
              if (!canMap) return value ?? '—';
              const current = row.field in edits ? edits[row.field] : value;
              return (
                <Select
                  showSearch={{ optionFilterProp: 'label' }}
                  style={{ width: 280 }}
                  loading={elements.isPending}
                  value={current ?? ''}
                  aria-label={`${t('quality.conformance.choose')}: ${row.field}`}
                  data-testid={`conformance-element-${row.field}`}
                  options={value && !options.some((option) => option.value === value) ? [...options, { value, label: value }] : options}
                  onChange={(next: string) =>
                    setEdits((previous) => {
                      const copy = { ...previous };
                      const normalised = next === '' ? null : next;
                      if (normalised === value) delete copy[row.field];
                      else copy[row.field] = normalised;
                      return copy;
                    })
                  }
                />
              );
            },
          },
          {
            title: t('quality.conformance.status'),
            dataIndex: 'status',
            width: 130,
            filters: (Object.keys(statusColors) as FieldRow['status'][]).map((status) => ({ text: t(`quality.conformance.statuses.${status}`), value: status })),
            onFilter: (value, row) => row.status === value,
            render: (status: FieldRow['status']) => <Tag color={statusColors[status]}>{t(`quality.conformance.statuses.${status}`)}</Tag>,
          },
          { title: t('quality.conformance.outside'), dataIndex: 'outside', width: 110, align: 'right', render: (value: number | null) => formatNumber(value) },
          { title: t('quality.conformance.detail'), dataIndex: 'detail', render: (value?: string) => value ?? '' },
        ]}
      />
      <Space>
        <Button icon={<ReloadOutlined />} onClick={() => void report.refetch()} loading={report.isFetching}>
          {t('common.refresh')}
        </Button>
        {canMap ? (
          <>
            <Button icon={<UndoOutlined />} disabled={changed === 0} onClick={() => setEdits({})}>
              {t('quality.conformance.reset')}
            </Button>
            <Button type="primary" icon={<SaveOutlined />} disabled={changed === 0} loading={save.isPending} onClick={() => save.mutate()} data-testid="conformance-save">
              {t('quality.conformance.save')}
            </Button>
            {changed > 0 ? <Typography.Text type="warning">{t('quality.conformance.changed', { count: changed })}</Typography.Text> : null}
          </>
        ) : null}
      </Space>
    </Space>
  );
}
