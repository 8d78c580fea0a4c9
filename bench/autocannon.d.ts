// The part of autocannon 9's programmatic API the benchmark uses (the package ships no types).
declare module 'autocannon' {
  interface Histogram {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p97_5: number;
    p99: number;
    p99_9: number;
    [percentile: string]: number;
  }

  interface Result {
    title?: string;
    url: string;
    connections: number;
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    '2xx': number;
    '3xx': number;
    '4xx': number;
    '5xx': number;
    statusCodeStats: Record<string, { count: number }>;
    latency: Histogram & { totalCount: number };
    requests: Histogram & { sent: number };
    throughput: Histogram;
  }

  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    amount?: number;
    timeout?: number;
    pipelining?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    title?: string;
    workers?: number;
    excludeErrorStats?: boolean;
    /** Replaces `[<id>]` in paths and bodies with a new id for every request. */
    idReplacement?: boolean;
    /** Each connection sends these in turn, over and over. */
    requests?: {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      /** Called before each request with the connection's own context; returns the request to send. */
      setupRequest?: (request: { path?: string }, context: Record<string, unknown>) => { path?: string };
    }[];
  }

  interface Instance extends Promise<Result> {
    stop(): void;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
}
