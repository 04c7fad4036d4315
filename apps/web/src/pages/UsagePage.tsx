import { Usage } from '../components/Usage.js';
import { usePageTitle } from '../lib/title.js';

export function UsagePage() {
  usePageTitle('Usage & credits');
  return <Usage />;
}
