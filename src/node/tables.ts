/** Tables of the node itself. */

/** Exactly one row: who this node is. Its presence marks an initialised database. */
export interface NodeInfoTable {
  id: number;
  code: string;
  name: string;
  level: string;
  role: 'node' | 'hub';
  suite: 'intl' | 'sm';
  created_at: string;
}

export interface NodeTables {
  node_info: NodeInfoTable;
}
