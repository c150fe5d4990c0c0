"""The Cognito pre-token-generation trigger of the federated user pools (deployed from this directory)."""
