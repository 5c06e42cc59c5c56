"""The shell's state and loop: one client (one server session, so DECLAREd variables last),
the catalog for completion, and the prompt with its history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from rich.console import Console
from rich.text import Text

from shift_search.cli.shell import display
from shift_search.cli.shell.catalog import Catalog, fetch_or_empty
from shift_search.cli.shell.completion import ShiftCompleter
from shift_search.cli.shell.input import is_complete, shell_command
from shift_search.cli.shell.running import run_script, use_target
from shift_search.client import Client, QueryError

PROMPT = "shift> "
CONTINUATION = "   ...> "


class Shell:
    def __init__(self, connect: Callable[[str], Client], history: Path) -> None:
        self._connect = connect
        self._history = history
        self.out = Console(highlight=False)
        self.err = Console(stderr=True, highlight=False)
        self.client: Client | None = None
        self.catalog = Catalog()

    def loop(self, address: str, help_text: str) -> int:
        self.use(address)
        prompt: PromptSession[str] = PromptSession(
            history=FileHistory(str(self._history)),
            completer=ShiftCompleter(lambda: self.catalog),
            multiline=True,
            key_bindings=_enter_runs_whole_statements(),
            prompt_continuation=lambda width, line, wrapped: CONTINUATION,
            complete_while_typing=False,
        )
        while True:
            try:
                text = prompt.prompt(PROMPT)
            except KeyboardInterrupt:
                continue  # Ctrl-C at the prompt drops what was typed
            except EOFError:
                break
            match shell_command(text):
                case "quit" | "exit" | "\\q":
                    break
                case "help" | "\\?":
                    self.out.print(Text(help_text))
                case "refresh":
                    self.refresh(announce=True)
                case _ if text.strip():
                    self.execute(text)
        self.close()
        return 0

    def execute(self, text: str) -> None:
        target = use_target(text)
        if target is not None:
            self.use(target)
            return
        assert self.client is not None
        try:
            run_script(self.client, text, self.out, self.err)
        except QueryError as err:
            display.error(self.err, err)
        except KeyboardInterrupt:
            self.err.print(Text("cancelled", style="yellow"))
        self.refresh()  # REGISTER, DECLARE and FINETUNE add names to complete

    def use(self, address: str) -> None:
        if self.client is not None:
            self.client.close()
        self.client = self._connect(address)
        self.refresh(announce=True)

    def refresh(self, announce: bool = False) -> None:
        assert self.client is not None
        catalog, problem = fetch_or_empty(self.client)
        if problem is None:
            self.catalog = catalog
        if not announce:
            return
        if problem is not None:
            display.error(self.err, problem)
        else:
            self.err.print(
                Text(
                    f"SHiFT at {self.client.address}: {catalog.size}. End statements with `;`; "
                    "`help` for help, Ctrl-D to leave.",
                    style="dim",
                )
            )

    def close(self) -> None:
        if self.client is not None:
            self.client.close()


def _enter_runs_whole_statements() -> KeyBindings:
    """Enter runs the text once it is a whole statement (or a shell command); before that it
    starts a new line. With the completion menu open, Enter takes the chosen completion."""
    bindings = KeyBindings()

    @bindings.add("enter")
    def _(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        state = buffer.complete_state
        if state is not None and state.current_completion is not None:
            buffer.apply_completion(state.current_completion)
        elif is_complete(buffer.text):
            buffer.validate_and_handle()
        else:
            buffer.insert_text("\n")

    return bindings
