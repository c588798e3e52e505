from django.utils.cache import add_never_cache_headers, patch_cache_control


class SecurityHeadersMiddleware:
    """Headers Django does not set itself.

    Every dynamic page may carry report content or a receipt, so nothing but
    static assets may be stored by a browser or a proxy.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault(
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
        )
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            add_never_cache_headers(response)
            patch_cache_control(response, no_store=True, private=True)
        return response
