/**
 * Importing rows from a CSV or JSON Lines file: the file is streamed to the node with an upload
 * progress bar (XMLHttpRequest reports upload progress; fetch does not), then the node's per-row
 * error report is shown. A dry run checks every row and writes nothing.
 */
import { UploadOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Checkbox, Descriptions, Empty, Form, Progress, Select, Space, Table, Typography, Upload } from 'antd';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, client, type ApiErrorBody, type paths } from '../../api/client';
import { useSession } from '../../auth/session';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatNumber } from '../../i18n/format';

type ImportResult = paths['/api/v1/catalog/datasets/{provider}/{slug}/import']['post']['responses']['200']['content']['application/json'];
type RowError = ImportResult['errors'][number];
type Mode = 'replace' | 'append';
type Encoding = 'auto' | 'utf-8' | 'gbk';

const contentTypes = { csv: 'text/csv', jsonl: 'application/x-ndjson' } as const;
const sessionCodes = new Set(['token_expired', 'token_invalid', 'authentication_required', 'session_expired']);

function formatOf(name: string): keyof typeof contentTypes | undefined {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return 'csv';
  if (lower.endsWith('.jsonl') || lower.endsWith('.ndjson')) return 'jsonl';
  return undefined;
}

/** Sends the file and reports upload progress; resolves with the node's import report. */
function upload(url: string, token: string | null, file: File, contentType: string, onProgress: (ratio: number) => void, signal: AbortSignal): Promise<ImportResult> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', url);
    request.setRequestHeader('content-type', contentType);
    if (token) request.setRequestHeader('authorization', `Bearer ${token}`);
    request.responseType = 'json';
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onload = () => {
      const body = request.response as (ImportResult & Partial<ApiErrorBody>) | null;
      if (request.status >= 200 && request.status < 300 && body) resolve(body);
      else reject(new ApiError(request.status, body?.code ?? 'internal_error', body?.message ?? request.statusText, body?.details));
    };
    request.onerror = () => reject(new ApiError(0, 'network_error', 'network error'));
    signal.addEventListener('abort', () => request.abort());
    request.send(file);
  });
}

export function ImportPanel({ provider, slug, onImported }: { provider: string; slug: string; onImported: () => void }) {
  const { t } = useTranslation();
  const { token } = useSession();
  const tokenRef = useRef(token);
  tokenRef.current = token;
  const [file, setFile] = useState<File | null>(null);
  const [mode, setMode] = useState<Mode>('replace');
  const [encoding, setEncoding] = useState<Encoding>('auto');
  const [dryRun, setDryRun] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [phase, setPhase] = useState<'idle' | 'uploading' | 'processing'>('idle');
  const [result, setResult] = useState<ImportResult | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [fileProblem, setFileProblem] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  const start = async () => {
    if (!file) {
      setFileProblem(t('catalog.fileRequired'));
      return;
    }
    const format = formatOf(file.name);
    if (!format) {
      setFileProblem(t('catalog.unsupportedFile'));
      return;
    }
    setFileProblem(null);
    setError(null);
    setResult(null);
    setProgress(0);
    setPhase('uploading');
    const query = new URLSearchParams({ mode, dryRun: String(dryRun), reportLimit: '1000' });
    if (encoding !== 'auto') query.set('encoding', encoding);
    const url = `/api/v1/catalog/datasets/${encodeURIComponent(provider)}/${encodeURIComponent(slug)}/import?${query.toString()}`;
    abort.current = new AbortController();
    const send = () =>
      upload(url, tokenRef.current, file, contentTypes[format], (ratio) => {
        setProgress(ratio);
        if (ratio >= 1) setPhase('processing');
      }, abort.current!.signal);
    try {
      let report: ImportResult;
      try {
        report = await send();
      } catch (caught) {
        if (!(caught instanceof ApiError) || caught.status !== 401 || !sessionCodes.has(caught.code)) throw caught;
        // The session expired while choosing the file: the typed client asks the person to log in
        // again (the page and the chosen file stay), then the upload is sent once more.
        await client.GET('/api/v1/auth/me');
        await new Promise((resolve) => setTimeout(resolve, 0));
        setProgress(0);
        setPhase('uploading');
        report = await send();
      }
      setResult(report);
      if (!report.dryRun) onImported();
    } catch (caught) {
      setError(caught);
    } finally {
      setPhase('idle');
      setProgress(null);
    }
  };

  const busy = phase !== 'idle';
  const columns = [
    { title: t('catalog.line'), dataIndex: 'line', width: 90, sorter: (a: RowError, b: RowError) => a.line - b.line, render: (line: number) => formatNumber(line) },
    { title: t('catalog.field'), dataIndex: 'field', width: 180, render: (field: string | null) => (field ? <Typography.Text code>{field}</Typography.Text> : '—') },
    { title: t('catalog.problem'), dataIndex: 'problem' },
  ];

  return (
    <Card title={t('catalog.importTitle')} data-testid="import-panel">
      <Typography.Paragraph type="secondary">{t('catalog.importHelp')}</Typography.Paragraph>
      <Form layout="inline" style={{ rowGap: 12 }}>
        <Form.Item label={t('catalog.chooseFile')} validateStatus={fileProblem ? 'error' : undefined} help={fileProblem ?? undefined}>
          <Upload
            accept=".csv,.jsonl,.ndjson,text/csv,application/x-ndjson"
            maxCount={1}
            beforeUpload={(picked) => {
              setFile(picked);
              setFileProblem(formatOf(picked.name) ? null : t('catalog.unsupportedFile'));
              setResult(null);
              return false;
            }}
            onRemove={() => setFile(null)}
            fileList={file ? [{ uid: 'file', name: `${file.name} (${formatNumber(file.size)} B)`, status: 'done' }] : []}
          >
            <Button icon={<UploadOutlined />} disabled={busy} data-testid="import-file">{t('catalog.chooseFile')}</Button>
          </Upload>
        </Form.Item>
        <Form.Item label={t('catalog.mode')}>
          <Select<Mode> value={mode} onChange={setMode} style={{ width: 160 }} disabled={busy} options={(['replace', 'append'] as const).map((value) => ({ value, label: t(`catalog.modes.${value}`) }))} />
        </Form.Item>
        <Form.Item label={t('catalog.encoding')}>
          <Select<Encoding>
            value={encoding}
            onChange={setEncoding}
            style={{ width: 150 }}
            disabled={busy}
            options={[{ value: 'auto', label: t('catalog.encodingAuto') }, { value: 'utf-8', label: 'UTF-8' }, { value: 'gbk', label: 'GBK' }]}
          />
        </Form.Item>
        <Form.Item>
          <Checkbox checked={dryRun} onChange={(event) => setDryRun(event.target.checked)} disabled={busy} data-testid="import-dry-run">
            {t('catalog.dryRun')}
          </Checkbox>
        </Form.Item>
        <Form.Item>
          <Button type="primary" onClick={() => void start()} loading={busy} data-testid="import-start">{t('catalog.startImport')}</Button>
        </Form.Item>
      </Form>

      {progress !== null ? (
        <div style={{ marginTop: 16 }} data-testid="import-progress">
          <Progress percent={Math.round(progress * 100)} status={phase === 'processing' ? 'active' : 'normal'} />
          <Typography.Text type="secondary">
            {phase === 'processing' ? t('catalog.processing') : t('catalog.uploading', { percent: `${Math.round(progress * 100)}%` })}
          </Typography.Text>
        </div>
      ) : null}

      {error ? <div style={{ marginTop: 16 }}><ErrorAlert error={error} onRetry={() => void start()} /></div> : null}

      {result ? (
        <Space orientation="vertical" style={{ width: '100%', marginTop: 16 }} data-testid="import-result">
          <Alert
            type={result.rowsRejected > 0 ? 'warning' : 'success'}
            showIcon
            title={result.dryRun ? t('catalog.dryRunDone') : t('catalog.importDone')}
          />
          <Descriptions size="small" bordered column={{ xs: 1, md: 3 }}>
            <Descriptions.Item label={t('catalog.rowsRead')}>{formatNumber(result.rowsRead)}</Descriptions.Item>
            <Descriptions.Item label={result.dryRun ? t('catalog.rowsWouldImport') : t('catalog.rowsImported')}>
              <span data-testid="rows-imported">{formatNumber(result.rowsImported)}</span>
            </Descriptions.Item>
            <Descriptions.Item label={t('catalog.rowsRejected')}>
              <Typography.Text type={result.rowsRejected > 0 ? 'danger' : undefined} data-testid="rows-rejected">{formatNumber(result.rowsRejected)}</Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('catalog.rowCount')}>{formatNumber(result.rowCount)}</Descriptions.Item>
            <Descriptions.Item label={t('catalog.duration')}>{formatNumber(result.durationMs / 1000, 2)} s</Descriptions.Item>
            <Descriptions.Item label={t('catalog.speed')}>{formatNumber(result.rowsPerSecond)}</Descriptions.Item>
          </Descriptions>
          <Typography.Title level={5}>{t('catalog.rowErrors')}</Typography.Title>
          {result.errorsTruncated ? (
            <Alert type="info" showIcon title={t('catalog.errorsTruncated', { count: formatNumber(result.errorCount), shown: formatNumber(result.errors.length) })} />
          ) : null}
          <Table<RowError>
            size="small"
            data-testid="row-errors"
            rowKey={(row) => `${row.line}:${row.field ?? ''}:${row.problem}`}
            columns={columns}
            dataSource={result.errors}
            pagination={{ pageSize: 20, hideOnSinglePage: true, showSizeChanger: true }}
            locale={{ emptyText: <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={t('catalog.noRowErrors')} /> }}
          />
        </Space>
      ) : null}
    </Card>
  );
}
