import { Typography } from 'antd';

/** An identifier shown short but copied whole. */
export function CopyableId({ value, length = 12 }: { value: string | null | undefined; length?: number }) {
  if (!value) return <>—</>;
  const shown = value.length > length + 1 ? `${value.slice(0, length)}…` : value;
  return (
    <Typography.Text code copyable={{ text: value }} title={value}>
      {shown}
    </Typography.Text>
  );
}
