/** Tables of the agreements context. */

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface AgreementTables {}
