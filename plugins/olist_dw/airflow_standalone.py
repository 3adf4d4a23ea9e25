"""`olist-dw airflow standalone` (what `make airflow` runs): Airflow's own standalone command, with each
component started as the project runs it.

`airflow standalone` starts the scheduler, the dag-processor, the API server and the triggerer as `airflow ...`
subprocesses and generates the admin password once. Two of them would also start a log server on every
interface (Airflow has no host setting for those), so each component's command line goes through
`airflow_local.component_args`: the log servers are off unless OLIST_BIND_HOST opens every interface, and the
API server listens on OLIST_BIND_HOST (`AIRFLOW__API__HOST` in `airflow_local.airflow_env`).

Run as `python -m olist_dw.airflow_standalone` in the local Airflow environment (`airflow_local.airflow_env`).
"""

from __future__ import annotations

import threading

from airflow.cli.commands import standalone_command

from olist_dw.airflow_local import component_args
from olist_dw.settings import get_settings

# How long a component may take to stop on the Ctrl+C it got from the terminal before it is sent SIGTERM.
STOP_GRACE_SECONDS = 15.0


class ProjectSubCommand(standalone_command.SubCommand):
    """One component of the standalone command, its arguments as `component_args` gives them."""

    def __init__(self, parent, name: str, command: list[str], env: dict[str, str]):
        super().__init__(parent, name, component_args(command, get_settings()), env)

    def stop(self):
        """SIGTERM the component only if it is still running `STOP_GRACE_SECONDS` after the stop began.

        A terminal's Ctrl+C reaches every component at once, and Airflow's standalone command then sends each a
        SIGTERM as well. A scheduler takes each signal as `sys.exit()` wherever it is: the second one, a few
        milliseconds later, interrupted its LocalExecutor's shutdown before every idle worker got its stop
        message, and the scheduler then waited for those workers forever. A component that got no Ctrl+C (the
        supervisor alone was interrupted) still gets its SIGTERM, later."""
        process = self.process
        if process is None or process.poll() is not None:
            return

        def terminate_if_running() -> None:
            if process.poll() is None:
                process.terminate()

        timer = threading.Timer(STOP_GRACE_SECONDS, terminate_if_running)
        timer.daemon = True  # the supervisor exits as soon as every component has
        timer.start()


def main() -> None:
    from airflow.configuration import write_default_airflow_configuration_if_needed

    write_default_airflow_configuration_if_needed()  # as the `airflow` entry point does before a command
    # StandaloneCommand.run() builds its components as `SubCommand(...)`, looked up in its module.
    standalone_command.SubCommand = ProjectSubCommand  # type: ignore[misc]
    standalone_command.StandaloneCommand().run()


if __name__ == "__main__":
    main()
