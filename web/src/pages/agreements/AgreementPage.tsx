// Being built; replaced by the AgreementPage screen.
export function AgreementPage() {
  return null;
}
