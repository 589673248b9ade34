// Being built; replaced by the FederationPage screen.
export function FederationPage() {
  return null;
}
