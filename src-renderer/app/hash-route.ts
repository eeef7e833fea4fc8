import type { DashboardStore, FeatureTab, Screen, Selection, View } from './dashboard.store.js';

/** Where the user is, as the URL fragment shows it: `#/o/1/p/10/e/<key>/f/1000/history`. */
export interface Route {
  selection: Selection;
  view: View;
}

const SCREENS: readonly Screen[] = ['features', 'change-requests', 'segments', 'settings', 'webhooks', 'audit'];
const TABS: readonly FeatureTab[] = ['value', 'history'];

/** The fragment for a place; '' when nothing is selected. */
export function routeToHash({ selection, view }: Route): string {
  const parts: string[] = [];
  if (selection.organisationId !== undefined) parts.push('o', String(selection.organisationId));
  if (selection.projectId !== undefined) parts.push('p', String(selection.projectId));
  if (selection.environmentKey !== undefined) {
    parts.push('e', encodeURIComponent(selection.environmentKey));
    if (view.screen === 'feature') parts.push('f', String(view.featureId), view.tab);
    else if (view.screen === 'change-request') parts.push('cr', String(view.changeRequestId));
    else if (view.screen !== 'features') parts.push(view.screen);
  }
  return parts.length === 0 ? '' : `#/${parts.join('/')}`;
}

/** The place a fragment names; unknown parts are ignored (an old or hand-edited link still opens what it can). */
export function hashToRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean);
  const selection: Selection = {};
  let view: View = { screen: 'features' };
  const id = (text: string | undefined) => (text && /^\d+$/.test(text) ? Number(text) : undefined);
  for (let i = 0; i < parts.length; i++) {
    const [key, value] = [parts[i], parts[i + 1]];
    if (key === 'o' && id(value) !== undefined) selection.organisationId = id(value)!;
    else if (key === 'p' && id(value) !== undefined && selection.organisationId !== undefined) selection.projectId = id(value)!;
    else if (key === 'e' && value && selection.projectId !== undefined) selection.environmentKey = decodeURIComponent(value);
    else if (key === 'f' && id(value) !== undefined && selection.environmentKey !== undefined) {
      const tab = parts[i + 2] as FeatureTab | undefined;
      view = { screen: 'feature', featureId: id(value)!, tab: tab && TABS.includes(tab) ? tab : 'value' };
      i += 2;
      continue;
    } else if (key === 'cr' && id(value) !== undefined && selection.environmentKey !== undefined) {
      view = { screen: 'change-request', changeRequestId: id(value)! };
    } else if (SCREENS.includes(key as Screen) && selection.environmentKey !== undefined) {
      view = { screen: key as Screen };
      continue;
    } else continue;
    i += 1;
  }
  return { selection, view };
}

/**
 * Keeps the URL fragment and the store in step while signed in: each move pushes a history entry (so
 * Back works), Back/Forward and pasted links move the store, and signing in opens the place the URL
 * names. Returns the unsubscribe function.
 */
export function bindHashRoute(store: DashboardStore, win: Pick<Window, 'location' | 'history' | 'addEventListener' | 'removeEventListener'>): () => void {
  const apply = () => {
    const route = hashToRoute(win.location.hash);
    if (routeToHash(route) !== routeToHash(store.getState())) store.setState({ selection: route.selection, view: route.view });
  };
  const unsubscribe = store.subscribe((state, previous) => {
    if (state.session.status !== 'signedIn') return;
    if (previous.session.status !== 'signedIn') {
      if (win.location.hash) apply();
      return;
    }
    const hash = routeToHash(state);
    if (hash !== routeToHash(previous) && hash !== win.location.hash) win.history.pushState(null, '', hash || win.location.pathname + win.location.search);
  });
  const onPop = () => {
    if (store.getState().session.status === 'signedIn') apply();
  };
  win.addEventListener('popstate', onPop);
  win.addEventListener('hashchange', onPop);
  return () => {
    unsubscribe();
    win.removeEventListener('popstate', onPop);
    win.removeEventListener('hashchange', onPop);
  };
}
