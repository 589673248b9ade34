/**
 * An agreement read as a document: parties, service items with their steps, data permissions
 * (datasets, classification ceiling, grants with fields per requester, purposes, operations and
 * masking), security duties, service level and validity.
 */
import { useQuery } from '@tanstack/react-query';
import { Card, Descriptions, Empty, List, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { client, ok } from '../../api/client';
import { formatDate, formatNumber, formatPercent } from '../../i18n/format';
import { GradeTag, SharingTag } from '../catalog/tags';
import type { AgreementDocument as Document, DatasetClause, Grant } from './model';

function Fields({ fields, mask }: { fields?: readonly string[]; mask?: Record<string, string> }) {
  const { t } = useTranslation();
  if (!fields || fields.length === 0) return <Typography.Text type="secondary">{t('agreements.none')}</Typography.Text>;
  return (
    <Space size={[4, 4]} wrap>
      {fields.map((field) => (
        <Tag key={field} color={mask?.[field] ? 'orange' : undefined} title={mask?.[field] ? t(`agreements.masks.${mask[field]}`, { defaultValue: mask[field] }) : undefined}>
          {field}
          {mask?.[field] ? ` · ${t(`agreements.masks.${mask[field]}`, { defaultValue: mask[field] })}` : ''}
        </Tag>
      ))}
    </Space>
  );
}

function GrantTable({ grants, partyName }: { grants: readonly Grant[]; partyName: (code: string) => string }) {
  const { t } = useTranslation();
  return (
    <Table<Grant>
      size="small"
      rowKey={(grant) => `${grant.to}:${grant.items.join(',')}:${grant.purposes.join(',')}`}
      pagination={false}
      dataSource={[...grants]}
      scroll={{ x: 'max-content' }}
      columns={[
        { title: t('agreements.grantTo'), dataIndex: 'to', render: (to: string) => partyName(to) },
        { title: t('agreements.grantItems'), dataIndex: 'items', render: (items: string[]) => items.join('、') },
        { title: t('agreements.purposes'), dataIndex: 'purposes', render: (purposes: string[]) => purposes.map((purpose) => <Tag key={purpose}>{purpose}</Tag>) },
        { title: t('agreements.queryFields'), key: 'query', render: (_: unknown, grant) => <Fields fields={grant.query} mask={grant.mask} /> },
        { title: t('agreements.verifyFields'), key: 'verify', render: (_: unknown, grant) => <Fields fields={grant.verify} mask={grant.mask} /> },
        {
          title: t('agreements.masking'),
          key: 'mask',
          render: (_: unknown, grant) =>
            grant.mask && Object.keys(grant.mask).length > 0
              ? Object.entries(grant.mask).map(([field, rule]) => (
                  <div key={field}>
                    <Typography.Text code>{field}</Typography.Text> {t(`agreements.masks.${rule}`, { defaultValue: rule })}
                  </div>
                ))
              : t('agreements.none'),
        },
      ]}
    />
  );
}

export function AgreementDocumentView({ document }: { document: Document }) {
  const { t } = useTranslation();
  // Parties are named by the document when it names them, else by the federation directory.
  const members = useQuery({ queryKey: ['directory', 'members'], queryFn: () => ok(client.GET('/api/v1/directory/members')) });
  const names = new Map<string, string | undefined>((members.data?.members ?? []).map((member) => [member.code, member.name]));
  for (const party of document.parties) if (party.name) names.set(party.node, party.name);
  const partyName = (code: string) => (names.get(code) ? `${names.get(code)}（${code}）` : code);

  return (
    <Space orientation="vertical" size="middle" style={{ width: '100%' }} data-testid="agreement-document">
      <Descriptions bordered size="small" column={{ xs: 1, md: 2 }}>
        <Descriptions.Item label={t('agreements.name')} span={2}>{document.title}</Descriptions.Item>
        <Descriptions.Item label={t('agreements.parties')} span={2}>
          <Space wrap>
            {document.parties.map((party) => (
              <Tag key={party.node} color={party.role === 'provider' ? 'green' : party.role === 'requester' ? 'blue' : 'purple'}>
                {partyName(party.node)} · {t(`agreements.partyRoles.${party.role}`)}
              </Tag>
            ))}
          </Space>
        </Descriptions.Item>
        <Descriptions.Item label={t('agreements.validity')}>
          {t('agreements.validityRange', { from: formatDate(document.validity.from), to: formatDate(document.validity.to) })}
        </Descriptions.Item>
        <Descriptions.Item label={t('agreements.superior')}>{document.superior ?? '—'}</Descriptions.Item>
        {document.template ? <Descriptions.Item label={t('agreements.template')}>{document.template}</Descriptions.Item> : null}
        {document.recognisedLicenses && document.recognisedLicenses.length > 0 ? (
          <Descriptions.Item label={t('agreements.recognisedLicenses')} span={2}>{document.recognisedLicenses.join('、')}</Descriptions.Item>
        ) : null}
      </Descriptions>

      <Card size="small" title={t('agreements.items')}>
        <List
          dataSource={[...document.items]}
          renderItem={(item) => (
            <List.Item>
              <List.Item.Meta
                title={
                  <Space>
                    {item.code}
                    <Tag>{t(`agreements.itemModes.${item.mode}`)}</Tag>
                  </Space>
                }
                description={item.steps
                  .map((step) => t('agreements.stepLine', { by: partyName(step.by), step: t(`agreements.stepKinds.${step.step}`), days: step.limitDays }))
                  .join(' → ')}
              />
            </List.Item>
          )}
        />
      </Card>

      <Card size="small" title={t('agreements.datasets')}>
        {document.datasets.length === 0 ? (
          <Empty />
        ) : (
          <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
            {document.datasets.map((clause: DatasetClause, index) => (
              <Card
                key={clause.dataset}
                type="inner"
                size="small"
                title={
                  <Space wrap>
                    <Typography.Text code>{clause.dataset}</Typography.Text>
                    <Typography.Text type="secondary">/datasets/{index}</Typography.Text>
                  </Space>
                }
              >
                <Descriptions size="small" column={{ xs: 1, md: 3 }}>
                  <Descriptions.Item label={t('agreements.ceiling')}><GradeTag grade={clause.grade} /></Descriptions.Item>
                  <Descriptions.Item label={t('agreements.sharing')}><SharingTag type={clause.sharing} /></Descriptions.Item>
                  <Descriptions.Item label={t('agreements.approvalRoute')}>
                    {clause.approval ? t('agreements.approvalRouteText', { by: partyName(clause.approval.by), days: clause.approval.deadlineWorkingDays }) : '—'}
                  </Descriptions.Item>
                </Descriptions>
                <GrantTable grants={clause.grants} partyName={partyName} />
              </Card>
            ))}
          </Space>
        )}
      </Card>

      <Card size="small" title={t('agreements.duties')}>
        <Descriptions size="small" column={{ xs: 1, md: 2 }}>
          <Descriptions.Item label={t('agreements.controller')} span={2}>
            <Space orientation="vertical" size={0}>
              {Object.entries(document.security.controller).map(([dataset, node]) => (
                <span key={dataset}>
                  <Typography.Text code>{dataset}</Typography.Text> → {partyName(node)}
                </span>
              ))}
            </Space>
          </Descriptions.Item>
          <Descriptions.Item label={t('agreements.retentionDays')}>{t('agreements.days', { count: document.security.retentionDays })}</Descriptions.Item>
          <Descriptions.Item label={t('agreements.breachNoticeHours')}>{t('agreements.hours', { count: document.security.breachNoticeHours })}</Descriptions.Item>
        </Descriptions>
      </Card>

      {document.service ? (
        <Card size="small" title={t('agreements.sla')}>
          <Descriptions size="small" column={{ xs: 1, md: 2 }}>
            <Descriptions.Item label={t('agreements.availability')}>{formatPercent(document.service.availability, 1)}</Descriptions.Item>
            <Descriptions.Item label={t('agreements.p95')}>{t('agreements.ms', { count: document.service.p95Ms, formatted: formatNumber(document.service.p95Ms) })}</Descriptions.Item>
            {document.service.qualityFloor ? (
              <Descriptions.Item label={t('agreements.qualityFloor')} span={2}>
                <Space orientation="vertical" size={0}>
                  {Object.entries(document.service.qualityFloor).map(([dataset, floor]) => (
                    <span key={dataset}>
                      <Typography.Text code>{dataset}</Typography.Text> ≥ {formatNumber(floor)}
                    </span>
                  ))}
                </Space>
              </Descriptions.Item>
            ) : null}
          </Descriptions>
        </Card>
      ) : null}

      {document.extensions && Object.keys(document.extensions).length > 0 ? (
        <Card size="small" title={t('agreements.extensions')}>
          <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }}>{JSON.stringify(document.extensions, null, 2)}</pre>
        </Card>
      ) : null}
    </Space>
  );
}
