import { createContext, useContext } from 'react';
import type { Session } from './api';

export interface PortalContext {
  session: Session;
  /** The host console: may switch tenants and sees the host pages. */
  isHost: boolean;
  /** The tenant whose data the pages show (for the host: the one switched to; null: the host's own). */
  tenantId: string | null;
  switchTenant: (tenantId: string | null) => void;
  can: (permission: string) => boolean;
  signOut: () => void;
}

export const SessionContext = createContext<PortalContext | null>(null);

export function usePortal(): PortalContext {
  const context = useContext(SessionContext);
  if (!context) throw new Error('usePortal outside the session');
  return context;
}
