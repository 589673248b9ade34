/** Tables of the directory context. */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DirectoryTables {}
