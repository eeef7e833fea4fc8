import { useCallback, useEffect, useRef, useState } from 'react';
import type { ApiClient, ImpactPreview } from '../../data/api-client.js';
import { describeError } from '../../ui/error-text.js';

/** Where an impact preview stands on screen. */
export type ImpactState =
  | { status: 'idle' }
  | { status: 'running'; preview: ImpactPreview | null }
  | { status: 'done'; preview: ImpactPreview; isOutdated: boolean }
  | { status: 'cancelled'; preview: ImpactPreview }
  | { status: 'failed'; message: string };

export interface ImpactControls {
  state: ImpactState;
  run(): void;
  cancel(): void;
}

/** Polling starts quick and slows down for long previews. */
const POLL_MS = [300, 600, 1000, 2000];

/**
 * Runs an impact preview on demand and follows it to the end (polling its progress), cancels it on
 * request or when the screen goes away. `contentKey` names what was previewed: when it changes (the
 * draft was edited), a finished result is marked outdated instead of silently describing old content.
 */
export function useImpactPreview(api: ApiClient, start: () => Promise<ImpactPreview>, contentKey: string): ImpactControls {
  const [state, setState] = useState<ImpactState>({ status: 'idle' });
  const previewedKey = useRef<string | null>(null);
  const running = useRef<{ id: string | null; isStopped: boolean } | null>(null);
  const startRef = useRef(start);
  startRef.current = start;

  useEffect(() => {
    setState((s) => (s.status === 'done' && previewedKey.current !== contentKey ? { ...s, isOutdated: true } : s));
  }, [contentKey]);

  useEffect(
    () => () => {
      const job = running.current;
      if (job) {
        job.isStopped = true;
        if (job.id) void api.cancelImpactPreview(job.id).catch(() => undefined);
      }
    },
    [api],
  );

  const run = useCallback(() => {
    if (running.current) running.current.isStopped = true;
    const job = { id: null as string | null, isStopped: false };
    running.current = job;
    previewedKey.current = contentKey;
    setState({ status: 'running', preview: null });
    void (async () => {
      try {
        let preview = await startRef.current();
        job.id = preview.id;
        for (let poll = 0; preview.status === 'running' && !job.isStopped; poll++) {
          setState({ status: 'running', preview });
          await new Promise((resolve) => setTimeout(resolve, POLL_MS[Math.min(poll, POLL_MS.length - 1)]));
          if (!job.isStopped) preview = await api.getImpactPreview(preview.id);
        }
        if (job.isStopped) return;
        running.current = null;
        if (preview.status === 'failed') setState({ status: 'failed', message: `The preview stopped: ${preview.error ?? 'unknown error'}` });
        else if (preview.status === 'cancelled') setState({ status: 'cancelled', preview });
        else setState({ status: 'done', preview, isOutdated: previewedKey.current !== contentKey });
      } catch (error) {
        if (job.isStopped) return;
        running.current = null;
        setState({ status: 'failed', message: describeError(error) });
      }
    })();
  }, [api, contentKey]);

  const cancel = useCallback(() => {
    const job = running.current;
    if (!job) return;
    job.isStopped = true;
    running.current = null;
    const preview = state.status === 'running' ? state.preview : null;
    if (job.id) void api.cancelImpactPreview(job.id).catch(() => undefined);
    setState(preview ? { status: 'cancelled', preview } : { status: 'idle' });
  }, [api, state]);

  return { state, run, cancel };
}
