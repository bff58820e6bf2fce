"""The real ASGI app plus static files, for the browser test's Daphne.

Daphne serves no static files and the foundation's asgi.py does not either
(on this branch), so the browser test wraps the app with Django's own handler.
"""

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

from asgi import application as _application

application = ASGIStaticFilesHandler(_application)
