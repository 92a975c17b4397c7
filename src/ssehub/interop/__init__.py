"""Interoperability out: OAI-PMH provider, REST API, feeds, embedded metadata and exports.

Everything here reads the Item spine through the library's and search's services; writes
(REST API) go through ``ssehub.library.services`` so permissions hold in one place.
"""
