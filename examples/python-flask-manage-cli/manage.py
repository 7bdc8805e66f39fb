"""The project's command line: Flask's, with the app's own commands (`python manage.py routes`)."""

from flask.cli import FlaskGroup

from notes import create_app

app = create_app()
cli = FlaskGroup(create_app=lambda: app)


if __name__ == "__main__":
    cli()
