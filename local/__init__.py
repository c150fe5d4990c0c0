"""The local runner: the real handlers behind a small HTTP server, DynamoDB in moto's server mode."""
