import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { ApiError } from './api';
import { App } from './App';
import { AuthProvider } from './auth';
import { ToastProvider } from './components/ui';
import { initI18n } from './i18n';
import { SocketProvider } from './socket';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: true,
      retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
    },
  },
});

const root = createRoot(document.getElementById('root')!);

function Boot({ failed }: { failed?: string }) {
  return (
    <div className="boot" role="status">
      <div className="boot-egg" aria-hidden="true" />
      {failed ? <p>{failed}</p> : null}
    </div>
  );
}

root.render(<Boot />);
initI18n()
  .then(() => {
    root.render(
      <StrictMode>
        <QueryClientProvider client={queryClient}>
          <ToastProvider>
            <AuthProvider>
              <SocketProvider>
                <App />
              </SocketProvider>
            </AuthProvider>
          </ToastProvider>
        </QueryClientProvider>
      </StrictMode>,
    );
  })
  .catch((err: Error) => root.render(<Boot failed={`StreakPets could not load its language files (${err.message}). Reload to try again.`} />));
