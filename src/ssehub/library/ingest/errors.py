class IngestError(Exception):
    """An input that cannot be ingested; the message is shown to the user as the reason."""
