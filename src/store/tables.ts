/** The whole database schema, composed from the tables each bounded context owns. */
import type { AgreementTables } from '../agreements/store/tables.ts';
import type { AuditTables } from '../audit/store/tables.ts';
import type { CatalogTables } from '../catalog/store/tables.ts';
import type { DirectoryTables } from '../directory/store/tables.ts';
import type { ExchangeTables } from '../exchange/store/tables.ts';
import type { IdentityTables } from '../identity/store/tables.ts';
import type { KeyTables } from '../keys/store/tables.ts';
import type { NodeTables } from '../node/tables.ts';
import type { QualityTables } from '../quality/store/tables.ts';
import type { StandardsTables } from '../standards/store/tables.ts';

export interface Tables
  extends NodeTables,
    KeyTables,
    IdentityTables,
    AuditTables,
    DirectoryTables,
    CatalogTables,
    AgreementTables,
    ExchangeTables,
    QualityTables,
    StandardsTables {}
