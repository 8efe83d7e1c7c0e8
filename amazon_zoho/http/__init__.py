"""HTTP plumbing shared by the Amazon and Zoho clients: sessions, retries, error types."""
