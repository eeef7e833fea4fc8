import { useState } from 'react';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';

interface Props {
  environmentName: string;
  featureName: string;
  isDisabled?: boolean;
  /** Publishes directly; the server allows it only to holders of BYPASS_CHANGE_REQUESTS and audits it. */
  onBypass(): Promise<void>;
}

/**
 * The one way past an environment's approvals (issue 12 §2): a separate, plainly labelled action, away
 * from "Request change", behind a dialog that says what it does and asks for an acknowledgement.
 */
export function BypassPublishButton({ environmentName, featureName, isDisabled = false, onBypass }: Props) {
  const [isConfirming, setConfirming] = useState(false);
  return (
    <>
      <button type="button" className="quiet danger-text" disabled={isDisabled} onClick={() => setConfirming(true)}>
        Publish without approval…
      </button>
      {isConfirming && (
        <ConfirmDialog
          title="Publish without a change request?"
          confirmLabel="Publish without approval"
          acknowledgement={`I am allowed to bypass approvals in ${environmentName}, and this is recorded in the audit log.`}
          isDestructive
          onCancel={() => setConfirming(false)}
          onConfirm={async () => {
            await onBypass();
            setConfirming(false);
          }}
        >
          <p>
            {environmentName} requires approvals. This publishes the draft of {featureName} now, with no review. The server allows it only to people granted “Bypass change
            requests” on {environmentName}, and records it in the audit log.
          </p>
        </ConfirmDialog>
      )}
    </>
  );
}
