import { ApiKeys } from '../components/ApiKeys.js';
import { usePageTitle } from '../lib/title.js';

export function KeysPage() {
  usePageTitle('API keys');
  return <ApiKeys />;
}
