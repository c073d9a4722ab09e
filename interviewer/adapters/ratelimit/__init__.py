"""RateLimits adapter: moving windows in memory or in Redis, with the `limits` library."""
