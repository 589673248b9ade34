// Being built; replaced by the CatalogPage screen.
export function CatalogPage() {
  return null;
}
