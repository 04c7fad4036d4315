import { useEffect, useState } from 'react';
import { History } from '../components/History.js';
import { JobCard } from '../components/JobCard.js';
import { SubmitForm } from '../components/SubmitForm.js';
import { usePageTitle } from '../lib/title.js';
import { useStudio } from '../studio-context.js';

/** The form, the jobs followed as cards, and History below them. */
export function CreatePage() {
  const { followed, remix, open, openAll, close, remixJob } = useStudio();
  usePageTitle('Create');
  // A new job's card is brought into view: Generate is often below the fold, the cards at the top.
  const [created, setCreated] = useState<string | null>(null);
  useEffect(() => {
    if (!created) return;
    document.getElementById(`job-${created}`)?.scrollIntoView({ block: 'nearest' });
    setCreated(null);
  }, [created, followed]);
  return (
    <div className="layout">
      <section className="panel" aria-labelledby="create-heading">
        <h2 id="create-heading">New images</h2>
        <SubmitForm
          onCreated={(ids) => {
            openAll(ids);
            setCreated(ids[0] ?? null);
          }}
          remix={remix}
        />
      </section>
      <section className="jobs" aria-labelledby="jobs-heading">
        <h2 id="jobs-heading">Jobs</h2>
        {followed.length === 0 ? (
          <p className="empty">Your jobs appear here as soon as you press Generate.</p>
        ) : (
          <div className="job-cards">
            {followed.map((id) => (
              <div key={id} id={`job-${id}`} className="job-slot">
                <JobCard jobId={id} onClose={() => close(id)} onRemix={remixJob} />
              </div>
            ))}
          </div>
        )}
        <History onOpen={open} />
      </section>
    </div>
  );
}
