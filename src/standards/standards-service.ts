/**
 * The standards service: data elements and code lists a steward imports (every version kept,
 * the highest one current) beside the built-in ones, import with a dry run, export, lookups for
 * rule generation and conformance. Every import (and refusal) is an event.
 */
import { InputError, markRecorded, NotFoundError, toTongbanError } from '../core/errors.ts';
import { actorName, type Actor } from '../identity/index.ts';
import type { NodeCore } from '../node/node-core.ts';
import { builtInDivisions } from './code-tables.ts';
import { builtInElements, type DataElement } from './domain/elements.ts';
import { decodeStandardsFile, formatCodeLists, formatElements, parseCodeLists, parseElements, type CodeList, type StandardsFormat, type Unversioned } from './domain/standards-file.ts';
import { sexCodes } from './domain/validators.ts';

/** An import request: the file's bytes and what they hold. */
export interface StandardsImport {
  readonly kind: 'elements' | 'codeLists';
  readonly format: StandardsFormat;
  readonly bytes: Uint8Array;
  readonly encoding?: 'utf-8' | 'gbk';
  /** For a code list CSV: its name, version and source standard. */
  readonly codeList?: { readonly name: string; readonly version?: number; readonly sourceStandard: string };
  /** Check everything, store nothing. */
  readonly dryRun?: boolean;
}

/** What an import did (or, in a dry run, would do), per element or code list. */
export interface StandardsImportResult {
  readonly dryRun: boolean;
  readonly results: { readonly id: string; readonly version: number; readonly status: 'imported' | 'unchanged' | 'would_import'; readonly codes?: number }[];
}

/** What the standards context offers the node. */
export interface StandardsService {
  importStandards(actor: Actor, request: StandardsImport): Promise<StandardsImportResult>;
  /** The file text of every current element or code list (or the named code list). */
  exportStandards(kind: 'elements' | 'codeLists', format: StandardsFormat, name?: string): Promise<string>;
  /** Current elements: imported ones override built-ins of the same id. */
  elements(): Promise<DataElement[]>;
  /** The current version of an element, or undefined. */
  element(id: string): Promise<DataElement | undefined>;
  /** Current code lists (built-in `gb-t-2260` and `gb-t-2261.1` unless imported over). */
  codeLists(): Promise<CodeList[]>;
  codeList(name: string): Promise<CodeList>;
}

function builtInCodeLists(): CodeList[] {
  const divisions = builtInDivisions();
  return [
    { name: 'gb-t-2260', version: 1, sourceStandard: 'GB/T 2260 (built-in subset)', codes: [...divisions.codes].map((code) => ({ code, name: divisions.names.get(code) ?? '' })) },
    { name: 'gb-t-2261.1', version: 1, sourceStandard: 'GB/T 2261.1-2003', codes: Object.entries(sexCodes).map(([code, name]) => ({ code, name: String(name) })) },
  ];
}

/** Creates the standards service. */
/** An element as stored: its fields in schema order, with `version` second. */
function elementDocument(element: Unversioned<DataElement>, version: number): string {
  const { id, version: _given, ...rest } = element;
  return JSON.stringify({ id, version, ...rest });
}

/**
 * Which version an imported element or code list becomes, given the versions held (newest first).
 * A version the file names is imported as it is, or is `unchanged` when held with the same content,
 * and refused when held with other content (a published version never changes). Without one, the
 * content is compared with the newest version: the same → `unchanged`; changed (or new) → the next
 * version. Earlier versions stay, so quality runs keep pointing at the version they used.
 */
function decideVersion(
  held: readonly { readonly version: number; readonly content: string }[],
  given: number | undefined,
  contentAt: (version: number) => string,
  what: string,
  details: Record<string, unknown>,
): { status: 'unchanged' | 'new'; version: number } {
  if (given !== undefined) {
    const same = held.find((entry) => entry.version === given);
    if (!same) return { status: 'new', version: given };
    if (same.content !== contentAt(given)) throw new InputError(`${what} version ${given} is already imported with other content; give the changed one a new version, or leave the version out to make the next one.`, details, 'import_invalid');
    return { status: 'unchanged', version: given };
  }
  const newest = held[0];
  if (newest && newest.content === contentAt(newest.version)) return { status: 'unchanged', version: newest.version };
  return { status: 'new', version: (newest?.version ?? 0) + 1 };
}

export function createStandardsService(core: NodeCore): StandardsService {
  const { store, clock, events } = core;
  const { db } = store;

  async function storedElements(): Promise<DataElement[]> {
    const rows = await db.selectFrom('standards_elements').select(['id', 'version', 'document']).orderBy('id').orderBy('version', 'desc').execute();
    const seen = new Set<string>();
    return rows.filter((row) => !seen.has(row.id) && seen.add(row.id)).map((row) => JSON.parse(row.document) as DataElement);
  }

  async function storedCodeLists(): Promise<CodeList[]> {
    const rows = await db.selectFrom('standards_code_lists').selectAll().orderBy('name').orderBy('version', 'desc').execute();
    const seen = new Set<string>();
    return rows
      .filter((row) => !seen.has(row.name) && seen.add(row.name))
      .map((row) => ({ name: row.name, version: Number(row.version), sourceStandard: row.source_standard, codes: JSON.parse(row.codes) as CodeList['codes'] }));
  }

  const service: StandardsService = {
    async importStandards(actor, request) {
      const dryRun = request.dryRun === true;
      try {
        const text = decodeStandardsFile(request.bytes, request.encoding);
        const at = clock.now().toISOString();
        const by = actorName(actor);
        if (request.kind === 'elements') {
          const elements = parseElements(text, request.format);
          const ids = new Set<string>();
          for (const element of elements) {
            const key = element.version === undefined ? element.id : `${element.id}@${element.version}`;
            if (ids.has(key) || (element.version === undefined ? [...ids].some((id) => id.startsWith(`${element.id}@`)) : ids.has(element.id))) {
              throw new InputError(`Element ${element.id}${element.version === undefined ? '' : ` version ${element.version}`} appears twice in the file.`, { element: element.id }, 'import_invalid');
            }
            ids.add(key);
          }
          // Elements naming a code list need it to exist (or to be a built-in).
          const lists = new Set((await service.codeLists()).map((list) => list.name));
          const orphan = elements.find((element) => element.codeList !== undefined && !lists.has(element.codeList));
          if (orphan) throw new InputError(`Element ${orphan.id} names code list ${orphan.codeList}, which is not imported; import the code list first.`, { element: orphan.id }, 'import_invalid');
          return await db.transaction().execute(async (trx) => {
            const results: StandardsImportResult['results'][number][] = [];
            for (const element of elements) {
              const held = await trx.selectFrom('standards_elements').select(['version', 'document']).where('id', '=', element.id).orderBy('version', 'desc').execute();
              const decided = decideVersion(
                held.map((row) => ({ version: Number(row.version), content: row.document })),
                element.version,
                (version) => elementDocument(element, version),
                `Element ${element.id}`,
                { element: element.id },
              );
              if (decided.status === 'unchanged') {
                results.push({ id: element.id, version: decided.version, status: 'unchanged' });
                continue;
              }
              if (!dryRun) await trx.insertInto('standards_elements').values({ id: element.id, version: decided.version, document: elementDocument(element, decided.version), imported_by: by, imported_at: at }).execute();
              results.push({ id: element.id, version: decided.version, status: dryRun ? 'would_import' : 'imported' });
            }
            if (!dryRun) await events.append(trx, [{ type: 'standards.elements_imported', actor: by, outcome: 'success', details: { imported: results.filter((result) => result.status === 'imported').map((result) => `${result.id}@${result.version}`).slice(0, 200), count: results.length } }]);
            return { dryRun, results };
          });
        }
        const lists = parseCodeLists(text, request.format, request.codeList);
        const names = new Set<string>();
        for (const list of lists) {
          const key = list.version === undefined ? list.name : `${list.name}@${list.version}`;
          if (names.has(key) || (list.version === undefined ? [...names].some((name) => name.startsWith(`${list.name}@`)) : names.has(list.name))) {
            throw new InputError(`Code list ${list.name}${list.version === undefined ? '' : ` version ${list.version}`} appears twice in the file.`, { codeList: list.name }, 'import_invalid');
          }
          names.add(key);
        }
        return await db.transaction().execute(async (trx) => {
          const results: StandardsImportResult['results'][number][] = [];
          for (const list of lists) {
            const codes = JSON.stringify(list.codes);
            const held = await trx.selectFrom('standards_code_lists').select(['version', 'codes']).where('name', '=', list.name).orderBy('version', 'desc').execute();
            const decided = decideVersion(
              held.map((row) => ({ version: Number(row.version), content: row.codes })),
              list.version,
              () => codes,
              `Code list ${list.name}`,
              { codeList: list.name },
            );
            if (decided.status === 'unchanged') {
              results.push({ id: list.name, version: decided.version, status: 'unchanged', codes: list.codes.length });
              continue;
            }
            if (!dryRun) {
              await trx.insertInto('standards_code_lists').values({ name: list.name, version: decided.version, source_standard: list.sourceStandard, code_count: list.codes.length, codes, imported_by: by, imported_at: at }).execute();
            }
            results.push({ id: list.name, version: decided.version, status: dryRun ? 'would_import' : 'imported', codes: list.codes.length });
          }
          if (!dryRun) await events.append(trx, [{ type: 'standards.code_lists_imported', actor: by, outcome: 'success', details: { lists: results.map((result) => `${result.id}@${result.version}:${result.status}`) } }]);
          return { dryRun, results };
        });
      } catch (error) {
        const failure = toTongbanError(error);
        if (failure.kind !== 'internal') {
          await events.record({ type: 'standards.import_refused', actor: actorName(actor), outcome: 'denied', details: { kind: request.kind, format: request.format, dryRun, code: failure.code, message: failure.message.slice(0, 300) } });
          markRecorded(failure);
        }
        throw failure;
      }
    },

    async exportStandards(kind, format, name) {
      if (kind === 'elements') return formatElements(await service.elements(), format);
      const lists = name === undefined ? await service.codeLists() : [await service.codeList(name)];
      return formatCodeLists(lists, format);
    },

    async elements() {
      const stored = await storedElements();
      const ids = new Set(stored.map((element) => element.id));
      return [...builtInElements.filter((element) => !ids.has(element.id)), ...stored].sort((a, b) => a.id.localeCompare(b.id));
    },

    async element(id) {
      return (await service.elements()).find((element) => element.id === id);
    },

    async codeLists() {
      const stored = await storedCodeLists();
      const names = new Set(stored.map((list) => list.name));
      return [...builtInCodeLists().filter((list) => !names.has(list.name)), ...stored].sort((a, b) => a.name.localeCompare(b.name));
    },

    async codeList(name) {
      const list = (await service.codeLists()).find((candidate) => candidate.name === name);
      if (!list) throw new NotFoundError(`No code list ${name} is known here; import it with \`tongban standards import --code-list\`.`, { codeList: name });
      return list;
    },
  };
  return service;
}
