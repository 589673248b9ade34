/**
 * Data standards: validators for the national identifier standards (in TypeScript and as SQL),
 * code tables and built-in data elements. What other contexts may use.
 */
export type { CitizenIdKind, CitizenIdResult, DateRange, InvalidReason, LicenseIdParts, ValidationResult } from './domain/validators.ts';
export {
  citizenIdCheckChar,
  creditCodeCheckChar,
  mod3736CheckChar,
  parseLicenseId,
  sexCodes,
  validateCitizenId,
  validateCreditCode,
  validateDate,
  validateDateInRange,
  validateDivisionCode,
  validateLicenseId,
  validateSexCode,
} from './domain/validators.ts';
export type { DataElement } from './domain/elements.ts';
export { builtInElement, builtInElements, elementDataTypes, elementValidators } from './domain/elements.ts';
export type { CodeTable } from './code-tables.ts';
export { builtInDivisionCodes, builtInDivisions, loadDivisionTable, parseCodeTable } from './code-tables.ts';
export type { SqlCondition } from './store/sql-validators.ts';
export {
  citizenIdBirthDateSql,
  citizenIdLegacySql,
  citizenIdSexSql,
  citizenIdSql,
  creditCodeSql,
  dateInRangeSql,
  dateSql,
  divisionCodeSql,
  inValuesSql,
  licenseIdSql,
  sexCodeSql,
} from './store/sql-validators.ts';
export type { CodeList, StandardsFormat } from './domain/standards-file.ts';
export { decodeStandardsFile, formatCodeLists, formatElements, parseCodeLists, parseElements } from './domain/standards-file.ts';
export { createStandardsService, type StandardsImport, type StandardsImportResult, type StandardsService } from './standards-service.ts';
export { registerStandardsRoutes } from './http/routes.ts';
export { registerStandardsCommands } from './cli.ts';
