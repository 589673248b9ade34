/** Schemas shared by many routes. */
import { Type } from 'typebox';

export const ErrorBodySchema = Type.Object(
  {
    code: Type.String({ description: 'A stable error code; see docs/errors.md.' }),
    message: Type.String({ description: 'What went wrong and what to do, for a person.' }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: 'ErrorBody', description: 'The one error shape of every Tongban API.' },
);

/** Standard error responses to list on a route, so the OpenAPI document shows them. */
export function errorResponses(...statuses: number[]): Record<number, typeof ErrorBodySchema> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorBodySchema]));
}

export const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }) });
