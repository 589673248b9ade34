import type { FormInstance } from 'antd';
import { ApiError } from '../api/client';

/**
 * Puts the server's complaint next to the field it names, when it names one of the form's
 * fields; returns false when it does not, so the caller shows it as a page-level error.
 */
export function showFieldError(form: FormInstance, error: unknown, message: string): boolean {
  if (!(error instanceof ApiError) || !error.fieldPath) return false;
  const name = error.fieldPath.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
  if (form.getFieldInstance(name as never) === undefined && !form.isFieldTouched(name as never)) {
    const known = Object.keys(form.getFieldsValue(true) as Record<string, unknown>);
    if (!known.includes(String(name[0]))) return false;
  }
  form.setFields([{ name: name as never, errors: [message] }]);
  return true;
}
