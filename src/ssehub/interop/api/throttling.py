"""Throttles whose rates are read when a request comes, not when the module is imported.

DRF's stock throttles copy ``DEFAULT_THROTTLE_RATES`` into a class attribute at import time,
so a deployment (or a test) that changes the setting later would be silently ignored.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle


class _LiveRates:
    scope: str

    def get_rate(self) -> str | None:
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class AnonThrottle(_LiveRates, AnonRateThrottle):
    pass


class UserThrottle(_LiveRates, UserRateThrottle):
    pass
