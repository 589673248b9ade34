// Being built; replaced by the ExchangePage screen.
export function ExchangePage() {
  return null;
}
