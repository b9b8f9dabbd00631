import { useEffect, useState } from 'react';
import { api, type Capabilities } from './api.ts';

/**
 * What the server offers (sign-in methods, attachments), read once per page load from the
 * server itself, so turning a provider or storage on never needs a new build of the UI.
 */
let loading: Promise<Capabilities> | undefined;

export function loadCapabilities(): Promise<Capabilities> {
  loading ??= api.capabilities().catch((error: unknown) => {
    loading = undefined; // a failed read is tried again by the next screen that asks
    throw error;
  });
  return loading;
}

/** The capabilities once known; undefined while loading, or when they could not be read. */
export function useCapabilities(): Capabilities | undefined {
  const [capabilities, setCapabilities] = useState<Capabilities | undefined>();
  useEffect(() => {
    let active = true;
    loadCapabilities().then(
      (value) => active && setCapabilities(value),
      () => undefined,
    );
    return () => {
      active = false;
    };
  }, []);
  return capabilities;
}
