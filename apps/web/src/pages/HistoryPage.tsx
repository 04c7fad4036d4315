import { useNavigate } from 'react-router';
import { History } from '../components/History.js';
import { usePageTitle } from '../lib/title.js';

/** Every job, searchable; an entry opens the job's own page. */
export function HistoryPage() {
  const navigate = useNavigate();
  usePageTitle('History');
  return <History onOpen={(jobId) => void navigate(`/jobs/${jobId}`)} />;
}
