import { useId } from 'react';
import { describeFeatureImpact } from '../../../src-shared/domain/impact/impact-tally.rules.js';
import type { ImpactPreview } from '../../data/api-client.js';
import type { ImpactControls } from './use-impact-preview.js';

type FeatureImpact = ImpactPreview['features'][number];
type Rule = FeatureImpact['rules'][number];

const n = (x: number) => x.toLocaleString('en-US');

function ruleLabel(rule: Rule): string {
  if (rule.kind === 'ENVIRONMENT_DEFAULT') return 'Environment default';
  if (rule.kind === 'IDENTITY_OVERRIDE') return 'Identity overrides';
  return `Segment “${rule.segment_name ?? rule.segment_id}”${rule.is_percentage_split ? ' (percentage split)' : ''}`;
}

function RuleBars({ impact }: { impact: FeatureImpact }) {
  const total = Math.max(1, impact.identities_evaluated);
  return (
    <ul className="impact-rules" aria-label="By deciding rule">
      {impact.rules.map((rule) => {
        const share = (rule.identities / total) * 100;
        const changedShare = (rule.changed / total) * 100;
        return (
          <li key={`${rule.kind}:${rule.segment_id ?? ''}`}>
            <span className="impact-rule-name" title={ruleLabel(rule)}>
              {ruleLabel(rule)}
            </span>
            <span className="impact-bar" aria-hidden="true">
              <span className="impact-bar-decided" style={{ width: `${share}%` }} />
              <span className="impact-bar-changed" style={{ width: `${changedShare}%` }} />
            </span>
            <span className="impact-rule-counts">
              {n(rule.identities)} decided · {rule.changed === 0 ? 'no change' : `${n(rule.changed)} changed`}
              {rule.variant_split > 0 && ` · ${n(rule.variant_split)} by variation split`}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function Examples({ impact }: { impact: FeatureImpact }) {
  const kinds = [
    ['enabled', 'Enabled state changes'],
    ['value', 'Value changes'],
    ['variant', 'Variant changes'],
  ] as const;
  const shown = kinds.filter(([kind]) => impact.examples[kind].length > 0);
  if (shown.length === 0) return null;
  return (
    <details className="impact-examples">
      <summary>Example identities</summary>
      <dl>
        {shown.map(([kind, label]) => (
          <div key={kind}>
            <dt>{label}</dt>
            <dd>{impact.examples[kind].join(', ')}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}

function FeatureResult({ impact, withName }: { impact: FeatureImpact; withName: boolean }) {
  return (
    <div className="impact-feature">
      {withName && <h4>{impact.feature_name}</h4>}
      <p className="impact-sentence">{describeFeatureImpact(impact)}</p>
      {impact.identities_evaluated > 0 && <RuleBars impact={impact} />}
      <Examples impact={impact} />
      {impact.has_provisional_buckets && <p className="muted">A new segment override splits by variation: its split is estimated until it is published.</p>}
    </div>
  );
}

interface Props {
  controls: ImpactControls;
  /** What is previewed, for the heading and the button ("this draft", "this change request", "the revert"). */
  subject: string;
  /** Why it cannot be computed now (offline, not on the server yet); null when it can. */
  unavailable: string | null;
}

/**
 * Who a change affects, over every identity the server has stored for the environment, as the SDKs will
 * evaluate it: one sentence per feature, a bar per deciding rule (decided, and of those changed) and
 * example identities. Runs on demand; shows progress and can be cancelled on large populations.
 */
export function ImpactPreviewPanel({ controls, subject, unavailable }: Props) {
  const id = useId();
  const { state, run, cancel } = controls;
  const isRunning = state.status === 'running';
  return (
    <section className="impact" aria-labelledby={`${id}-title`}>
      <div className="impact-head">
        <h3 id={`${id}-title`}>Who {subject} affects</h3>
        {!isRunning && (
          <button type="button" disabled={unavailable !== null} aria-describedby={unavailable ? `${id}-why` : undefined} onClick={run}>
            {state.status === 'idle' ? 'Preview impact' : 'Preview again'}
          </button>
        )}
        {isRunning && (
          <button type="button" onClick={cancel}>
            Cancel preview
          </button>
        )}
      </div>
      {unavailable && (
        <p id={`${id}-why`} className="muted">
          {unavailable}
        </p>
      )}
      {state.status === 'idle' && !unavailable && <p className="muted">Evaluates every identity stored in this environment, with the same engine as the SDKs.</p>}
      {isRunning && (
        <div role="status" className="impact-progress">
          {state.preview && state.preview.progress.total > 0 ? (
            <>
              <progress max={state.preview.progress.total} value={state.preview.progress.evaluated} />
              <span>
                Evaluated {n(state.preview.progress.evaluated)} of {n(state.preview.progress.total)} identities…
              </span>
            </>
          ) : (
            <span>Evaluating the environment’s identities…</span>
          )}
        </div>
      )}
      {state.status === 'failed' && (
        <p role="alert" className="error">
          {state.message}
        </p>
      )}
      {state.status === 'cancelled' && (
        <p role="status" className="muted">
          Cancelled after {n(state.preview.identities_evaluated)} of {n(state.preview.progress.total)} identities.
        </p>
      )}
      {state.status === 'done' && (
        <div role="status" aria-live="polite">
          {state.isOutdated && <p className="impact-outdated">The change was edited after this preview; preview again to see its impact now.</p>}
          {state.preview.merged_with_live && <p className="muted">Made from an older version: this is the impact of its merge with what is live now.</p>}
          {state.preview.features.map((f) => (
            <FeatureResult key={f.feature_id} impact={f} withName={state.preview.features.length > 1} />
          ))}
          {state.preview.features.length > 1 && (
            <p className="muted">
              In all, {n(state.preview.changed_any)} of {n(state.preview.identities_evaluated)} identities are affected.
            </p>
          )}
        </div>
      )}
    </section>
  );
}

/** One line for a dialog (the schedule form): the last preview's sentence, or how to get one. */
export function ImpactSummary({ controls, unavailable }: Pick<Props, 'controls' | 'unavailable'>) {
  const { state, run } = controls;
  if (state.status === 'done' && state.preview.features.length === 1) {
    const [only] = state.preview.features;
    return (
      <p className="muted impact-summary">
        Impact as of now: {describeFeatureImpact(only!)}
        {state.isOutdated && ' (before your latest edit)'}
      </p>
    );
  }
  if (state.status === 'running') return <p className="muted impact-summary">Computing the impact…</p>;
  if (unavailable) return <p className="muted impact-summary">{unavailable}</p>;
  return (
    <p className="muted impact-summary">
      <button type="button" className="link" onClick={run}>
        Preview who this affects
      </button>{' '}
      before scheduling.
    </p>
  );
}
