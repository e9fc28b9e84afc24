"""Version 2 streaming exports: version 1's, writing the interchange format with version 2's names
(``factbase.interchange.respelled``: a source's ``document_url``, an outlet's ``website``; CSV columns
named by their path, ``speaker.name``). ``import_claims`` reads both spellings."""

from __future__ import annotations

from api.v1 import exports as v1
from api.v1.exports import _export_schema


class ClaimExportNDJSONView(v1.ClaimExportNDJSONView):
    spelling = "v2"

    @_export_schema("ndjson", "v2")
    def get(self, request, *args, **kwargs):
        return super(v1.ClaimExportNDJSONView, self).get(request, *args, **kwargs)


class ClaimExportJSONView(v1.ClaimExportJSONView):
    spelling = "v2"

    @_export_schema("json", "v2")
    def get(self, request, *args, **kwargs):
        return super(v1.ClaimExportJSONView, self).get(request, *args, **kwargs)


class ClaimExportCSVView(v1.ClaimExportCSVView):
    spelling = "v2"

    @_export_schema("csv", "v2")
    def get(self, request, *args, **kwargs):
        return super(v1.ClaimExportCSVView, self).get(request, *args, **kwargs)


#: version 1's export view -> version 2's
EXPORTS = {v1.ClaimExportNDJSONView: ClaimExportNDJSONView, v1.ClaimExportJSONView: ClaimExportJSONView,
           v1.ClaimExportCSVView: ClaimExportCSVView}
