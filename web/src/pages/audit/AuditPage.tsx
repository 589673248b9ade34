// Being built; replaced by the AuditPage screen.
export function AuditPage() {
  return null;
}
