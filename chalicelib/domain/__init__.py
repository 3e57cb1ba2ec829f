"""Plain data and rules: states, transitions, windows. No boto3 here."""
