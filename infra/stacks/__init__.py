"""The LSC training platform's AWS deployment, one stack per stage (see docs/deploy.md)."""
