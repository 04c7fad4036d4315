import { Admin } from '../components/Admin.js';
import { usePageTitle } from '../lib/title.js';
import { useStudio } from '../studio-context.js';
import { NotFoundPage } from './NotFoundPage.js';

/** Admins only; anyone else who types the address sees "nothing here", as for any unknown page. */
export function AdminPage() {
  const { account, signUpMode } = useStudio();
  usePageTitle(account.role === 'admin' ? 'Admin' : null);
  if (account.role !== 'admin') return <NotFoundPage />;
  return <Admin signUpMode={signUpMode} />;
}
