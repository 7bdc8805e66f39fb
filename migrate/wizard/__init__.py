"""The wizard: an interactive layer beside ``migrate.cli`` that asks, then calls the same core.

``questions`` declares every question once, as data; ``prompt`` is the only module that imports
questionary; ``flow`` resolves each answer (flag, then migrate.toml, then the detected default, then
the prompt) and calls :func:`migrate.init.plan_init` / :func:`migrate.init.apply_init`; ``answers``
writes the answers back to migrate.toml, keeping the user's comments. After the write step the flow
offers the next one (build, dev, the local cutover rehearsal, the deploy) and runs it as its command would.
"""
