/** An API error in the reader's language, with its stable code so support can look it up. */
import { Alert, Typography } from 'antd';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';

export function errorText(error: unknown, t: TFunction): string {
  if (error instanceof ApiError) {
    if (error.code === 'network_error') return t('common.networkError');
    const translated = t(`errors.${error.code}`, { defaultValue: '' });
    return translated || error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function ErrorAlert({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useTranslation();
  if (!error) return null;
  const code = error instanceof ApiError ? error.code : undefined;
  const serverMessage = error instanceof ApiError && error.code !== 'network_error' ? error.message : undefined;
  return (
    <Alert
      type="error"
      showIcon
      role="alert"
      title={errorText(error, t)}
      description={
        <>
          {serverMessage && serverMessage !== errorText(error, t) ? <div>{serverMessage}</div> : null}
          {code ? (
            <Typography.Text type="secondary" data-testid="error-code">
              {t('common.errorCode')}: <Typography.Text code copyable>{code}</Typography.Text>
            </Typography.Text>
          ) : null}
        </>
      }
      action={onRetry ? <a onClick={onRetry}>{t('common.retry')}</a> : undefined}
    />
  );
}
