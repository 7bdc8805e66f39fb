"""WSGI entry point: gunicorn looks for ``application`` in ``myapp.wsgi``."""

from myapp import create_app

application = create_app()
