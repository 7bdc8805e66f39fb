"""Stage 3: build and run the generated containers locally.

The Docker engine is reached only through :mod:`migrate.containers.engine`
(the Docker SDK, imported lazily) and compose through
:mod:`migrate.containers.compose` (the compose v2 binary). Both translate
their failures into :class:`~migrate.errors.UserError` with a next step.
"""
