/** The CLI's environment: where Darkroom is and the key to use; flags override both. */
export interface CliEnv {
  /** DARKROOM_URL. Default http://127.0.0.1:3000. */
  url: string;
  /** DARKROOM_API_KEY. */
  apiKey: string | undefined;
}

export function readCliEnv(env: Record<string, string | undefined> = process.env): CliEnv {
  return { url: env.DARKROOM_URL || 'http://127.0.0.1:3000', apiKey: env.DARKROOM_API_KEY || undefined };
}
