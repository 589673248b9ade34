/** Tables of the catalog context. */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CatalogTables {}
