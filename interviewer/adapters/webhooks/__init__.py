"""WebhookPoster adapter: signed deliveries over HTTP (httpx), to checked public addresses."""
