import { useEffect, useId, useRef, useState } from 'react';
import { useAppServices } from '../../app/app-services.js';
import type { Environment, VersioningStatus } from '../../data/api-client.js';
import { disableFeatureVersioning, enableFeatureVersioning, isMigrationRunning, loadVersioningStatus } from '../../data/project-data.js';
import { ConfirmDialog } from '../../ui/confirm-dialog.js';
import { describeError } from '../../ui/error-text.js';
import { Switch } from '../../ui/switch.js';
import { ChangeRequestSettings, ServerKeys } from './environment-admin.js';

/** How often a running migration is polled. */
const POLL_INTERVAL_MS = 500;

const STATUS_TEXT: Record<VersioningStatus['versioning_status'], string> = {
  v1: 'Off: changes to flags apply at once, without versions.',
  enabling: 'Turning on: creating a first version of every feature…',
  v2: 'On: every change is a version you can review, schedule and roll back.',
  disabling: 'Turning off: keeping the live state of every feature…',
  failed: 'The last migration failed. Turning versioning on or off again resumes it.',
};

/** Environment settings: Feature Versioning with its migration progress, the change request rule, and the environment's keys. */
export function EnvironmentSettings({ environment }: { environment: Environment }) {
  const { api, store } = useAppServices();
  const id = useId();
  const [status, setStatus] = useState<VersioningStatus | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [isConfirmingDisable, setConfirmingDisable] = useState(false);
  const [isStarting, setStarting] = useState(false);
  const environmentKey = environment.api_key;

  const [pollRound, setPollRound] = useState(0);
  const isV2Shown = useRef(environment.use_v2_feature_versioning);
  isV2Shown.current = environment.use_v2_feature_versioning;

  // Load the status, and poll while a migration runs. When it ends, the navigator reloads the
  // environment so every screen sees the new mode. A new round starts with each enable or disable.
  useEffect(() => {
    let isCurrent = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function poll() {
      try {
        const next = await loadVersioningStatus(api, { api_key: environmentKey });
        if (!isCurrent) return;
        setStatus(next);
        if (isMigrationRunning(next)) timer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
        else if (next.use_v2_feature_versioning !== isV2Shown.current) store.getState().bumpRevision();
      } catch (error) {
        if (isCurrent) setFailure(describeError(error));
      }
    }
    // After enabling or disabling, the answer already shows the start; the next look is one interval later.
    if (pollRound === 0) void poll();
    else timer = setTimeout(() => void poll(), POLL_INTERVAL_MS);
    return () => {
      isCurrent = false;
      if (timer) clearTimeout(timer);
    };
  }, [api, environmentKey, store, pollRound]);

  async function start(enable: boolean) {
    setStarting(true);
    setFailure(null);
    try {
      setStatus(enable ? await enableFeatureVersioning(api, environment) : await disableFeatureVersioning(api, environment));
      setPollRound((r) => r + 1);
    } finally {
      setStarting(false);
    }
  }

  const isOn = status ? status.versioning_status === 'v2' || status.versioning_status === 'enabling' : environment.use_v2_feature_versioning;
  const isRunning = status !== null && isMigrationRunning(status);
  const progress = status?.progress;

  return (
    <div className="settings">
      <section className="panel" aria-labelledby={`${id}-versioning`}>
        <h2 id={`${id}-versioning`}>Feature versioning</h2>
        <p className="muted">Versions let you review changes as drafts, compare them, schedule them and roll back.</p>
        <div className="field-row">
          <span className="field-label">Feature versioning</span>
          <Switch
            isOn={isOn}
            label="Feature versioning"
            isDisabled={status === null || isRunning}
            isBusy={isStarting}
            onChange={(enable) => {
              if (enable) void start(true).catch((error: unknown) => setFailure(describeError(error)));
              else setConfirmingDisable(true);
            }}
          />
        </div>
        {status && (
          <p role="status" className={status.versioning_status === 'failed' ? 'error' : undefined}>
            {STATUS_TEXT[status.versioning_status]}
            {status.last_error && ` (${status.last_error})`}
          </p>
        )}
        {isRunning && progress && (
          <div className="progress">
            <progress aria-label="Migration progress" max={Math.max(progress.total, 1)} value={progress.done} />
            <span>{`${progress.done} of ${progress.total} features`}</span>
          </div>
        )}
        {failure && (
          <p role="alert" className="error">
            {failure}
          </p>
        )}
      </section>
      <ChangeRequestSettings key={`cr:${environment.minimum_change_request_approvals}`} environment={environment} />
      <ServerKeys environment={environment} />
      {isConfirmingDisable && (
        <ConfirmDialog
          title="Turn off feature versioning?"
          confirmLabel="Turn off versioning"
          isDestructive
          acknowledgement="I understand that every version except the live state is deleted."
          onCancel={() => setConfirmingDisable(false)}
          onConfirm={async () => {
            await start(false);
            setConfirmingDisable(false);
          }}
        >
          <p>
            {environment.name} goes back to unversioned flags. The live state of every feature is kept; drafts, scheduled versions and the whole version history are deleted. This
            cannot be undone.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
