// Being built; replaced by the QualityPage screen.
export function QualityPage() {
  return null;
}
