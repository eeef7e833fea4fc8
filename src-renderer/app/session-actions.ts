import { ApiError } from '../data/api-client.js';
import type { AppServices } from './app-services.js';

/** Signs in with email and password, keeps the token, and loads the user. Throws ApiError on failure. */
export async function signIn(services: AppServices, email: string, password: string): Promise<void> {
  const token = await services.api.login({ email, password });
  services.store.setState({ token });
  const user = await services.api.getCurrentUser();
  await services.tokens.save(token);
  services.store.getState().setSignedIn(token, user);
}

/** Resumes the kept session if its token is still valid; otherwise shows the sign-in form. */
export async function restoreSession(services: AppServices): Promise<void> {
  const token = await services.tokens.load().catch(() => null);
  if (!token) {
    services.store.getState().setSignedOut();
    return;
  }
  services.store.setState({ token });
  try {
    services.store.getState().setSignedIn(token, await services.api.getCurrentUser());
  } catch (error) {
    if (error instanceof ApiError && error.code === 'UNAUTHENTICATED') await services.tokens.clear().catch(() => undefined);
    services.store.getState().setSignedOut();
  }
}

/** Revokes the token on the server (best effort: offline still signs out locally) and forgets it. */
export async function signOut(services: AppServices): Promise<void> {
  await services.api.logout().catch(() => undefined);
  await services.tokens.clear().catch(() => undefined);
  services.store.getState().setSignedOut();
}
