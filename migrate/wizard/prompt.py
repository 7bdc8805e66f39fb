"""Compiles a :class:`Question` to questionary and asks it: the one module that imports questionary."""

from __future__ import annotations

from typing import Any

from migrate.wizard.questions import Question


class Asker:
    """Asks questions on a terminal; ``input``/``output`` are prompt_toolkit's (a pipe input in tests)."""

    def __init__(self, input: Any = None, output: Any = None) -> None:
        self.input = input
        self.output = output

    def ask(self, question: Question) -> Any:
        """The answer to ``question``; Ctrl-C raises KeyboardInterrupt (questionary's ``unsafe_ask``)."""
        import questionary

        io = {"input": self.input, "output": self.output}
        if question.kind == "confirm":
            prompt = questionary.confirm(question.message, default=bool(question.default), **io)
        elif question.kind == "select":
            prompt = questionary.select(question.message, choices=list(question.choices), default=question.default,
                                        instruction=question.help, **io)
        elif question.kind == "checkbox":
            choices = [questionary.Choice(c, checked=c in question.default) for c in question.choices]
            prompt = questionary.checkbox(question.message, choices=choices, instruction=question.help, **io)
        else:
            check = question.validate
            prompt = questionary.text(question.message, default=str(question.default or ""), instruction=question.help,
                                      validate=(lambda v: check(v) or True) if check else None, **io)
        return prompt.unsafe_ask()
