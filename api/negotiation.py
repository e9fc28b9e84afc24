"""Content negotiation: DRF's, but a ``?format=`` that the endpoint does not serve is bad input.

DRF answers such a request 404, as if the resource did not exist; the resource does exist, and the
client named a format it cannot have. So it is a 400 that names the parameter and the formats the
endpoint serves, like any other bad query parameter (``{"format": ["..."]}``). A format the
``Accept`` header asks for that no renderer serves stays DRF's 406.

Either refusal is answered in JSON: DRF would render it with the endpoint's first renderer (the
schema's is YAML).
"""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.negotiation import DefaultContentNegotiation


class ContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except exceptions.APIException:
            fallback = next((renderer for renderer in renderers if renderer.format == "json"), renderers[0])
            request.accepted_renderer, request.accepted_media_type = fallback, fallback.media_type
            raise

    def filter_renderers(self, renderers, format):
        chosen = [renderer for renderer in renderers if renderer.format == format]
        if not chosen:
            served = ", ".join(dict.fromkeys(renderer.format for renderer in renderers))
            raise exceptions.ValidationError(
                {"format": [f"“{format}” is not a format of this endpoint: choose from {served}."]}
            )
        return chosen
