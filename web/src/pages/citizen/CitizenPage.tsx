// Being built; replaced by the CitizenPage screen.
export function CitizenPage() {
  return null;
}
