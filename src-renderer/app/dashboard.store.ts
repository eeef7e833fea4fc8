import { create } from 'zustand';
import type { CurrentUser } from '../data/api-client.js';

export type SessionState = { status: 'restoring' } | { status: 'signedOut' } | { status: 'signedIn'; user: CurrentUser };

/** What is selected in the navigator; choosing a parent clears its children. */
export interface Selection {
  organisationId?: number;
  projectId?: number;
  environmentKey?: string;
}

/** The environment's screens, as tabs. */
export type Screen = 'features' | 'change-requests' | 'segments' | 'settings' | 'webhooks' | 'audit';
export type FeatureTab = 'value' | 'history';
/** What the main area shows for the selected environment. */
export type View = { screen: Screen } | { screen: 'feature'; featureId: number; tab: FeatureTab } | { screen: 'change-request'; changeRequestId: number };

/** The dashboard's UI state. Server data is not cached here: screens load it (RxDB takes over later). */
export interface DashboardState {
  session: SessionState;
  /** The session token, kept in memory for API calls (persisted by the TokenStore). */
  token: string | null;
  selection: Selection;
  view: View;
  isPaletteOpen: boolean;
  /** Bumped after a write that changes what the navigator lists (e.g. an environment's versioning). */
  revision: number;
  setSignedIn(token: string, user: CurrentUser): void;
  setSignedOut(): void;
  selectOrganisation(id: number): void;
  selectProject(id: number): void;
  selectEnvironment(apiKey: string): void;
  openScreen(screen: Screen): void;
  openFeature(featureId: number, tab?: FeatureTab): void;
  openChangeRequest(changeRequestId: number): void;
  setPaletteOpen(isOpen: boolean): void;
  bumpRevision(): void;
}

const FEATURES: View = { screen: 'features' };

/** One store per app instance (tests create their own). */
export function createDashboardStore() {
  return create<DashboardState>()((set) => ({
    session: { status: 'restoring' },
    token: null,
    selection: {},
    view: FEATURES,
    isPaletteOpen: false,
    revision: 0,
    setSignedIn: (token, user) => set({ token, session: { status: 'signedIn', user } }),
    setSignedOut: () => set({ token: null, session: { status: 'signedOut' }, selection: {}, view: FEATURES, isPaletteOpen: false }),
    selectOrganisation: (organisationId) => set((s) => (s.selection.organisationId === organisationId ? s : { selection: { organisationId }, view: FEATURES })),
    selectProject: (projectId) =>
      set((s) => (s.selection.projectId === projectId ? s : { selection: { organisationId: s.selection.organisationId, projectId }, view: FEATURES })),
    // The open screen (and feature) stays when switching environments, to compare them quickly.
    selectEnvironment: (environmentKey) => set((s) => ({ selection: { ...s.selection, environmentKey } })),
    openScreen: (screen) => set({ view: { screen } }),
    openFeature: (featureId, tab = 'value') => set({ view: { screen: 'feature', featureId, tab } }),
    openChangeRequest: (changeRequestId) => set({ view: { screen: 'change-request', changeRequestId } }),
    setPaletteOpen: (isPaletteOpen) => set({ isPaletteOpen }),
    bumpRevision: () => set((s) => ({ revision: s.revision + 1 })),
  }));
}

export type DashboardStore = ReturnType<typeof createDashboardStore>;
