import { createContext, useContext } from 'react';
import type { User, Workspace } from './api.ts';

export interface Session {
  user: User;
  workspaces: Workspace[];
  /** Reloads the user and their workspaces (after creating one, joining, leaving). */
  refresh: () => Promise<void>;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in screen');
  return session;
}

const LAST_WORKSPACE = 'slipway.lastWorkspace';
export function rememberWorkspace(slug: string): void {
  try {
    localStorage.setItem(LAST_WORKSPACE, slug);
  } catch {
    // storage may be disabled; remembering is only a convenience
  }
}
export function lastWorkspace(): string | null {
  try {
    return localStorage.getItem(LAST_WORKSPACE);
  } catch {
    return null;
  }
}
