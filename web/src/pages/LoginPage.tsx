import { Button, Card, Form, Input, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import { ApiError } from '../api/client';
import { useSession, type LoginInput } from '../auth/session';
import { ErrorAlert } from '../components/ErrorAlert';
import { LanguageSwitch } from '../layout/LanguageSwitch';

/** The login form; also used inside the re-login dialog (`embedded`). */
export function LoginForm({ onDone, embedded = false, username }: { onDone?: () => void; embedded?: boolean; username?: string }) {
  const { t } = useTranslation();
  const { login } = useSession();
  const [form] = Form.useForm<LoginInput>();
  const [needsCode, setNeedsCode] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const submit = async (values: LoginInput) => {
    setBusy(true);
    setError(null);
    try {
      await login(values);
      onDone?.();
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'second_factor_required' && !needsCode) {
        setNeedsCode(true);
      } else {
        setError(caught);
        if (caught instanceof ApiError && caught.code === 'second_factor_invalid') form.setFieldValue('totp', '');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <Form form={form} layout="vertical" onFinish={submit} requiredMark={false} name={embedded ? 'reauth' : 'login'} initialValues={username ? { username } : undefined}>
      {error ? <div style={{ marginBottom: 16 }}><ErrorAlert error={error} /></div> : null}
      <Form.Item label={t('login.username')} name="username" rules={[{ required: true, message: t('login.usernameRequired') }]}>
        <Input autoComplete="username" autoFocus />
      </Form.Item>
      <Form.Item label={t('login.password')} name="password" rules={[{ required: true, message: t('login.passwordRequired') }]}>
        <Input.Password autoComplete="current-password" />
      </Form.Item>
      {needsCode ? (
        <Form.Item
          label={t('login.totp')}
          name="totp"
          extra={t('login.totpHelp')}
          rules={[{ required: true, pattern: /^[0-9]{6}$/, message: t('login.totpFormat') }]}
        >
          <Input inputMode="numeric" autoComplete="one-time-code" maxLength={6} autoFocus />
        </Form.Item>
      ) : null}
      <Button type="primary" htmlType="submit" loading={busy} block>
        {t('login.submit')}
      </Button>
    </Form>
  );
}

export function LoginPage() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  return (
    <div style={{ minHeight: '100vh', display: 'grid', placeItems: 'center', background: '#f0f2f5' }}>
      <Card style={{ width: 380 }} extra={<LanguageSwitch />} title={t('common.productLong')}>
        <Typography.Title level={4}>{t('login.title')}</Typography.Title>
        <Typography.Paragraph type="secondary">{t('login.subtitle')}</Typography.Paragraph>
        <LoginForm onDone={() => navigate(from, { replace: true })} />
      </Card>
    </div>
  );
}
