import { Link } from 'react-router';
import { usePageTitle } from '../lib/title.js';

export function NotFoundPage() {
  usePageTitle('Not found');
  return (
    <section className="panel">
      <h2>Nothing here</h2>
      <p>
        This address is not a page of Darkroom. <Link to="/">Go to Create</Link>.
      </p>
    </section>
  );
}
