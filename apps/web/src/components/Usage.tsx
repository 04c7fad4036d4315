import { STATS_WINDOWS, type UsageWindow } from '@darkroom/core';
import { useQuery } from '@tanstack/react-query';
import { describeRequestError } from '../lib/errors.js';
import { useTRPC } from '../trpc.js';

const WINDOW_LABELS = { '24h': 'Last 24 hours', '7d': 'Last 7 days', all: 'All time' } as const;
const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** Credits (balance and ledger) and usage over three windows. */
export function Usage() {
  const trpc = useTRPC();
  const stats = useQuery(trpc.stats.me.queryOptions(undefined, { refetchInterval: 15_000 }));
  const credits = useQuery(trpc.credits.get.queryOptions({ limit: 20 }, { refetchInterval: 15_000 }));

  return (
    <div className="usage">
      <section className="panel" aria-labelledby="credits-heading">
        <h2 id="credits-heading">Credits</h2>
        {credits.isError ? <p className="form-error">{describeRequestError(credits.error)}</p> : null}
        {credits.data ? (
          <>
            <p className="balance" data-testid="credit-balance">
              {credits.data.balance} credits
            </p>
            <table className="ledger">
              <thead>
                <tr>
                  <th>When</th>
                  <th>What</th>
                  <th>Amount</th>
                  <th>Balance</th>
                </tr>
              </thead>
              <tbody>
                {credits.data.entries.map((entry) => (
                  <tr key={entry.id}>
                    <td>{new Date(entry.createdAt).toLocaleString()}</td>
                    <td>
                      {entry.kind}
                      {entry.note ? <span className="muted"> · {entry.note}</span> : null}
                    </td>
                    <td>{entry.amount > 0 ? `+${entry.amount}` : entry.amount}</td>
                    <td>{entry.balanceAfter}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        ) : null}
      </section>
      <section className="panel" aria-labelledby="usage-heading">
        <h2 id="usage-heading">Usage</h2>
        {stats.isError ? <p className="form-error">{describeRequestError(stats.error)}</p> : null}
        <div className="usage-windows">
          {stats.data
            ? STATS_WINDOWS.map((window) => (
                <UsageCard key={window} title={WINDOW_LABELS[window]} usage={stats.data[window]} />
              ))
            : null}
        </div>
      </section>
    </div>
  );
}

function UsageCard({ title, usage }: { title: string; usage: UsageWindow }) {
  return (
    <dl className="usage-card" data-testid="usage-window">
      <h3>{title}</h3>
      <dt>Jobs</dt>
      <dd>{usage.jobs}</dd>
      <dt>Succeeded / failed / canceled</dt>
      <dd>
        {usage.succeeded} / {usage.failed} / {usage.canceled}
      </dd>
      <dt>Images</dt>
      <dd>{usage.images}</dd>
      <dt>Average / p95 time</dt>
      <dd>
        {seconds(usage.averageProcessingMs)} / {seconds(usage.p95ProcessingMs)}
      </dd>
      <dt>Credits used</dt>
      <dd>{usage.creditsUsed}</dd>
      <dt>Top presets</dt>
      <dd>{usage.topPresets.map((row) => `${row.preset} (${row.jobs})`).join(', ') || '–'}</dd>
      <dt>Top providers</dt>
      <dd>{usage.topProviders.map((row) => `${row.provider} (${row.jobs})`).join(', ') || '–'}</dd>
    </dl>
  );
}
