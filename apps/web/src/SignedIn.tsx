/**
 * The signed-in app: the studio's pages, each at its own URL, and the live stream. Its own chunk, so
 * the sign-up page a new visitor lands on downloads none of it (App loads it once someone is signed in).
 */
import { lazy, type ComponentProps, type ComponentType } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { StudioLayout } from './components/StudioLayout.js';
import { LiveUpdates } from './lib/live.js';
import { CreatePage } from './pages/CreatePage.js';
import { HistoryPage } from './pages/HistoryPage.js';
import { JobPage } from './pages/JobPage.js';
import { NotFoundPage } from './pages/NotFoundPage.js';

// Views that are not the first screen load when first shown: the admin view's charts (uPlot) most of
// all, and the gallery, collections, image view, usage and keys, so Create downloads less.
const named = <K extends string, P extends object>(load: () => Promise<Record<K, ComponentType<P>>>, name: K) =>
  lazy(() => load().then((module) => ({ default: module[name] })));
const AdminPage = named(() => import('./pages/AdminPage.js'), 'AdminPage');
const GalleryPage = named(() => import('./pages/GalleryPage.js'), 'GalleryPage');
const ImagePage = named(() => import('./pages/ImagePage.js'), 'ImagePage');
const UsagePage = named(() => import('./pages/UsagePage.js'), 'UsagePage');
const CollectionsPage = named(() => import('./pages/CollectionsPage.js'), 'CollectionsPage');
const CollectionPage = named(() => import('./pages/CollectionPage.js'), 'CollectionPage');
const KeysPage = named(() => import('./pages/KeysPage.js'), 'KeysPage');

export function SignedIn({ account, signUpMode, onSignedOut }: ComponentProps<typeof StudioLayout>) {
  // The live stream is the signed-in account's: it starts with the studio and ends with it.
  return (
    <BrowserRouter>
      <LiveUpdates>
        <Routes>
          <Route element={<StudioLayout account={account} signUpMode={signUpMode} onSignedOut={onSignedOut} />}>
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
    </BrowserRouter>
  );
}
