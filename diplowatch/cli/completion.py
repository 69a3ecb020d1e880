"""`diplowatch completion bash|zsh`: a completion script written from the parser itself.

Generated rather than hand-written so that a new command or option completes the day it is
declared; zsh runs the bash function through its `bashcompinit`.
"""

from __future__ import annotations

import argparse
import shlex

from diplowatch.cli.parser import build_parser, subcommands

_FUNCTION = """_diplowatch() {{
    local cur prev command opts
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    command=""
    for word in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
        case "$word" in -*) ;; *) command="$word"; break ;; esac
    done
    case "$command|$prev" in
{choices}
    esac
    case "$command" in
{options}
    esac
    if [[ "$cur" == -* || -z "$command" ]]; then
        COMPREPLY=( $(compgen -W "$opts" -- "$cur") )
    else
        COMPREPLY=( $(compgen -f -- "$cur") )
    fi
}}
complete -o default -F _diplowatch diplowatch
"""


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return [flag for action in parser._actions for flag in action.option_strings]


def script(shell: str) -> str:
    """The completion script for `shell` ("bash" or "zsh")."""
    parser = build_parser()
    commands = subcommands(parser)
    top = [*commands, *_flags(parser)]
    options = [f'        "") opts={shlex.quote(" ".join(top))} ;;']
    choices: list[str] = []
    for name, sub in commands.items():
        options.append(f"        {name}) opts={shlex.quote(' '.join(_flags(sub)))} ;;")
        for action in sub._actions:
            if action.choices and action.option_strings:
                words = shlex.quote(" ".join(map(str, action.choices)))
                for flag in action.option_strings:
                    choices.append(
                        f'        "{name}|{flag}") COMPREPLY=( $(compgen -W {words} -- "$cur") );'
                        " return ;;"
                    )
    body = _FUNCTION.format(choices="\n".join(choices), options="\n".join(options))
    if shell == "zsh":
        return "autoload -U +X bashcompinit && bashcompinit\n" + body
    return body


def cmd_completion(args: argparse.Namespace) -> int:
    print(script(args.shell), end="")
    return 0
