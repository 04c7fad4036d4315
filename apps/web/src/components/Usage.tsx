import { STATS_WINDOWS, type UsageWindow } from '@darkroom/core';
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { describeRequestError } from '../lib/errors.js';
import { ledgerWords } from '../lib/ledger.js';
import { useTRPC } from '../trpc.js';

const WINDOW_LABELS = { '24h': 'Last 24 hours', '7d': 'Last 7 days', all: 'All time' } as const;
const seconds = (ms: number | null) => (ms === null ? '–' : `${(ms / 1000).toFixed(1)} s`);

/** Credits (balance and ledger) and usage over three windows. */
export function Usage() {
  const trpc = useTRPC();
  const stats = useQuery(trpc.stats.me.queryOptions(undefined, { refetchInterval: 15_000 }));
  // One line per job, folded by the API; "Load more" asks for the next cursor page.
  const credits = useInfiniteQuery(
    trpc.credits.ledger.infiniteQueryOptions(
      { limit: 20 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined, refetchInterval: 15_000 },
    ),
  );
  const lines = credits.data?.pages.flatMap((page) => page.lines) ?? [];
  const balance = credits.data?.pages[0]?.balance;

  return (
    <div className="usage">
      <section className="panel" aria-labelledby="credits-heading">
        <h2 id="credits-heading">Credits</h2>
        {credits.isError ? <p className="form-error">{describeRequestError(credits.error)}</p> : null}
        {credits.data ? (
          <>
            <p className="balance" data-testid="credit-balance">
              {balance} credits
            </p>
            <table className="ledger stack-table">
              <thead>
                <tr>
                  <th>When</th>
                  <th>What</th>
                  <th>Amount</th>
                  <th>Balance</th>
                </tr>
              </thead>
              <tbody>
                {lines.map((line) => (
                  <tr key={line.id} data-testid="ledger-line">
                    <td data-label="When">{new Date(line.createdAt).toLocaleString()}</td>
                    <td data-label="What">
                      {line.jobId ? (
                        <Link to={`/jobs/${line.jobId}`} title={line.prompt ?? undefined}>
                          Job
                        </Link>
                      ) : (
                        'Grant'
                      )}{' '}
                      · {ledgerWords(line)}
                    </td>
                    <td data-label="Amount">{line.amount > 0 ? `+${line.amount}` : line.amount}</td>
                    <td data-label="Balance">{line.balanceAfter}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {credits.hasNextPage ? (
              <button type="button" onClick={() => void credits.fetchNextPage()} disabled={credits.isFetchingNextPage}>
                {credits.isFetchingNextPage ? 'Loading…' : 'Load more'}
              </button>
            ) : null}
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
    <section className="usage-card" data-testid="usage-window" aria-label={title}>
      <h3>{title}</h3>
      <dl>
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
    </section>
  );
}
