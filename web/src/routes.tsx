/**
 * Every screen of the console: its path, its menu entry and who sees it. Pages load lazily so
 * the first screen does not wait for the charts library.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from 'react';
import type { Role } from './auth/session';

export interface ConsoleRoute {
  readonly path: string;
  readonly page: LazyExoticComponent<ComponentType>;
  /** Menu entry key under common.nav; absent for detail pages. */
  readonly nav?: string;
  /** Roles that see the menu entry; absent means every staff member. */
  readonly roles?: readonly Role[];
}

const page = (load: () => Promise<Record<string, ComponentType>>, name: string) =>
  lazy(async () => ({ default: (await load())[name] as ComponentType }));

export const consoleRoutes: readonly ConsoleRoute[] = [
  { path: '/federation', nav: 'federation', page: page(() => import('./pages/federation/FederationPage'), 'FederationPage') },
  { path: '/catalog', nav: 'catalog', page: page(() => import('./pages/catalog/CatalogPage'), 'CatalogPage') },
  { path: '/catalog/:provider/:slug', page: page(() => import('./pages/catalog/DatasetPage'), 'DatasetPage') },
  { path: '/agreements', nav: 'agreements', page: page(() => import('./pages/agreements/AgreementsPage'), 'AgreementsPage') },
  { path: '/agreements/:id', page: page(() => import('./pages/agreements/AgreementPage'), 'AgreementPage') },
  { path: '/exchange', nav: 'exchange', roles: ['caseworker', 'agreements', 'admin', 'auditor'], page: page(() => import('./pages/exchange/ExchangePage'), 'ExchangePage') },
  { path: '/audit', nav: 'audit', roles: ['auditor', 'admin'], page: page(() => import('./pages/audit/AuditPage'), 'AuditPage') },
  { path: '/quality', nav: 'quality', roles: ['steward', 'admin', 'auditor', 'agreements'], page: page(() => import('./pages/quality/QualityPage'), 'QualityPage') },
  { path: '/quality/:provider/:slug', page: page(() => import('./pages/quality/QualityDatasetPage'), 'QualityDatasetPage') },
  { path: '/accounts', nav: 'accounts', roles: ['admin'], page: page(() => import('./pages/accounts/AccountsPage'), 'AccountsPage') },
];

/** Public pages outside the staff console. */
export const CitizenPage = page(() => import('./pages/citizen/CitizenPage'), 'CitizenPage');
