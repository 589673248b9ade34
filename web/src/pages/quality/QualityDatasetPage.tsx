/**
 * One dataset's quality: the latest overall and per-dimension scores, the trend across runs, the
 * run history, the chosen run's rule results with drill-down into a rule's masked failing
 * samples, a "run now" button for stewards, and the dataset's remediation tasks.
 */
import { ArrowLeftOutlined, DownloadOutlined, PlayCircleOutlined, ReloadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Checkbox, Col, Descriptions, Drawer, Empty, Result, Row, Skeleton, Space, Statistic, Table, Tabs, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { client, ok, type paths } from '../../api/client';
import { useSession } from '../../auth/session';
import { Chart, type ChartOption } from '../../components/Chart';
import { CopyableId } from '../../components/CopyableId';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Time } from '../../components/Time';
import { formatNumber, formatPercent, formatTime } from '../../i18n/format';
import { Conformance } from './Conformance';
import { RemediationTasks, type RemediationSource } from './RemediationTasks';
import { dimensionKeys, scoreColor, ScoreBar, StatusTag, useScore, type RuleResult, type RunStatus, type ScoreView } from './shared';

type RunSummary = paths['/api/v1/quality/datasets/{provider}/{slug}/runs']['get']['responses']['200']['content']['application/json']['runs'][number];

function sourceLabel(source: string, t: (key: string) => string): string {
  if (source === 'generated' || source === 'api') return t(`quality.sources.${source}`);
  if (source.startsWith('file:')) return `${t('quality.sources.file')} ${source.slice(5)}`;
  return source;
}

function ScoreCards({ view, datasetName }: { view: ScoreView; datasetName: string }) {
  const { t } = useTranslation();
  const latest = view.latest!;
  return (
    <Card title={t('quality.scoreCard')} data-testid="quality-scores">
      <Row gutter={[24, 16]} align="middle">
        <Col xs={24} md={6}>
          <Statistic
            title={t('quality.overall')}
            value={latest.scores.overall ?? undefined}
            formatter={() => <span data-testid="quality-overall" style={{ color: scoreColor(latest.scores.overall), fontSize: 40, fontWeight: 600 }}>{formatNumber(latest.scores.overall, 1)}</span>}
          />
          <Space orientation="vertical" size={2}>
            <StatusTag status={latest.status} />
            <Typography.Text type="secondary">
              {t('quality.latestRun')} <Time value={latest.finishedAt} />
            </Typography.Text>
            <Typography.Text type="secondary">{t('quality.latestRunSize', { rules: formatNumber(latest.ruleCount), rows: formatNumber(latest.rowCount) })}</Typography.Text>
          </Space>
        </Col>
        <Col xs={24} md={18}>
          <Row gutter={[16, 16]}>
            {dimensionKeys.map((dimension) => {
              const value = latest.scores.dimensions[dimension];
              return (
                <Col key={dimension} xs={12} sm={8}>
                  <Card size="small" aria-label={`${datasetName} ${t(`quality.dimensions.${dimension}`)}`} data-testid={`quality-dimension-${dimension}`}>
                    <Statistic
                      title={t(`quality.dimensions.${dimension}`)}
                      value={value ?? undefined}
                      formatter={() => (value === null ? <Typography.Text type="secondary">{t('quality.dimensionNone')}</Typography.Text> : <span style={{ color: scoreColor(value) }}>{formatNumber(value, 1)}</span>)}
                    />
                  </Card>
                </Col>
              );
            })}
          </Row>
        </Col>
      </Row>
    </Card>
  );
}

function TrendChart({ view, datasetName, onPick }: { view: ScoreView; datasetName: string; onPick: (runId: string) => void }) {
  const { t, i18n } = useTranslation();
  const option = useMemo<ChartOption>(() => {
    const labels = view.trend.map((point) => formatTime(point.finishedAt));
    return {
      tooltip: { trigger: 'axis', valueFormatter: (value: unknown) => (typeof value === 'number' ? formatNumber(value, 1) : '—') },
      legend: { top: 0, type: 'scroll' },
      grid: { left: 48, right: 24, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: labels, boundaryGap: false, axisLabel: { hideOverlap: true } },
      yAxis: { type: 'value', min: 0, max: 100 },
      series: [
        {
          name: t('quality.overall'),
          type: 'line',
          data: view.trend.map((point) => point.overall),
          lineStyle: { width: 3 },
          symbolSize: 8,
          connectNulls: true,
        },
        ...dimensionKeys.map((dimension) => ({
          name: t(`quality.dimensions.${dimension}`),
          type: 'line',
          data: view.trend.map((point) => point.dimensions[dimension]),
          lineStyle: { width: 1.5 },
          symbolSize: 5,
          connectNulls: true,
        })),
      ],
    };
    // i18n.language: labels and series names follow the reader's language.
  }, [view.trend, t, i18n.language]);

  if (view.trend.length < 2) return <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('quality.trendEmpty')} />;
  return (
    <Chart
      option={option}
      height={300}
      label={t('quality.trendLabel', { dataset: datasetName })}
      data-testid="quality-trend"
      onClick={(item) => {
        const point = view.trend[item.dataIndex];
        if (point) onPick(point.runId);
      }}
    />
  );
}

function SamplesDrawer({ rule, onClose }: { rule: RuleResult | null; onClose: () => void }) {
  const { t } = useTranslation();
  const columns = useMemo(() => {
    const keys: string[] = [];
    for (const sample of rule?.samples ?? []) for (const key of Object.keys(sample)) if (!keys.includes(key)) keys.push(key);
    // The rule's own fields first: that is where the fault is.
    keys.sort((a, b) => Number(!(rule?.fields ?? []).includes(a)) - Number(!(rule?.fields ?? []).includes(b)));
    return keys;
  }, [rule]);
  return (
    <Drawer open={!!rule} onClose={onClose} size="large" title={rule ? t('quality.samplesTitle', { rule: rule.name }) : ''} data-testid="samples-drawer">
      {rule ? (
        <Space orientation="vertical" style={{ width: '100%' }} size="middle">
          <Descriptions size="small" column={2} bordered>
            <Descriptions.Item label={t('quality.check')}>{t(`quality.checks.${rule.check}`, { defaultValue: rule.check })}</Descriptions.Item>
            <Descriptions.Item label={t('quality.dimension')}>{t(`quality.dimensions.${rule.dimension}`, { defaultValue: rule.dimension })}</Descriptions.Item>
            <Descriptions.Item label={t('quality.fields')}>{rule.fields.join('、') || '—'}</Descriptions.Item>
            <Descriptions.Item label={t('quality.status')}><StatusTag status={rule.status} /></Descriptions.Item>
            <Descriptions.Item label={t('quality.failed')}>{formatNumber(rule.failed)} / {formatNumber(rule.evaluated)}</Descriptions.Item>
            <Descriptions.Item label={t('quality.failedPercent')}>{formatPercent(rule.failedPercent / 100, 2)}</Descriptions.Item>
            {rule.detail ? <Descriptions.Item label={t('quality.detail')} span={2}>{rule.detail}</Descriptions.Item> : null}
          </Descriptions>
          {rule.samples.length === 0 ? (
            <Empty description={t('quality.samplesEmpty')} />
          ) : (
            <>
              <Typography.Paragraph type="secondary" style={{ marginBottom: 0 }}>
                {t('quality.samplesNote', { failed: formatNumber(rule.failed), shown: formatNumber(rule.samples.length) })}
              </Typography.Paragraph>
              <Table
                size="small"
                data-testid="samples-table"
                rowKey={(_, index) => String(index)}
                dataSource={rule.samples}
                pagination={false}
                scroll={{ x: true }}
                columns={columns.map((key) => ({
                  title: rule.fields.includes(key) ? <Typography.Text type="danger">{key}</Typography.Text> : key,
                  dataIndex: key,
                  key,
                  render: (value: unknown) => (value === null || value === undefined || value === '' ? <Typography.Text type="secondary">∅</Typography.Text> : <span style={{ fontFamily: 'monospace' }}>{String(value)}</span>),
                }))}
              />
            </>
          )}
        </Space>
      ) : null}
    </Drawer>
  );
}

function RulesTable({ runId, canRemediate, onOpenTask }: { runId: string; canRemediate: boolean; onOpenTask: (source: RemediationSource) => void }) {
  const { t } = useTranslation();
  const [rule, setRule] = useState<RuleResult | null>(null);
  const run = useQuery({ queryKey: ['quality-run', runId], queryFn: () => ok(client.GET('/api/v1/quality/runs/{id}', { params: { path: { id: runId } } })) });
  // The readable HTML report needs the session's token, so it is fetched and saved as a file.
  const report = useMutation({
    mutationFn: async () => {
      const html = await ok(client.GET('/api/v1/quality/runs/{id}/report', { params: { path: { id: runId } }, parseAs: 'text' }));
      const url = URL.createObjectURL(new Blob([html], { type: 'text/html;charset=utf-8' }));
      const link = document.createElement('a');
      link.href = url;
      link.download = `quality-${runId}.html`;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    },
  });
  if (run.isPending) return <Skeleton active paragraph={{ rows: 5 }} />;
  if (run.isError) return <ErrorAlert error={run.error} onRetry={() => void run.refetch()} />;
  const statusOrder: Record<RunStatus, number> = { fail: 0, warn: 1, pass: 2 };
  return (
    <>
      <Typography.Paragraph type="secondary">
        {t('quality.runId')}{' '}
        <CopyableId value={run.data.id} /> · <Time value={run.data.finishedAt} /> · {sourceLabel(run.data.rulesSource, t)}
        <Button type="link" size="small" icon={<DownloadOutlined />} loading={report.isPending} onClick={() => report.mutate()} data-testid="quality-report">
          {t('quality.report')}
        </Button>
      </Typography.Paragraph>
      {report.isError ? <ErrorAlert error={report.error} /> : null}
      <Table<RuleResult>
        rowKey={(result) => result.name}
        data-testid="quality-rules"
        dataSource={run.data.results}
        size="middle"
        scroll={{ x: 1300 }}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: <Empty description={t('common.empty')} /> }}
        columns={[
          { title: t('quality.rule'), dataIndex: 'name', width: 220, sorter: (a, b) => a.name.localeCompare(b.name) },
          {
            title: t('quality.status'),
            dataIndex: 'status',
            width: 96,
            filters: (['fail', 'warn', 'pass'] as const).map((status) => ({ text: t(`quality.statuses.${status}`), value: status })),
            onFilter: (value, result) => result.status === value,
            sorter: (a, b) => statusOrder[a.status] - statusOrder[b.status],
            defaultSortOrder: 'ascend',
            render: (status: RunStatus) => <StatusTag status={status} />,
          },
          {
            title: t('quality.failed'),
            dataIndex: 'failed',
            align: 'right',
            width: 110,
            sorter: (a, b) => a.failed - b.failed,
            render: (value: number) => <span data-testid="rule-failed">{value > 0 ? <Typography.Text type="danger">{formatNumber(value)}</Typography.Text> : formatNumber(value)}</span>,
          },
          { title: t('quality.failedPercent'), dataIndex: 'failedPercent', align: 'right', width: 90, render: (value: number) => formatPercent(value / 100, 2) },
          { title: t('quality.score'), dataIndex: 'score', width: 140, sorter: (a, b) => a.score - b.score, render: (value: number) => <ScoreBar score={value} /> },
          {
            title: t('quality.dimension'),
            dataIndex: 'dimension',
            width: 90,
            filters: dimensionKeys.map((dimension) => ({ text: t(`quality.dimensions.${dimension}`), value: dimension })),
            onFilter: (value, result) => result.dimension === value,
            render: (dimension: string) => t(`quality.dimensions.${dimension}`, { defaultValue: dimension }),
          },
          {
            title: t('quality.check'),
            dataIndex: 'check',
            width: 120,
            filters: [...new Set(run.data.results.map((result) => result.check))].map((check) => ({ text: t(`quality.checks.${check}`, { defaultValue: check }), value: check })),
            onFilter: (value, result) => result.check === value,
            render: (check: string) => t(`quality.checks.${check}`, { defaultValue: check }),
          },
          { title: t('quality.fields'), dataIndex: 'fields', width: 150, render: (fields: string[]) => (fields.length ? fields.map((field) => <Tag key={field}>{field}</Tag>) : '—') },
          { title: t('quality.evaluated'), dataIndex: 'evaluated', align: 'right', width: 100, render: (value: number) => formatNumber(value) },
          {
            title: t('common.actions'),
            key: 'actions',
            fixed: 'right',
            width: 180,
            render: (_, result) => (
              <Space size={0}>
                <Button type="link" size="small" onClick={() => setRule(result)} data-testid={`rule-samples-${result.name}`}>
                  {t('quality.viewSamples')}
                </Button>
                {canRemediate && result.status !== 'pass' ? (
                  <Button type="link" size="small" onClick={() => onOpenTask({ runId: run.data.id, rule: result })} data-testid={`rule-remediate-${result.name}`}>
                    {t('quality.remediation.open')}
                  </Button>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      <SamplesDrawer rule={rule} onClose={() => setRule(null)} />
    </>
  );
}

function RunsTable({ provider, slug, selected, onSelect }: { provider: string; slug: string; selected: string | undefined; onSelect: (id: string) => void }) {
  const { t } = useTranslation();
  const runs = useQuery({
    queryKey: ['quality-runs', provider, slug],
    queryFn: () => ok(client.GET('/api/v1/quality/datasets/{provider}/{slug}/runs', { params: { path: { provider, slug }, query: { limit: 500 } } })),
  });
  if (runs.isPending) return <Skeleton active paragraph={{ rows: 4 }} />;
  if (runs.isError) return <ErrorAlert error={runs.error} onRetry={() => void runs.refetch()} />;
  return (
    <Table<RunSummary>
      rowKey="id"
      data-testid="quality-runs"
      dataSource={runs.data.runs}
      size="middle"
      scroll={{ x: 1000 }}
      pagination={{ pageSize: 10, showSizeChanger: true, hideOnSinglePage: true }}
      rowClassName={(run) => (run.id === selected ? 'ant-table-row-selected' : '')}
      columns={[
        { title: t('quality.runAt'), dataIndex: 'finishedAt', sorter: (a, b) => a.finishedAt.localeCompare(b.finishedAt), defaultSortOrder: 'descend', render: (value: string) => <Time value={value} /> },
        { title: t('quality.runId'), dataIndex: 'id', render: (value: string) => <CopyableId value={value} length={10} /> },
        {
          title: t('quality.status'),
          dataIndex: 'status',
          filters: (['fail', 'warn', 'pass'] as const).map((status) => ({ text: t(`quality.statuses.${status}`), value: status })),
          onFilter: (value, run) => run.status === value,
          render: (status: RunStatus) => <StatusTag status={status} />,
        },
        { title: t('quality.overall'), key: 'overall', sorter: (a, b) => (a.scores.overall ?? -1) - (b.scores.overall ?? -1), render: (_, run) => <ScoreBar score={run.scores.overall} /> },
        { title: t('quality.ruleCount'), dataIndex: 'ruleCount', align: 'right', render: (value: number) => formatNumber(value) },
        { title: t('quality.rowCount'), dataIndex: 'rowCount', align: 'right', render: (value: number) => formatNumber(value) },
        { title: t('quality.datasetVersion'), dataIndex: 'datasetVersion', align: 'right' },
        { title: t('quality.rulesSource'), dataIndex: 'rulesSource', render: (value: string) => sourceLabel(value, t) },
        { title: t('quality.actor'), dataIndex: 'actor' },
        {
          title: t('common.actions'),
          key: 'actions',
          render: (_, run) =>
            run.id === selected ? (
              <Tag color="processing">{t('quality.selectedRun')}</Tag>
            ) : (
              <Button type="link" size="small" onClick={() => onSelect(run.id)}>
                {t('quality.selectRun')}
              </Button>
            ),
        },
      ]}
    />
  );
}

export function QualityDatasetPage() {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const { provider = '', slug = '' } = useParams();
  const { hasRole } = useSession();
  const queryClient = useQueryClient();
  const canRun = hasRole('steward');
  const [selectedRun, setSelectedRun] = useState<string | undefined>();
  const [tab, setTab] = useState('rules');
  const [taskSource, setTaskSource] = useState<RemediationSource | null>(null);
  const [autoOpen, setAutoOpen] = useState(false);

  const dataset = useQuery({
    queryKey: ['catalog-dataset', provider, slug],
    queryFn: () => ok(client.GET('/api/v1/catalog/datasets/{provider}/{slug}', { params: { path: { provider, slug } } })),
    retry: false,
  });
  const score = useScore(provider, slug);

  const runNow = useMutation({
    mutationFn: () => ok(client.POST('/api/v1/quality/datasets/{provider}/{slug}/runs', { params: { path: { provider, slug } }, body: autoOpen ? { openTasks: true } : {} })),
    onSuccess: async (run) => {
      queryClient.setQueryData(['quality-run', run.id], run);
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ['quality-score', provider, slug] }),
        queryClient.invalidateQueries({ queryKey: ['quality-runs', provider, slug] }),
        // A passing run verifies tasks; an automatic run may have opened some.
        queryClient.invalidateQueries({ queryKey: ['quality-tasks'] }),
        queryClient.invalidateQueries({ queryKey: ['catalog-dataset', provider, slug] }),
        queryClient.invalidateQueries({ queryKey: ['quality-conformance', provider, slug] }),
      ]);
      setSelectedRun(run.id);
      setTab('rules');
      void message.success(t('quality.runDone', { score: formatNumber(run.scores.overall, 1) }));
    },
  });

  const datasetName = dataset.data?.name ?? `${provider}/${slug}`;
  const shownRun = selectedRun ?? score.data?.latest?.id;

  const hasRuns = !!score.data?.latest;
  const runTabs = [
    {
      key: 'rules',
      label: t('quality.rules'),
      children: shownRun ? (
        <RulesTable
          runId={shownRun}
          canRemediate={canRun}
          onOpenTask={(source) => {
            setTaskSource(source);
            setTab('remediation');
          }}
        />
      ) : null,
    },
    {
      key: 'runs',
      label: t('quality.runs'),
      children: (
        <RunsTable
          provider={provider}
          slug={slug}
          selected={shownRun}
          onSelect={(id) => {
            setSelectedRun(id);
            setTab('rules');
          }}
        />
      ),
    },
  ];
  const tabs = [
    ...(hasRuns ? runTabs : []),
    {
      key: 'remediation',
      label: t('quality.remediation.title'),
      children: <RemediationTasks provider={provider} slug={slug} canWork={canRun} source={taskSource} onSourceUsed={() => setTaskSource(null)} />,
    },
    { key: 'conformance', label: t('quality.conformance.title'), children: <Conformance provider={provider} slug={slug} canMap={canRun} /> },
  ];

  const header = (
    <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
      <Space orientation="vertical" size={0}>
        <Link to="/quality">
          <ArrowLeftOutlined /> {t('quality.back')}
        </Link>
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="quality-dataset-name">
          {datasetName}
        </Typography.Title>
        <Space size="small" wrap>
          <CopyableId value={`${provider}/${slug}`} length={60} />
          {dataset.data ? <Typography.Text type="secondary">{dataset.data.providerName} · {t('quality.rows')} {formatNumber(dataset.data.data.rows)}</Typography.Text> : null}
        </Space>
      </Space>
      <Space>
        <Button icon={<ReloadOutlined />} onClick={() => void score.refetch()} loading={score.isFetching && !runNow.isPending}>
          {t('common.refresh')}
        </Button>
        {canRun ? (
          <Checkbox checked={autoOpen} onChange={(event) => setAutoOpen(event.target.checked)} data-testid="quality-auto-open">
            {t('quality.remediation.autoOpen')}
          </Checkbox>
        ) : null}
        {canRun ? (
          <Button type="primary" icon={<PlayCircleOutlined />} loading={runNow.isPending} onClick={() => runNow.mutate()} data-testid="quality-run-now">
            {runNow.isPending ? t('quality.running') : t('quality.runNow')}
          </Button>
        ) : null}
      </Space>
    </Space>
  );

  return (
    <Space orientation="vertical" size="large" style={{ width: '100%' }}>
      {header}
      {runNow.isError ? <ErrorAlert error={runNow.error} onRetry={() => runNow.mutate()} /> : null}
      {score.isPending ? (
        <Card>
          <Skeleton active paragraph={{ rows: 6 }} />
        </Card>
      ) : score.isError ? (
        <ErrorAlert error={score.error} onRetry={() => void score.refetch()} />
      ) : !score.data.latest ? (
        <Card>
          <Result
            status="info"
            title={t('quality.noRunsYet')}
            subTitle={canRun ? t('quality.noRunsHint') : t('quality.noRunsReadOnly')}
            extra={
              canRun ? (
                <Button type="primary" icon={<PlayCircleOutlined />} loading={runNow.isPending} onClick={() => runNow.mutate()}>
                  {t('quality.runNow')}
                </Button>
              ) : undefined
            }
          />
        </Card>
      ) : (
        <>
          <ScoreCards view={score.data} datasetName={datasetName} />
          <Card title={t('quality.trend')}>
            <TrendChart
              view={score.data}
              datasetName={datasetName}
              onPick={(runId) => {
                setSelectedRun(runId);
                setTab('rules');
              }}
            />
          </Card>
        </>
      )}
      {score.isSuccess ? (
        <Card>
          <Tabs
            activeKey={tabs.some((item) => item.key === tab) ? tab : tabs[0]!.key}
            onChange={setTab}
            items={tabs}
          />
        </Card>
      ) : null}
    </Space>
  );
}
