import { useTranslation } from 'react-i18next';
import { formatTime } from '../i18n/format';

/** A moment in the reader's time zone and language; the exact ISO value on hover. */
export function Time({ value }: { value: string | null | undefined }) {
  useTranslation();
  return <time dateTime={value ?? undefined} title={value ?? undefined}>{formatTime(value)}</time>;
}
