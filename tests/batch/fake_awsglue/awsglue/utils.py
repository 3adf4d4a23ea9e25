"""getResolvedOptions as Glue's: each named option is required, given as `--name value`."""

from __future__ import annotations


def getResolvedOptions(args: list[str], options: list[str]) -> dict[str, str]:  # noqa: N802 - Glue's name
    resolved = {}
    for name in options:
        flag = f"--{name}"
        if flag not in args[:-1]:
            raise SystemExit(f"error: the following arguments are required: {flag}")
        resolved[name] = args[args.index(flag) + 1]
    return resolved
