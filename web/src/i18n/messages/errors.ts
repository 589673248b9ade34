/**
 * What each stable API error code means, for the person reading it. English comes from the code
 * table the server uses (src/core/errors.ts); Chinese from errors.zh-CN.ts. A test checks that
 * every code has both.
 */
import { errorCodes } from '../../../../src/core/errors.ts';
import { errorsZhCN } from '../errors.zh-CN';

const en: Record<string, string> = Object.fromEntries(Object.entries(errorCodes).map(([code, info]) => [code, info.description]));

export const messages = { 'zh-CN': errorsZhCN, en };
