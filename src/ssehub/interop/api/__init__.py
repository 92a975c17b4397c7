"""The REST API (Django REST framework, OpenAPI 3 by drf-spectacular)."""
