/**
 * The resource catalogue (政务信息资源目录): what other contexts may use. (Interface fixed by
 * the node wiring; the catalogue context fills in the implementation.)
 */
import type { Command } from 'commander';
import type { Output } from '../cli/output.ts';
import { NotFoundError } from '../core/errors.ts';
import type { DirectoryService } from '../directory/index.ts';
import type { Server } from '../node/http/build-server.ts';
import type { BackgroundService, NodeCore } from '../node/node-core.ts';

/** Data grades of GB/T 43697-2024: 一般 < 重要 < 核心. */
export type DataGrade = 'general' | 'important' | 'core';
/** 共享类型: 无条件共享, 有条件共享, 不予共享. */
export type SharingType = 'unconditional' | 'conditional' | 'none';

/** An information item (信息项) of a dataset. */
export interface InformationItem {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date' | 'datetime';
  readonly title?: string;
  /** Reference to a data element (数据元), e.g. `DE00001`. */
  readonly dataElement?: string;
}

/** What the gateway and the agreements need to know of a dataset. */
export interface DatasetInfo {
  /** `<provider node code>/<slug>`, e.g. `520400/social-insurance-enrolment`. */
  readonly id: string;
  readonly provider: string;
  readonly name: string;
  readonly grade: DataGrade;
  readonly sharing: SharingType;
  readonly items: readonly InformationItem[];
  /** Fields a record can be looked up by (e.g. `idNumber`). */
  readonly keyFields: readonly string[];
}

export interface CatalogService extends BackgroundService {
  /** A dataset this node provides, or undefined. */
  dataset(id: string): Promise<DatasetInfo | undefined>;
  /**
   * Records of a dataset whose key fields equal `match`, with only `fields`, at most `limit`.
   * Values are bound, identifiers quoted: `match` and `fields` are checked against the dataset's items.
   */
  readRecords(
    id: string,
    match: Readonly<Record<string, string>>,
    fields: readonly string[],
    limit: number,
  ): Promise<Record<string, unknown>[]>;
}

// TEMPORARY placeholders until the catalogue context lands; they keep the node runnable meanwhile.
export async function createCatalogService(_core: NodeCore, _deps: { directory: DirectoryService }): Promise<CatalogService> {
  return {
    dataset: async () => undefined,
    readRecords: async (id) => {
      throw new NotFoundError(`No dataset ${id}.`, { dataset: id }, 'dataset_unknown');
    },
    start: () => undefined,
    stop: async () => undefined,
  };
}
export async function registerCatalogRoutes(_app: Server, _node: import('../node/open-node.ts').NodeContext): Promise<void> {}
export function registerCatalogCommands(_program: Command, _output: Output): void {}
