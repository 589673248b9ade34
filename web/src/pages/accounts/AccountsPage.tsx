// Being built; replaced by the AccountsPage screen.
export function AccountsPage() {
  return null;
}
