/** Tables of the catalog context. */

/** One dataset of this node's resource catalogue; the authored document is kept as JSON. */
export interface CatalogDatasetTable {
  /** `<provider node code>/<slug>`. */
  id: string;
  slug: string;
  /** Catalogue code (classification + sequence). */
  code: string;
  name: string;
  grade: string;
  sharing: string;
  version: number;
  /** Canonical JSON of the validated dataset document. */
  document: string;
  /** Lower-cased code, name, abstract, item names and titles: what `q` searches. */
  search_text: string;
  /** The node-managed table that holds the dataset's rows (created by the first import). */
  table_name: string;
  /** Fingerprint of the items and key fields the live table was built with; null while it holds no data. */
  data_layout: string | null;
  row_count: number | null;
  imported_at: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

/** Every version a dataset document has had. */
export interface CatalogDatasetVersionTable {
  dataset_id: string;
  version: number;
  document: string;
  changed_at: string;
  changed_by: string;
}

/** The catalogue as a whole (one row): its version and how far publication to the hub has got. */
export interface CatalogStateTable {
  id: number;
  /** Bumped by every change to any dataset's metadata. */
  version: number;
  /** The last version the hub accepted; 0 when nothing was published yet. */
  published_version: number;
  published_at: string | null;
  /** `ok` or `failing`: failure events are recorded on transitions only. */
  publish_state: string;
  last_error: string | null;
}

/** (hub) The latest catalogue publication of each member. */
export interface CatalogFederationNodeTable {
  node: string;
  version: number;
  /** The publication's own time, as the member signed it. */
  ts: string;
  received_at: string;
  kid: string;
  /** The signed publication as received (flattened JWS, JSON), kept as evidence. */
  jws: string;
}

/** (hub) One dataset of a member's latest publication, for federation search. */
export interface CatalogFederationDatasetTable {
  dataset_id: string;
  node: string;
  name: string;
  /** The dataset's catalogue code and when it last changed, copied out of `metadata` to order by. */
  code: string | null;
  updated_at: string | null;
  grade: string;
  sharing: string;
  /** Lower-cased name, abstract, item names and titles: what `q` searches. */
  search_text: string;
  /** The published metadata (JSON). */
  metadata: string;
}

/** Every table of the catalog context, composed into the node schema. */
export interface CatalogTables {
  catalog_datasets: CatalogDatasetTable;
  catalog_dataset_versions: CatalogDatasetVersionTable;
  catalog_state: CatalogStateTable;
  catalog_federation_nodes: CatalogFederationNodeTable;
  catalog_federation_datasets: CatalogFederationDatasetTable;
}
