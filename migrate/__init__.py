"""migrate: from "runs on a server" to containers, dev containers and AWS ECS.

The package is a pipeline; each stage is a sub-package that only depends on the
ones before it::

    inspect/   source tree  -> Inspection (typed, evidence-carrying profiles)
    cli/       thin command layer over the stages, with lazy imports
"""

__version__ = "0.1.0"
