"""Human-readable reports: one table per app (fact, value, evidence)."""

from __future__ import annotations

from migrate.environment import Environment
from migrate.profile import FACT_NAMES, AppProfile, Inspection


def print_inspection(env: Environment, inspection: Inspection) -> None:
    """Print every app of ``inspection`` as a table, then the warnings (to stderr)."""
    from rich.markup import escape
    from rich.table import Table

    console = env.console()
    count = len(inspection.apps)
    console.print(f"[bold]{count} app{'s' if count != 1 else ''}[/bold] in {escape(inspection.root)}")
    for app in inspection.apps:
        table = Table(title=f"{escape(app.name)} ({escape(app.path)})", title_justify="left", show_lines=False)
        table.add_column("fact", style="bold", no_wrap=True)
        table.add_column("value", overflow="fold")
        table.add_column("evidence", style="dim", overflow="fold")
        for name, value, evidence in _rows(app):
            table.add_row(name, escape(value), escape(evidence))
        console.print(table)
    if inspection.warnings:
        errors = env.console(stderr=True)
        for warning in inspection.warnings:
            errors.print(f"[yellow]warning:[/yellow] {escape(warning)}")


def _rows(app: AppProfile) -> list[tuple[str, str, str]]:
    rows = []
    for name in FACT_NAMES:
        fact = app.fact(name)
        value = "unknown" if fact.value is None else str(fact.value)
        if fact.is_default and fact.is_known:
            value += " (default)"
        rows.append((name.replace("_", " "), value, "\n".join(str(e) for e in fact.evidence)))
    for var in app.env:
        flags = ", ".join(f for f, on in (("secret", var.secret), ("required", var.required)) if on)
        value = f"{var.name}" + (f" [{flags}]" if flags else "") + (f" = {var.default}" if var.default else "")
        rows.append(("env", value, "\n".join(str(e) for e in var.evidence[:3]) + _more(len(var.evidence) - 3)))
    for service in app.backing_services:
        rows.append(("service", service.kind, "\n".join(str(e) for e in service.evidence[:3]) + _more(len(service.evidence) - 3)))
    for service in app.optional_services:
        value = f"{service.kind} (optional: {service.enable})" if service.enable else f"{service.kind} (optional)"
        rows.append(("service", value, "\n".join(str(e) for e in service.evidence[:3]) + _more(len(service.evidence) - 3)))
    for process in app.processes:
        rows.append((f"process {process.name}", process.command, "\n".join(str(e) for e in process.evidence)))
    return rows


def _more(count: int) -> str:
    return f"\n(+{count} more)" if count > 0 else ""
