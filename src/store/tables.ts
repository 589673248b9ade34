/** The whole database schema, composed from the tables each bounded context owns. */
import type { AuditTables } from '../audit/store/tables.ts';
import type { IdentityTables } from '../identity/store/tables.ts';
import type { KeyTables } from '../keys/store/tables.ts';
import type { NodeTables } from '../node/tables.ts';

export interface Tables extends NodeTables, KeyTables, IdentityTables, AuditTables {}
