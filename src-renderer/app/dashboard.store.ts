import { create } from 'zustand';
import type { CurrentUser } from '../data/api-client.js';

export type SessionState = { status: 'restoring' } | { status: 'signedOut' } | { status: 'signedIn'; user: CurrentUser };

/** What is selected in the navigator; choosing a parent clears its children. */
export interface Selection {
  organisationId?: number;
  projectId?: number;
  environmentKey?: string;
}

/** The dashboard's UI state. Server data is not cached here: screens load it (RxDB takes over later). */
export interface DashboardState {
  session: SessionState;
  /** The session token, kept in memory for API calls (persisted by the TokenStore). */
  token: string | null;
  selection: Selection;
  setSignedIn(token: string, user: CurrentUser): void;
  setSignedOut(): void;
  selectOrganisation(id: number): void;
  selectProject(id: number): void;
  selectEnvironment(apiKey: string): void;
}

/** One store per app instance (tests create their own). */
export function createDashboardStore() {
  return create<DashboardState>()((set) => ({
    session: { status: 'restoring' },
    token: null,
    selection: {},
    setSignedIn: (token, user) => set({ token, session: { status: 'signedIn', user } }),
    setSignedOut: () => set({ token: null, session: { status: 'signedOut' }, selection: {} }),
    selectOrganisation: (organisationId) => set((s) => (s.selection.organisationId === organisationId ? s : { selection: { organisationId } })),
    selectProject: (projectId) => set((s) => (s.selection.projectId === projectId ? s : { selection: { organisationId: s.selection.organisationId, projectId } })),
    selectEnvironment: (environmentKey) => set((s) => ({ selection: { ...s.selection, environmentKey } })),
  }));
}

export type DashboardStore = ReturnType<typeof createDashboardStore>;
