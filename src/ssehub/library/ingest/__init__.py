"""The ingestion pipeline: inputs → detect → extract → normalise → language → dedup → store.

One service (:func:`ssehub.library.ingest.pipeline.ingest`) used by the CLI, the upload form,
the admin and the harvester.
"""
