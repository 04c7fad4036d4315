import { PRIORITIES, type GlobalStatsWindow, type SignUpMode } from '@darkroom/core';
import { useQuery } from '@tanstack/react-query';
import { useMemo } from 'react';
import { describeRequestError } from '../lib/errors.js';
import { useTRPC } from '../trpc.js';
import { EnginesPanel } from './EnginesPanel.js';
import { GrantCredits } from './GrantCredits.js';
import { Invites } from './Invites.js';
import { TimeChart } from './TimeChart.js';

const PRIORITY_COLORS = { urgent: '#c0392b', high: '#d68910', normal: '#2e86c1', low: '#7d8a96' } as const;

const percent = (rate: number | null) => (rate === null ? '–' : `${Math.round(rate * 100)} %`);
const seconds = (value: number | null, unit: 'ms' | 's') =>
  value === null ? '–' : `${(unit === 'ms' ? value / 1000 : value).toFixed(1)} s`;

/** Admins: the queue by priority, workers, failure rate and system status, everyone's usage, invite codes. */
export function Admin({ signUpMode }: { signUpMode: SignUpMode }) {
  const trpc = useTRPC();
  const queue = useQuery(trpc.queue.status.queryOptions(undefined, { refetchInterval: 5_000 }));
  const workers = useQuery(trpc.queue.workers.queryOptions(undefined, { refetchInterval: 5_000 }));
  const stats = useQuery(trpc.stats.global.queryOptions(undefined, { refetchInterval: 30_000 }));
  const history = useQuery(trpc.queue.history.queryOptions(undefined, { refetchInterval: 15_000 }));
  const failures = useQuery(trpc.queue.recentFailures.queryOptions(undefined, { refetchInterval: 15_000 }));
  const charts = useMemo(() => {
    const points = history.data ?? [];
    return {
      times: points.map((point) => Date.parse(point.at) / 1000),
      queued: [...PRIORITIES].reverse().map((priority) => ({
        label: priority,
        color: PRIORITY_COLORS[priority],
        values: points.map((point) => point.queued[priority]),
      })),
      outcomes: [
        { label: 'succeeded', color: '#2f7d4f', values: points.map((point) => point.succeeded) },
        { label: 'failed', color: '#b3261e', values: points.map((point) => point.failed) },
      ],
    };
  }, [history.data]);

  return (
    <div className="admin" data-testid="admin">
      <section className="panel" aria-labelledby="queue-heading">
        <h2 id="queue-heading">Queue</h2>
        {queue.isError ? <p className="form-error">{describeRequestError(queue.error)}</p> : null}
        {queue.data ? (
          <>
            <p className={`system-status status-${queue.data.systemStatus}`} data-testid="system-status" role="status">
              System {queue.data.systemStatus}
            </p>
            {queue.data.reasons.length > 0 ? (
              <ul className="reasons">
                {queue.data.reasons.map((reason) => (
                  <li key={reason}>{reason}</li>
                ))}
              </ul>
            ) : null}
            <dl className="usage-card">
              <dt>Queued</dt>
              <dd data-testid="queue-length">{queue.data.queueLength}</dd>
              {[...PRIORITIES].reverse().map((priority) => (
                <FragmentRow key={priority} label={`· ${priority}`} value={queue.data.queuedByPriority[priority]} />
              ))}
              <dt>Running</dt>
              <dd>{queue.data.running}</dd>
              <dt>Average wait (15 min)</dt>
              <dd>{seconds(queue.data.averageWaitSeconds, 's')}</dd>
              <dt>Workers alive</dt>
              <dd data-testid="workers-alive">{queue.data.workersAlive}</dd>
              <dt>Failure rate (15 min)</dt>
              <dd>
                {percent(queue.data.failureRateLast15m)} of {queue.data.finishedLast15m}
              </dd>
            </dl>
          </>
        ) : null}
      </section>
      <section className="panel admin-history" aria-labelledby="history-heading">
        <h2 id="history-heading">The last hour</h2>
        {history.isError ? <p className="form-error">{describeRequestError(history.error)}</p> : null}
        {history.data ? (
          <>
            <TimeChart title="Queued, by priority" times={charts.times} series={charts.queued} testId="queue-chart" />
            <TimeChart
              title="Jobs ended per minute"
              times={charts.times}
              series={charts.outcomes}
              bars
              testId="outcome-chart"
            />
          </>
        ) : null}
      </section>
      <section className="panel admin-wide" aria-labelledby="failures-heading">
        <h2 id="failures-heading">Recent failures</h2>
        {failures.isError ? <p className="form-error">{describeRequestError(failures.error)}</p> : null}
        {failures.data && failures.data.length === 0 ? <p className="empty">No job has failed.</p> : null}
        {failures.data && failures.data.length > 0 ? (
          <div className="table-scroll" role="region" aria-labelledby="failures-heading" tabIndex={0}>
            <table className="ledger stack-table">
              <thead>
                <tr>
                  <th>When</th>
                  <th>Code</th>
                  <th>Provider</th>
                  <th>Owner</th>
                  <th>Message</th>
                </tr>
              </thead>
              <tbody>
                {failures.data.map((failure) => (
                  <tr key={failure.jobId} data-testid="failure-row">
                    <td data-label="When">{new Date(failure.finishedAt).toLocaleTimeString()}</td>
                    <td data-label="Code">
                      <code>{failure.code}</code>
                    </td>
                    <td data-label="Provider">{failure.provider}</td>
                    <td data-label="Owner">{failure.owner}</td>
                    <td data-label="Message" className="wrap">
                      {failure.message}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      <section className="panel admin-wide" aria-labelledby="workers-heading">
        <h2 id="workers-heading">Workers</h2>
        {workers.isError ? <p className="form-error">{describeRequestError(workers.error)}</p> : null}
        {workers.data && workers.data.length === 0 ? <p className="empty">No worker has checked in.</p> : null}
        <div className="table-scroll" role="region" aria-labelledby="workers-heading" tabIndex={0}>
          <table className="ledger stack-table">
            <thead>
              <tr>
                <th>Worker</th>
                <th>Host / pid</th>
                <th>Running</th>
                <th>Last seen</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {workers.data?.map((worker) => (
                <tr key={worker.workerId} data-testid="worker-row" data-alive={worker.alive}>
                  <td data-label="Worker">{worker.workerId}</td>
                  <td data-label="Host / pid">
                    {worker.host} / {worker.pid}
                  </td>
                  <td data-label="Running">
                    {worker.running} / {worker.concurrency}
                  </td>
                  <td data-label="Last seen">{new Date(worker.lastSeenAt).toLocaleTimeString()}</td>
                  <td data-label="State">{worker.alive ? 'alive' : 'silent'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <EnginesPanel />
      <Invites signUpMode={signUpMode} />
      <GrantCredits />
      <section className="panel admin-stats" aria-labelledby="global-heading">
        <h2 id="global-heading">Everyone&apos;s usage</h2>
        {stats.isError ? <p className="form-error">{describeRequestError(stats.error)}</p> : null}
        {stats.data ? (
          <div className="usage-windows">
            <GlobalWindow title="Last 24 hours" window={stats.data['24h']} />
            <GlobalWindow title="Last 7 days" window={stats.data['7d']} />
          </div>
        ) : null}
      </section>
    </div>
  );
}

function FragmentRow({ label, value }: { label: string; value: number | string }) {
  return (
    <>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </>
  );
}

function GlobalWindow({ title, window }: { title: string; window: GlobalStatsWindow }) {
  return (
    <section className="usage-card" aria-label={title}>
      <h3>{title}</h3>
      <dl>
        <dt>Jobs</dt>
        <dd>{window.jobs}</dd>
        <dt>Active users</dt>
        <dd>{window.activeUsers}</dd>
        <dt>Success rate</dt>
        <dd>{percent(window.successRate)}</dd>
        <dt>Images</dt>
        <dd>{window.images}</dd>
        <dt>Average / p95 time</dt>
        <dd>
          {seconds(window.averageProcessingMs, 'ms')} / {seconds(window.p95ProcessingMs, 'ms')}
        </dd>
        <dt>Credits used</dt>
        <dd>{window.creditsUsed}</dd>
        {window.outcomesByProvider.map((row) => (
          <FragmentRow
            key={row.provider}
            label={`${row.provider} ok / failed`}
            value={`${row.succeeded} / ${row.failed}`}
          />
        ))}
        <dt>Popular presets</dt>
        <dd>{window.topPresets.map((entry) => `${entry.preset} (${entry.jobs})`).join(', ') || '–'}</dd>
      </dl>
    </section>
  );
}
