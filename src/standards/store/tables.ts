/** Tables of the standards context: imported data elements and code lists, every version kept. */

/** One version of an imported data element; the element as JSON. */
export interface StandardsElementTable {
  id: string;
  version: number;
  document: string;
  imported_by: string;
  imported_at: string;
}

/** One version of an imported code list; its codes as JSON `[{ code, name }]`. */
export interface StandardsCodeListTable {
  name: string;
  version: number;
  source_standard: string;
  code_count: number;
  codes: string;
  imported_by: string;
  imported_at: string;
}

/** The standards context's tables, composed into src/store/tables.ts. */
export interface StandardsTables {
  standards_elements: StandardsElementTable;
  standards_code_lists: StandardsCodeListTable;
}
