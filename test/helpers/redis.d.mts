// Types of redis.mjs, for the TypeScript tests.
export const redisServer: string
export interface StartedRedis {
  port: number
  /** redis://[:password@]127.0.0.1:port */
  url: string
  stop(): Promise<void>
}
export function startRedis(opts?: { password?: string }): Promise<StartedRedis>
