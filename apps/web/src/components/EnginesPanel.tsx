/**
 * Admins: every self-hosted engine instance the live workers see (`admin.engines`): host, healthy or
 * down until when, images in flight and the jobs they belong to, per worker. Refreshed every 10 s.
 */
import { useQuery } from '@tanstack/react-query';
import { describeRequestError } from '../lib/errors.js';
import { useTRPC } from '../trpc.js';

export function EnginesPanel() {
  const trpc = useTRPC();
  const engines = useQuery(trpc.admin.engines.queryOptions(undefined, { refetchInterval: 10_000 }));
  return (
    <section className="panel" aria-labelledby="engines-heading" data-testid="engines-panel">
      <h2 id="engines-heading">Engine instances</h2>
      {engines.isError ? <p className="form-error">{describeRequestError(engines.error)}</p> : null}
      {engines.data && engines.data.instances.length === 0 ? (
        <p className="empty">No worker reports a ComfyUI or A1111 instance.</p>
      ) : null}
      <div className="table-scroll" role="region" aria-labelledby="engines-heading" tabIndex={0}>
        <table className="ledger">
          <thead>
            <tr>
              <th>Provider</th>
              <th>Host</th>
              <th>State</th>
              <th>In flight</th>
              <th>Engine queue</th>
              <th>Jobs</th>
              <th>Worker</th>
            </tr>
          </thead>
          <tbody>
            {engines.data?.instances.map((instance) => (
              <tr
                key={`${instance.workerId} ${instance.provider} ${instance.host}`}
                data-testid="engine-row"
                data-state={instance.state}
              >
                <td>{instance.provider}</td>
                <td>{instance.host}</td>
                <td>
                  {instance.state === 'healthy'
                    ? 'healthy'
                    : `down${instance.downUntil ? ` until ${new Date(instance.downUntil).toLocaleTimeString()}` : ''}`}
                </td>
                <td>{instance.inFlight}</td>
                <td>{instance.engineQueue ?? '-'}</td>
                <td>{instance.jobIds.map((jobId) => jobId.slice(0, 8)).join(', ') || '-'}</td>
                <td>{instance.workerId}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
