"""Mounts each API version under its own namespace: /api/v1/ (filled by the API issue)."""

urlpatterns = []
