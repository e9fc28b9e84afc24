from rest_framework import renderers


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """The browsable API with its raw JSON forms only.

    The HTML forms would list every actor, source and tag as a choice (a query each, on every page
    view) and cannot show the brief objects a read embeds.
    """

    def get_rendered_html_form(self, data, view, method, request):
        return None

    def get_filter_form(self, data, view, request):
        return None
