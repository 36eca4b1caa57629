/** The part of autocannon's API the benchmark uses (the package ships no types). */
declare module 'autocannon' {
  interface AutocannonResult {
    requests: { total: number; average: number };
    latency: { p50: number; p99: number; average: number };
    duration: number;
    non2xx: number;
    errors: number;
    timeouts: number;
    [key: string]: unknown;
  }
  function autocannon(options: Record<string, unknown>): Promise<AutocannonResult>;
  export = autocannon;
}
