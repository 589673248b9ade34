/** Builders for catalogue tests: real nodes on either engine, dataset documents, import inputs. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load-config.ts';
import type { DialectName } from '../../src/store/dialect.ts';
import { initNode } from '../../src/node/init-node.ts';
import { openNode, type NodeContext } from '../../src/node/open-node.ts';
import type { DatasetDocumentInput } from '../../src/catalog/index.ts';
import { freshPostgresUrl } from '../support/databases.ts';

export interface CatalogNode {
  readonly node: NodeContext;
  readonly databaseUrl: string | undefined;
  close(): Promise<void>;
}

/** Opens a freshly initialised node on `dialect` (a throwaway PostgreSQL database for postgres). */
export async function openCatalogNode(
  dialect: DialectName,
  options: { code?: string; linked?: readonly { dataset: string; table: string; url?: string }[] } = {},
): Promise<CatalogNode> {
  const dir = join(mkdtempSync(join(tmpdir(), 'tongban-catalog-')), 'node');
  const database = dialect === 'postgres' ? await freshPostgresUrl() : undefined;
  try {
    await initNode({
      dir,
      code: options.code ?? '330000',
      name: '浙江省',
      level: 'province',
      port: 0,
      env: {},
      extraConfig: { auth: { passwordCostLog2: 10 }, log: { level: 'silent' } },
      ...(database ? { databaseUrl: database.url } : {}),
    });
    const env = options.linked ? { TONGBAN_CATALOG_LINKED: JSON.stringify(options.linked) } : {};
    const node = await openNode(loadConfig({ dir, env }), { migrate: true });
    return {
      node,
      databaseUrl: database?.url,
      async close() {
        await node.close();
        await database?.drop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** A valid dataset document; override what a test is about. */
export function datasetDocument(overrides: Partial<DatasetDocumentInput> = {}): DatasetDocumentInput {
  return {
    id: 'household-register',
    code: '1-02-003-0001',
    name: '户籍人口基本信息',
    abstract: 'Registered residents: name, birth date and address, by citizen ID number.',
    providerName: '浙江省公安厅',
    format: 'database',
    items: [
      { name: 'idNumber', type: 'string', title: '公民身份号码', dataElement: 'DE00001' },
      { name: 'name', type: 'string', title: '姓名' },
      { name: 'birthDate', type: 'date', title: '出生日期' },
      { name: 'children', type: 'integer' },
      { name: 'income', type: 'number' },
      { name: 'married', type: 'boolean' },
      { name: 'registeredAt', type: 'datetime' },
    ],
    keyFields: ['idNumber'],
    sharing: { type: 'conditional', condition: 'to civil-affairs departments for marriage registration', legalBasis: '户口登记条例' },
    updateCycle: 'daily',
    publishedOn: '2026-01-15',
    grade: 'important',
    ...overrides,
  };
}

/** The header of the dataset document's CSV. */
export const csvHeader = 'idNumber,name,birthDate,children,income,married,registeredAt';

/** A chunked byte source, as a file or request stream delivers it. */
export async function* chunks(data: string | Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let start = 0; start < bytes.length; start += size) yield bytes.subarray(start, start + size);
}

/** A valid 18-digit citizen ID number shape (checksum not checked by the catalogue). */
export function idNumber(index: number): string {
  return `3301021990${String(index).padStart(7, '0')}X`.slice(0, 18);
}
