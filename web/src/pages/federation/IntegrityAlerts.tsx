/** The integrity alerts about one member, with their evidence, in a side drawer. */
import { Collapse, Drawer, Empty, Table, Tag, Typography, type TableColumnsType } from 'antd';
import { useTranslation } from 'react-i18next';
import { CopyableId } from '../../components/CopyableId';
import { Time } from '../../components/Time';

export interface IntegrityAlert {
  readonly id: string;
  readonly node: string;
  readonly kind: string;
  readonly message: string;
  readonly reportedBy: string;
  readonly detectedAt: string;
  readonly evidence: Record<string, unknown>;
}

export function IntegrityAlerts({
  code,
  source,
  alerts,
  onClose,
}: {
  code: string | null;
  source: 'hub' | 'witness';
  alerts: readonly IntegrityAlert[];
  onClose: () => void;
}) {
  const { t } = useTranslation();
  const columns: TableColumnsType<IntegrityAlert> = [
    { title: t('federation.detectedAt'), dataIndex: 'detectedAt', render: (value: string) => <Time value={value} />, sorter: (a, b) => a.detectedAt.localeCompare(b.detectedAt), defaultSortOrder: 'descend' },
    { title: t('federation.alertKind'), dataIndex: 'kind', render: (kind: string) => <Tag color="error">{kind}</Tag> },
    { title: t('federation.reportedBy'), dataIndex: 'reportedBy', render: (value: string) => <CopyableId value={value} /> },
    { title: t('federation.alertMessage'), dataIndex: 'message', width: 320 },
  ];
  return (
    <Drawer open={code !== null} onClose={onClose} size="large" title={code ? t('federation.alertsTitle', { code }) : ''} destroyOnHidden>
      <Typography.Paragraph type="secondary">{t(`federation.alertsSource.${source}`)}</Typography.Paragraph>
      <Table<IntegrityAlert>
        rowKey="id"
        size="small"
        columns={columns}
        dataSource={[...alerts]}
        pagination={{ pageSize: 10, hideOnSinglePage: true }}
        scroll={{ x: 'max-content' }}
        locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} /> }}
        expandable={{
          expandedRowRender: (alert) => (
            <Collapse
              size="small"
              defaultActiveKey={['evidence']}
              items={[{ key: 'evidence', label: t('federation.evidence'), children: <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{JSON.stringify(alert.evidence, null, 2)}</pre> }]}
            />
          ),
        }}
      />
    </Drawer>
  );
}
