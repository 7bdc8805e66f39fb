"""Zero-downtime cutover: a state machine over a router and a fleet, free of any SDK.

:mod:`~migrate.cutover.ports` says what a target implements (router, fleet, gates),
:mod:`~migrate.cutover.engine` drives them (blue-green, canary, rollback, abort),
:mod:`~migrate.cutover.state` reads where an interrupted cutover stands, and
:mod:`~migrate.cutover.events` is what it reports and how it ends.
"""
