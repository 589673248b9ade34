// Being built; replaced by the DatasetPage screen.
export function DatasetPage() {
  return null;
}
