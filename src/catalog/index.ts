/**
 * The resource catalogue (政务信息资源目录): what other contexts may use.
 */
export type { DataGrade, DatasetDocument, DatasetDocumentInput, DatasetInfo, InformationItem, ItemType, SharingType } from './domain/dataset.ts';
export { DatasetDocumentSchema, dataGrades, parseDatasetDocument, sharingTypes } from './domain/dataset.ts';
export { managedTableName } from './domain/dataset.ts';
export type { CatalogPublication, CatalogQuery, PublishedDataset, PublishedQualityScore } from './domain/publication.ts';
export {
  createCatalogService,
  type CatalogService,
  type CatalogServiceDeps,
  type DatasetPage,
  type DatasetView,
  type FederationPage,
  type ImportRequest,
  type ImportResult,
  type LinkedStatus,
  type PublicationStatus,
  type ReceivedPublication,
} from './catalog-service.ts';
export type { ImportEncoding, ImportFormat, ImportMode, ImportProgress, RowError } from './importer.ts';
export { registerCatalogRoutes } from './http/routes.ts';
export { registerCatalogCommands } from './cli.ts';
