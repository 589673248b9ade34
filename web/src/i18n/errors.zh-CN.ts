export const errorsZhCN: Record<string, string> = {};
