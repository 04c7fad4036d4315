import type { AccountView, JobView, SignUpMode } from '@darkroom/core';
import { useOutletContext } from 'react-router';
import type { Remix } from './components/SubmitForm.js';

/** What the signed-in pages share: the account, the cards followed on Create, and remix. */
export interface StudioContext {
  account: AccountView;
  signUpMode: SignUpMode;
  followed: string[];
  remix: Remix | null;
  /** Shows the job's card on Create (first), without leaving the current page. */
  open: (jobId: string) => void;
  openAll: (jobIds: string[]) => void;
  close: (jobId: string) => void;
  /** Goes to Create with the job's parameters in the form and focus on its prompt. */
  remixJob: (job: JobView) => void;
}

export const useStudio = () => useOutletContext<StudioContext>();
