/**
 * At the counter (caseworker): after checking a person's identity, issue a short-lived citizen
 * token for their ID number and hand them the "who used my data" link (`/my-data?token=…`) with
 * its expiry. The ID number is checked as GB 11643 before it is sent and is not kept on screen
 * once the token is issued; the link carries the token only, never the number.
 */
import { LinkOutlined, SafetyCertificateOutlined } from '@ant-design/icons';
import { useMutation } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Flex, Form, Input, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { client, ok } from '../../api/client';
import { ErrorAlert, errorText } from '../../components/ErrorAlert';
import { showFieldError } from '../../components/forms';
import { Time } from '../../components/Time';
import { idNumberProblem } from '../citizen/idNumber';

interface TokenValues {
  idNumber: string;
}

/** The link a person opens to see the accesses to their data (the token only, never the ID number). */
export function citizenLink(token: string): string {
  return `${window.location.origin}/my-data?token=${encodeURIComponent(token)}`;
}

export function CitizenTokenCard() {
  const { t } = useTranslation();
  const [form] = Form.useForm<TokenValues>();
  const issue = useMutation({
    mutationFn: (values: TokenValues) => ok(client.POST('/api/v1/audit/citizen-tokens', { body: { idNumber: values.idNumber.trim().toUpperCase() } })),
    // The number has served its purpose; do not leave it on the counter's screen.
    onSuccess: () => form.resetFields(),
    onError: (error) => void showFieldError(form, error, errorText(error, t)),
  });
  const issued = issue.data;
  const link = issued ? citizenLink(issued.token) : null;
  const fieldError = issue.error && form.getFieldError('idNumber').length > 0;

  return (
    <Card
      title={
        <Flex gap={8} align="center">
          <SafetyCertificateOutlined />
          {t('exchange.citizenToken.title')}
        </Flex>
      }
      data-testid="citizen-token-card"
    >
      <Typography.Paragraph type="secondary">{t('exchange.citizenToken.subtitle')}</Typography.Paragraph>
      <Form<TokenValues>
        form={form}
        name="citizenToken"
        layout="inline"
        requiredMark={false}
        onFinish={(values) => issue.mutate(values)}
        onValuesChange={() => issue.isError && issue.reset()}
        style={{ rowGap: 8, marginBottom: 16 }}
      >
        <Form.Item
          name="idNumber"
          label={t('exchange.citizenToken.idNumber')}
          validateFirst
          rules={[
            { required: true, whitespace: true, message: t('exchange.citizenToken.idNumberRequired') },
            {
              validator: async (_, value: string | undefined) => {
                const problem = idNumberProblem(value ?? '');
                if (problem) throw new Error(t(`exchange.citizenToken.idNumber_${problem}`));
              },
            },
          ]}
        >
          <Input autoComplete="off" maxLength={18} style={{ width: 240 }} placeholder={t('exchange.citizenToken.idNumberPlaceholder')} />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={issue.isPending} data-testid="citizen-token-issue">
            {t('exchange.citizenToken.issue')}
          </Button>
        </Form.Item>
      </Form>
      {issue.error && !fieldError ? <ErrorAlert error={issue.error} onRetry={() => form.submit()} /> : null}
      {issued && link && !issue.isPending ? (
        <Flex vertical gap={12} data-testid="citizen-token-issued">
          <Alert type="success" showIcon title={t('exchange.citizenToken.issued')} description={t('exchange.citizenToken.handOver')} />
          <Descriptions size="small" bordered column={1} styles={{ label: { width: 120, whiteSpace: 'nowrap' } }}>
            <Descriptions.Item label={t('exchange.citizenToken.link')}>
              <Typography.Text copyable={{ text: link }} style={{ wordBreak: 'break-all' }} data-testid="citizen-token-link">
                {link}
              </Typography.Text>
            </Descriptions.Item>
            <Descriptions.Item label={t('exchange.citizenToken.expiresAt')}>
              <span data-testid="citizen-token-expiry">
                <Time value={issued.expiresAt} />
              </span>
            </Descriptions.Item>
          </Descriptions>
          <Flex gap={8}>
            <Button icon={<LinkOutlined />} href={link} target="_blank" rel="noopener noreferrer" data-testid="citizen-token-open">
              {t('exchange.citizenToken.open')}
            </Button>
          </Flex>
        </Flex>
      ) : null}
    </Card>
  );
}
