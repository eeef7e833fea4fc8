import { useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import { signIn, signUpFirstAdmin } from '../../app/session-actions.js';
import { useResource } from '../../ui/use-resource.js';
import { FirstAdminForm } from './first-admin-form.js';
import { SignInForm } from './sign-in-form.js';

/**
 * The signed-out page: the sign-in form, or on a server without any user the first-run form that creates
 * its administrator and organisation. If the server cannot say (offline, an older server), it is the
 * sign-in form. When someone else completed the first run meanwhile, the refusal is shown and the
 * sign-in form offered.
 */
export function SignInPage() {
  const services = useAppServices();
  const status = useResource('first-run', () => services.admin.needsFirstAdmin());
  const [isFirstRunDone, setFirstRunDone] = useState(false);
  if (status.status === 'loading') {
    return (
      <p role="status" className="splash">
        Loading Flagdesk…
      </p>
    );
  }
  if (status.status === 'ready' && status.data && !isFirstRunDone) {
    return (
      <FirstAdminForm
        onCreate={async (body) => {
          try {
            await signUpFirstAdmin(services, body);
          } catch (error) {
            if ((error as { code?: string }).code === 'PRECONDITION_FAILED') setFirstRunDone(true);
            throw error;
          }
        }}
      />
    );
  }
  return <SignInForm onSignIn={(email, password) => signIn(services, email, password)} {...(isFirstRunDone ? { notice: 'This server has just been set up by someone else. Sign in with your account, or ask its administrator to add you.' } : {})} />;
}
