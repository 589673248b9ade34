// Being built; replaced by the AgreementsPage screen.
export function AgreementsPage() {
  return null;
}
