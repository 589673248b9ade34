/** Pieces both quality screens use: the score query, score and status badges. */
import { useQuery } from '@tanstack/react-query';
import { Progress, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { client, ok, type paths } from '../../api/client';
import { formatNumber } from '../../i18n/format';

export type ScoreView = paths['/api/v1/quality/datasets/{provider}/{slug}/score']['get']['responses']['200']['content']['application/json'];
export type RunRecord = paths['/api/v1/quality/runs/{id}']['get']['responses']['200']['content']['application/json'];
export type RuleResult = RunRecord['results'][number];
export type RunStatus = RunRecord['status'];

export const dimensionKeys = ['completeness', 'validity', 'uniqueness', 'consistency', 'timeliness', 'accuracy'] as const;
export type DimensionKey = (typeof dimensionKeys)[number];

/** A score's colour: green from 90, amber from 70, red below. */
export function scoreColor(score: number | null | undefined): string {
  if (score === null || score === undefined) return '#bfbfbf';
  if (score >= 90) return '#52c41a';
  if (score >= 70) return '#faad14';
  return '#ff4d4f';
}

export function useScore(provider: string, slug: string, limit = 50) {
  return useQuery({
    queryKey: ['quality-score', provider, slug, limit],
    queryFn: () => ok(client.GET('/api/v1/quality/datasets/{provider}/{slug}/score', { params: { path: { provider, slug }, query: { limit } } })),
  });
}

export function StatusTag({ status }: { status: RunStatus }) {
  const { t } = useTranslation();
  const color = status === 'pass' ? 'success' : status === 'warn' ? 'warning' : 'error';
  return <Tag color={color} data-status={status}>{t(`quality.statuses.${status}`)}</Tag>;
}

/** A score as a number with a thin bar (or a dash when nothing scored into it). */
export function ScoreBar({ score, width = 120 }: { score: number | null | undefined; width?: number }) {
  const { t } = useTranslation();
  if (score === null || score === undefined) return <Typography.Text type="secondary">{t('quality.dimensionNone')}</Typography.Text>;
  return (
    <div style={{ width }}>
      <Progress percent={score} size="small" strokeColor={scoreColor(score)} format={() => formatNumber(score, 1)} aria-label={formatNumber(score, 1)} />
    </div>
  );
}
