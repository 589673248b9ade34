import { useSyncExternalStore } from 'react';

/**
 * Whether the person has asked their system for less motion (WCAG 2.3.3). The console then turns
 * off its components' animations, so dialogs and messages appear and go at once.
 */
const query = typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-reduced-motion: reduce)') : undefined;

function subscribe(onChange: () => void): () => void {
  query?.addEventListener('change', onChange);
  return () => query?.removeEventListener('change', onChange);
}

export function usePrefersReducedMotion(): boolean {
  return useSyncExternalStore(subscribe, () => query?.matches ?? false, () => false);
}
