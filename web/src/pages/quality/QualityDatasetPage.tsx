// Being built; replaced by the QualityDatasetPage screen.
export function QualityDatasetPage() {
  return null;
}
