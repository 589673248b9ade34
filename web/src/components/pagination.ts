import type { TablePaginationConfig } from 'antd';
import { formatNumber } from '../i18n/format';

/**
 * Pagination of a table whose rows the server pages: the page and size go back to the caller,
 * which asks the API for that window. Such tables must not sort columns in the browser, which
 * would sort one page and pretend it was the whole list.
 */
export function serverPagination(options: {
  readonly current: number;
  readonly pageSize: number;
  readonly total: number;
  readonly label: (total: number, formatted: string) => string;
  readonly onChange: (current: number, pageSize: number) => void;
}): TablePaginationConfig {
  return {
    current: options.current,
    pageSize: options.pageSize,
    total: options.total,
    showSizeChanger: true,
    showTotal: (total) => options.label(total, formatNumber(total)),
    onChange: options.onChange,
  };
}
