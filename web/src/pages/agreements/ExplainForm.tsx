/**
 * "What would this request get?": a hypothetical request decided by the agreement's policy
 * (POST /api/v1/agreements/explain), shown with the clause that decided it, its text, the
 * fields that would come back and how they are masked.
 */
import { CheckCircleFilled, CloseCircleFilled } from '@ant-design/icons';
import { useMutation, useQuery } from '@tanstack/react-query';
import { AutoComplete, Button, Card, Col, Descriptions, Form, Input, Row, Select, Space, Tag, Typography } from 'antd';
import { useEffect, useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { client, ok } from '../../api/client';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { showFieldError } from '../../components/forms';
import { documentOf, type AgreementSummary, type Explanation } from './model';

interface ExplainValues {
  agreement: string;
  requester: string;
  dataset: string;
  item: string;
  purpose: string;
  operation: 'query' | 'verify';
  fields: string[];
  at?: string;
}

const unique = (values: readonly string[]) => [...new Set(values)];

function Decision({ explanation }: { explanation: Explanation }) {
  const { t } = useTranslation();
  const { decision } = explanation;
  const masked = Object.entries(decision.masks);
  return (
    <Card
      size="small"
      data-testid="explain-result"
      style={{ borderColor: decision.allow ? '#b7eb8f' : '#ffccc7', background: decision.allow ? '#f6ffed' : '#fff2f0' }}
      title={
        <Space>
          {decision.allow ? <CheckCircleFilled style={{ color: '#52c41a' }} /> : <CloseCircleFilled style={{ color: '#ff4d4f' }} />}
          <span data-testid="explain-decision">{decision.allow ? t('agreements.explainForm.allowed') : t('agreements.explainForm.refused')}</span>
          <Typography.Text type="secondary">
            {decision.agreement.id}@{decision.agreement.version}
          </Typography.Text>
        </Space>
      }
    >
      <Descriptions size="small" column={1} bordered styles={{ label: { width: 140, whiteSpace: 'nowrap' } }}>
        <Descriptions.Item label={t('agreements.explainForm.clause')}>
          <Typography.Text code copyable data-testid="explain-clause">{decision.clause || '/'}</Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('agreements.explainForm.reasonLabel')}>
          <span data-testid="explain-reason">{decision.reason}</span>
        </Descriptions.Item>
        {decision.code ? (
          <Descriptions.Item label={t('agreements.explainForm.refusalCode')}>
            <Typography.Text code data-testid="explain-code">{decision.code}</Typography.Text>
            {' '}
            {t(`errors.${decision.code}`, { defaultValue: '' })}
          </Descriptions.Item>
        ) : null}
        {decision.field ? (
          <Descriptions.Item label={t('agreements.explainForm.firstField')}>
            <Typography.Text code>{decision.field}</Typography.Text>
          </Descriptions.Item>
        ) : null}
        {decision.allow ? (
          <Descriptions.Item label={explanation.request.operation === 'verify' ? t('agreements.explainForm.readFields') : t('agreements.explainForm.returnedFields')}>
            <Space size={[4, 4]} wrap data-testid="explain-fields">
              {decision.fields.map((field) => (
                <Tag key={field} color={decision.masks[field] ? 'orange' : 'green'}>{field}</Tag>
              ))}
            </Space>
          </Descriptions.Item>
        ) : null}
        {masked.length > 0 ? (
          <Descriptions.Item label={t('agreements.explainForm.maskedFields')}>
            <Space orientation="vertical" size={0} data-testid="explain-masks">
              {masked.map(([field, rule]) => (
                <span key={field}>
                  <Typography.Text code>{field}</Typography.Text> {t(`agreements.masks.${rule}`, { defaultValue: rule })}
                </span>
              ))}
            </Space>
          </Descriptions.Item>
        ) : null}
        {explanation.clauseText ? (
          <Descriptions.Item label={t('agreements.explainForm.clauseText')}>
            <pre style={{ margin: 0, whiteSpace: 'pre-wrap' }} data-testid="explain-clause-text">{explanation.clauseText}</pre>
          </Descriptions.Item>
        ) : null}
        <Descriptions.Item label={t('agreements.explainForm.sentence')}>
          <Typography.Text type="secondary">{explanation.sentence}</Typography.Text>
        </Descriptions.Item>
      </Descriptions>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
        {t(`agreements.explainForm.datasetSource.${explanation.datasetSource}`)}
      </Typography.Paragraph>
    </Card>
  );
}

/** The explain form; `agreements` are the versions to choose from, `initial` the one chosen first (`id@version`). */
export function ExplainForm({ agreements, initial }: { agreements: readonly AgreementSummary[]; initial?: string }) {
  const { t } = useTranslation();
  const [form] = Form.useForm<ExplainValues>();
  const chosen = Form.useWatch('agreement', form);
  const chosenDataset = Form.useWatch('dataset', form);
  const operation = Form.useWatch('operation', form);
  const [id, version] = (chosen ?? '').split('@');

  const detail = useQuery({
    queryKey: ['agreements', 'detail', id, Number(version)],
    queryFn: () => ok(client.GET('/api/v1/agreements/{id}', { params: { path: { id: id! }, query: { version: Number(version) } } })),
    enabled: !!id && !!version,
  });
  const document = documentOf(detail.data);

  useEffect(() => {
    if (initial) form.setFieldValue('agreement', initial);
  }, [initial, form]);

  // Choices from the chosen agreement; every field still takes free text (to ask about what is not granted).
  const options = useMemo(() => {
    const clauses = document?.datasets ?? [];
    const clause = clauses.find((candidate) => candidate.dataset === chosenDataset);
    const grants = clause ? clause.grants : clauses.flatMap((candidate) => candidate.grants);
    return {
      requesters: unique(document?.parties.filter((party) => party.role !== 'provider').map((party) => party.node) ?? []),
      datasets: unique(clauses.map((candidate) => candidate.dataset)),
      items: unique(document?.items.map((item) => item.code) ?? []),
      purposes: unique(grants.flatMap((grant) => grant.purposes)),
      fields: unique(grants.flatMap((grant) => (operation === 'verify' ? [...(grant.verify ?? []), ...(grant.query ?? [])] : grant.query ?? []))),
    };
  }, [document, chosenDataset, operation]);

  const explain = useMutation({
    mutationFn: (values: ExplainValues) =>
      ok(
        client.POST('/api/v1/agreements/explain', {
          body: {
            agreement: values.agreement,
            requester: values.requester.trim(),
            dataset: values.dataset.trim(),
            item: values.item.trim(),
            purpose: values.purpose.trim(),
            operation: values.operation,
            fields: values.fields ?? [],
            ...(values.at ? { at: new Date(values.at).toISOString() } : {}),
          },
        }),
      ),
    onError: (error) => {
      // The server names the offending member as a JSON pointer (/fields/0): put it next to the field.
      const path = (error as { details?: { path?: unknown } }).details?.path;
      if (typeof path === 'string' && path.startsWith('/')) {
        const name = path.split('/')[1];
        if (name) form.setFields([{ name: name as never, errors: [errorText(error, t)] }]);
      } else showFieldError(form, error, errorText(error, t));
    },
  });

  const required = (field: string) => [{ required: true, whitespace: true, message: t('agreements.explainForm.required', { field }) }];
  const choices = (values: readonly string[]) => values.map((value) => ({ value }));

  return (
    <Card title={t('agreements.explainForm.title')} data-testid="explain">
      <Typography.Paragraph type="secondary">{t('agreements.explainForm.help')}</Typography.Paragraph>
      <Form<ExplainValues>
        form={form}
        name="explain"
        layout="vertical"
        initialValues={{ operation: 'query', fields: [], ...(initial ? { agreement: initial } : {}) }}
        onFinish={(values) => explain.mutate(values)}
      >
        <Row gutter={16}>
          <Col xs={24} md={12}>
            <Form.Item name="agreement" label={t('agreements.explainForm.agreement')} rules={[{ required: true, message: t('agreements.explainForm.required', { field: t('agreements.explainForm.agreement') }) }]}>
              <Select
                showSearch={{ optionFilterProp: 'label' }}
                options={agreements.map((agreement) => ({
                  value: `${agreement.id}@${agreement.version}`,
                  label: `${agreement.title} · ${agreement.id}@${agreement.version} · ${t(`agreements.states.${agreement.state}`)}`,
                }))}
              />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="requester" label={t('agreements.explainForm.requester')} rules={required(t('agreements.explainForm.requester'))}>
              <AutoComplete options={choices(options.requesters)} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="dataset" label={t('agreements.explainForm.dataset')} rules={required(t('agreements.explainForm.dataset'))}>
              <AutoComplete options={choices(options.datasets)} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="operation" label={t('agreements.explainForm.operation')} rules={[{ required: true }]}>
              <Select options={(['query', 'verify'] as const).map((value) => ({ value, label: t(`agreements.explainForm.operations.${value}`) }))} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="item" label={t('agreements.explainForm.item')} rules={required(t('agreements.explainForm.item'))}>
              <AutoComplete options={choices(options.items)} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="purpose" label={t('agreements.explainForm.purpose')} rules={required(t('agreements.explainForm.purpose'))}>
              <AutoComplete options={choices(options.purposes)} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="fields" label={t('agreements.explainForm.fields')} extra={t('agreements.explainForm.fieldsHelp')}>
              <Select mode="tags" options={choices(options.fields)} tokenSeparators={[',', ' ', '，']} />
            </Form.Item>
          </Col>
          <Col xs={24} md={12}>
            <Form.Item name="at" label={t('agreements.explainForm.at')} extra={t('agreements.explainForm.atHelp')}>
              <Input type="datetime-local" />
            </Form.Item>
          </Col>
        </Row>
        <Button type="primary" htmlType="submit" loading={explain.isPending} data-testid="explain-submit">
          {t('agreements.explainForm.submit')}
        </Button>
      </Form>
      {explain.error ? <div style={{ marginTop: 16 }}><ErrorAlert error={explain.error} /></div> : null}
      {explain.data && !explain.isPending ? <div style={{ marginTop: 16 }}><Decision explanation={explain.data} /></div> : null}
    </Card>
  );
}
