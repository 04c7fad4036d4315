// First of all: zod must not probe for eval (the CSP refuses it) when the first schema is built, and
// the bundle may build one before core's index runs.
import '@darkroom/core/no-eval';
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { applyTheme, loadTheme } from './lib/theme.js';
import { makeQueryClient, makeTrpcClient, TRPCProvider } from './trpc.js';
import './styles.css';

function Root() {
  const [queryClient] = useState(makeQueryClient);
  const [trpcClient] = useState(makeTrpcClient);
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        <App />
      </TRPCProvider>
    </QueryClientProvider>
  );
}

// Before the first paint, so a chosen theme never flashes the other one.
applyTheme(loadTheme());

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);
