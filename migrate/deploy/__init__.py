"""Stage 4: deploy an app's image to AWS ECS (Fargate), planned first, then applied.

Every AWS resource a service needs is described as a desired state (:mod:`migrate.deploy.resources`),
read through one thin gateway per AWS service (:mod:`migrate.deploy.aws`), compared into a
:class:`~migrate.deploy.plan.Plan` that names what would be created, changed or left alone, and only
then applied. A second deploy with nothing changed plans nothing and calls nothing that mutates.
Everything migrate creates carries the tags of :mod:`migrate.deploy.ownership`, and migrate refuses
to adopt or change a resource of the same name that it does not own.
"""
