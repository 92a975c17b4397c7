"""OAI-PMH 2.0 data provider over the Item model (verbs, formats, sets, cursor tokens)."""
