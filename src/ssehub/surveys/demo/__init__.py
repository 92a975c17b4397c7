"""The Task Force survey shipped with the hub, and its loading by ``ssehub demo``."""
