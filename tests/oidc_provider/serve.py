"""Starts the test OpenID Connect provider: prints its port, then serves.

Usage: serve.py DATA_DIR REDIRECT_URI POST_LOGOUT_URI. Runs with this folder,
not the repository root, on sys.path: collab's `requests` app must not shadow
anything the provider imports.
"""

import os
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server


class Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        pass


def main():
    data_dir, redirect_uri, post_logout_uri = sys.argv[1:4]
    application = []
    server = make_server("127.0.0.1", 0, lambda env, start: application[0](env, start),
                         server_class=Server, handler_class=QuietHandler)
    port = server.server_port
    os.environ["PROVIDER_DATA_DIR"] = data_dir
    os.environ["PROVIDER_SITE_URL"] = f"http://127.0.0.1:{port}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "provider_settings"
    import django
    from django.core.wsgi import get_wsgi_application

    django.setup()
    from provider_seed import seed

    seed(redirect_uri, post_logout_uri)
    application.append(get_wsgi_application())
    print(port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
