import { useQuery, useQueryClient } from '@tanstack/react-query';
import { lazy, useCallback, type ComponentType } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { AuthScreen } from './components/AuthScreen.js';
import { StudioLayout } from './components/StudioLayout.js';
import { OfflineBanner } from './lib/connection.js';
import { LiveUpdates } from './lib/live.js';
import { CreatePage } from './pages/CreatePage.js';
import { HistoryPage } from './pages/HistoryPage.js';
import { JobPage } from './pages/JobPage.js';
import { NotFoundPage } from './pages/NotFoundPage.js';
import { useTRPC } from './trpc.js';

// Views that are not the first screen load when first shown: the admin view's charts (uPlot) most of
// all, and the gallery, image view, usage and keys, so sign-in and Create download less.
const named = <K extends string, P extends object>(load: () => Promise<Record<K, ComponentType<P>>>, name: K) =>
  lazy(() => load().then((module) => ({ default: module[name] })));
const AdminPage = named(() => import('./pages/AdminPage.js'), 'AdminPage');
const GalleryPage = named(() => import('./pages/GalleryPage.js'), 'GalleryPage');
const ImagePage = named(() => import('./pages/ImagePage.js'), 'ImagePage');
const UsagePage = named(() => import('./pages/UsagePage.js'), 'UsagePage');
const CollectionsPage = named(() => import('./pages/CollectionsPage.js'), 'CollectionsPage');
const CollectionPage = named(() => import('./pages/CollectionPage.js'), 'CollectionPage');
const KeysPage = named(() => import('./pages/KeysPage.js'), 'KeysPage');

/**
 * Signed out: sign up / log in, at whatever address was asked for, so a deep link opens once signed
 * in. Signed in: the studio's pages, each at its own URL.
 */
export function App() {
  return (
    <BrowserRouter>
      <Session />
    </BrowserRouter>
  );
}

function Session() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.auth.status.queryOptions(undefined, { refetchInterval: 15_000 }));
  // Whoever signs in or out, nothing cached for the previous account may show.
  const reset = useCallback(() => void queryClient.resetQueries(), [queryClient]);

  if (status.isPending) return <div className="app" aria-busy="true" />;
  // A failed re-check keeps the last answer: an offline moment must not sign anyone out of the page.
  if (!status.data) {
    return (
      <div className="app">
        <OfflineBanner />
        <main id="main">
          <p className="form-error">Cannot reach Darkroom. It will retry.</p>
        </main>
      </div>
    );
  }
  if (!status.data.account)
    return <AuthScreen hasAccounts={status.data.hasAccounts} signUpMode={status.data.signUpMode} onSignedIn={reset} />;
  // The live stream is the signed-in account's: it starts with the studio and ends with it.
  return (
    <LiveUpdates>
      <Routes>
        <Route
          element={
            <StudioLayout account={status.data.account} signUpMode={status.data.signUpMode} onSignedOut={reset} />
          }
        >
          <Route index element={<CreatePage />} />
          <Route path="gallery" element={<GalleryPage />} />
          <Route path="gallery/favourites" element={<GalleryPage favourites />} />
          <Route path="gallery/:imageId" element={<ImagePage />} />
          <Route path="collections" element={<CollectionsPage />} />
          <Route path="collections/:collectionId" element={<CollectionPage />} />
          <Route path="history" element={<HistoryPage />} />
          <Route path="jobs/:jobId" element={<JobPage />} />
          <Route path="usage" element={<UsagePage />} />
          <Route path="keys" element={<KeysPage />} />
          <Route path="admin" element={<AdminPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Routes>
    </LiveUpdates>
  );
}
