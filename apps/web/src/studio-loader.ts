/**
 * The signed-in app's chunk, loaded once: App renders it after sign-in, and the sign-in form asks for it
 * as soon as someone starts typing, so it is usually there by the time they submit.
 */
import type * as SignedInModule from './SignedIn.js';

let studio: Promise<typeof SignedInModule> | null = null;
export const loadStudio = () => (studio ??= import('./SignedIn.js'));
