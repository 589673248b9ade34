/**
 * The readable quality report: one self-contained HTML page (no scripts, no external assets) per
 * run, with the scores per dimension, every rule's result, the masked samples and the trend.
 * Every value is escaped; samples are already masked by the engine. Pure.
 */
import type { QualityRun } from '../quality-service.ts';

function escape(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!);
}

function score(value: number | null): string {
  return value === null ? '—' : value.toFixed(2);
}

const statusColours = { pass: '#1a7f37', warn: '#9a6700', fail: '#cf222e' } as const;

/** A trend point for the report's small chart. */
export interface TrendPoint {
  readonly finishedAt: string;
  readonly overall: number | null;
}

/** Renders a run (and, if given, the dataset's score trend, oldest first) as an HTML page. */
export function renderRunHtml(run: QualityRun, trend: readonly TrendPoint[] = []): string {
  const dimensions = Object.entries(run.scores.dimensions)
    .map(([name, value]) => `<td><div class="dim">${escape(name)}</div><div class="num">${score(value)}</div></td>`)
    .join('');
  const rows = run.results
    .map(
      (result) => `<tr>
  <td><span class="badge" style="background:${statusColours[result.status]}">${result.status}</span></td>
  <td>${escape(result.name)}</td><td>${escape(result.check)}</td><td>${escape(result.dimension)}</td>
  <td class="r">${result.failed.toLocaleString('en')}</td><td class="r">${result.failedPercent.toFixed(2)}</td><td class="r">${result.score.toFixed(2)}</td>
  <td>${escape(result.detail ?? '')}</td>
</tr>`,
    )
    .join('\n');
  const samples = run.results
    .filter((result) => result.samples.length > 0)
    .map((result) => {
      const columns = [...new Set(result.samples.flatMap((sample) => Object.keys(sample)))];
      const body = result.samples.map((sample) => `<tr>${columns.map((column) => `<td>${escape(sample[column] ?? '')}</td>`).join('')}</tr>`).join('');
      return `<h3>${escape(result.name)}</h3><table><tr>${columns.map((column) => `<th>${escape(column)}</th>`).join('')}</tr>${body}</table>`;
    })
    .join('\n');
  const points = trend.filter((point) => point.overall !== null);
  const chart =
    points.length < 2
      ? ''
      : (() => {
          const width = 480;
          const height = 120;
          const path = points.map((point, index) => `${index === 0 ? 'M' : 'L'}${((index / (points.length - 1)) * width).toFixed(1)},${(height - (point.overall! / 100) * height).toFixed(1)}`).join(' ');
          return `<h2>Trend (overall score)</h2><svg width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="overall score trend"><path d="${path}" fill="none" stroke="#0969da" stroke-width="2"/></svg><p class="muted">${escape(points[0]!.finishedAt)} → ${escape(points.at(-1)!.finishedAt)}: ${points.map((point) => score(point.overall)).join(' → ')}</p>`;
        })();
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>质量报告 Quality report — ${escape(run.dataset)}</title>
<style>
body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2rem;color:#1f2328}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left}
.r{text-align:right}.badge{color:#fff;border-radius:1rem;padding:.1rem .6rem;font-size:.85rem}
.dim{font-size:.8rem;color:#59636e}.num{font-size:1.4rem}.muted{color:#59636e}
</style></head><body>
<h1>质量报告 Quality report: ${escape(run.dataset)}</h1>
<p>Run <code>${escape(run.id)}</code> · version ${run.datasetVersion} · ${run.rowCount.toLocaleString('en')} rows · rules: ${escape(run.rulesSource)} · ${escape(run.startedAt)} → ${escape(run.finishedAt)} ·
<span class="badge" style="background:${statusColours[run.status]}">${run.status}</span></p>
<h2>Scores</h2>
<table><tr><td><div class="dim">overall</div><div class="num">${score(run.scores.overall)}</div></td>${dimensions}</tr></table>
<h2>Rules</h2>
<table><tr><th>status</th><th>rule</th><th>check</th><th>dimension</th><th>failed</th><th>%</th><th>score</th><th>detail</th></tr>
${rows}
</table>
${samples ? `<h2>Failing samples (masked)</h2>\n${samples}` : ''}
${chart}
</body></html>
`;
}
