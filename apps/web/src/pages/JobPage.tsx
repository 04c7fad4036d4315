import { useNavigate, useParams } from 'react-router';
import { JobCard } from '../components/JobCard.js';
import { usePageTitle } from '../lib/title.js';
import { useStudio } from '../studio-context.js';

/** One job at its own address (`/jobs/:jobId`), to link to, reload, or come back to. */
export function JobPage() {
  const { jobId = '' } = useParams();
  const { remixJob } = useStudio();
  const navigate = useNavigate();
  usePageTitle('Job');
  return (
    <div className="job-page">
      <h2 className="sr-only">Job</h2>
      <JobCard
        key={jobId}
        jobId={jobId}
        onClose={() => void navigate('/history')}
        onRemix={remixJob}
        closeLabel="Back to History"
      />
    </div>
  );
}
