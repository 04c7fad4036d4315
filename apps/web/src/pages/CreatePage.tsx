import { History } from '../components/History.js';
import { JobCard } from '../components/JobCard.js';
import { SubmitForm } from '../components/SubmitForm.js';
import { usePageTitle } from '../lib/title.js';
import { useStudio } from '../studio-context.js';

/** The form, the jobs followed as cards, and History below them. */
export function CreatePage() {
  const { followed, remix, open, openAll, close, remixJob } = useStudio();
  usePageTitle('Create');
  return (
    <div className="layout">
      <section className="panel" aria-labelledby="create-heading">
        <h2 id="create-heading">New images</h2>
        <SubmitForm onCreated={openAll} remix={remix} />
      </section>
      <section className="jobs" aria-labelledby="jobs-heading">
        <h2 id="jobs-heading">Jobs</h2>
        {followed.length === 0 ? (
          <p className="empty">Your jobs appear here as soon as you press Generate.</p>
        ) : (
          <div className="job-cards">
            {followed.map((id) => (
              <JobCard key={id} jobId={id} onClose={() => close(id)} onRemix={remixJob} />
            ))}
          </div>
        )}
        <History onOpen={open} />
      </section>
    </div>
  );
}
