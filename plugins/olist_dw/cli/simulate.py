"""`olist-dw simulate` (fast-forward / reset the simulated shop) and `olist-dw deliver` (the local delivery)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "simulate",
        help="run simulated ticks now (fast-forward), set the speed factor, or reseed inventory and clock",
    )
    parser.add_argument("--ticks", type=int, default=0, help="ticks to run back to back (default 0)")
    parser.add_argument("--speed", type=float, default=None, help="new speed factor, kept in the clock record")
    parser.add_argument("--reset", action="store_true", help="reseed inventory from the products file, reset clock")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run_simulate)

    deliver = subparsers.add_parser(
        "deliver", help="deliver the local stream to bronze-sim/ Parquet (what the olist_sim_delivery DAG runs)"
    )
    mode = deliver.add_mutually_exclusive_group()
    mode.add_argument("--drain", action="store_true", help="deliver everything in the log now, then exit")
    mode.add_argument("--seconds", type=float, default=None, help="keep delivering this long (default: forever)")
    mode.add_argument(
        "--from-sequence",
        type=int,
        default=None,
        metavar="N",
        help="replay: deliver sequences N..the delivery checkpoint again, into today's arrival partition "
        "(the realtime models keep each event once; the live checkpoint does not move), then exit",
    )
    deliver.add_argument(
        "--to-sequence",
        type=int,
        default=None,
        metavar="M",
        help="with --from-sequence: stop at M (default: the checkpoint)",
    )
    deliver.set_defaults(func=run_deliver)


def run_simulate(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from olist_dw.errors import UserFacingError
    from olist_dw.settings import get_settings
    from olist_dw.sim import reset
    from olist_dw.sim.runs import run_ticks
    from olist_dw.targets import get_target

    settings = get_settings()
    target = get_target(settings)
    if args.ticks < 0:
        raise UserFacingError(f"--ticks must be 0 or more (got {args.ticks})")
    if args.speed is not None and args.speed <= 0:
        raise UserFacingError(f"--speed must be positive (got {args.speed})")
    if args.reset or args.ticks:  # seeding reads the products file: generated first on a fresh OLIST_HOME
        from olist_dw.source_data import ensure_source_data

        ensure_source_data(settings)
    store = target.state_store()
    if args.reset:
        inventory = reset(store, settings, speed_factor=args.speed)
        units = sum(item.stock_level for item in inventory)
        config = store.load_config()
        print(
            f"simulation reset: {len(inventory):,} products, {units:,} units in stock, "
            f"clock at {config.simulated_time}, speed x{config.speed_factor:g}"
        )
    elif args.speed is not None and not args.ticks:
        store.set_speed_factor(args.speed)
        print(f"speed factor set to x{args.speed:g}")
    if args.ticks:
        with tqdm(total=args.ticks, unit="tick", disable=args.quiet) as bar:

            def progress(result) -> None:
                bar.update(1)
                bar.set_postfix_str(f"simulated {result.window_end:%Y-%m-%d %H:%M}", refresh=False)

            totals = run_ticks(
                store,
                target.stream(),
                args.ticks,
                settings,
                seed_on_first_tick=target.seeds_simulation_on_first_tick,
                speed_factor=args.speed,
                on_tick=progress,
            )
        config = store.load_config()
        print(
            f"{totals['ticks']} ticks: {totals['accepted']:,} orders accepted ({totals['items_sold']:,} items), "
            f"{totals['rejected']:,} rejected for lack of stock; clock at {config.simulated_time}"
        )
    return 0


def run_deliver(args: argparse.Namespace) -> int:
    from olist_dw.errors import UserFacingError
    from olist_dw.settings import get_settings
    from olist_dw.sim.dead_letter import BRONZE_SIM_ERRORS
    from olist_dw.targets import get_target

    settings = get_settings()
    delivery = get_target(settings).delivery()
    if args.from_sequence is not None:
        files = delivery.replay(args.from_sequence, args.to_sequence)
        checkpoint = delivery.log.checkpoint(delivery.consumer)
        print(
            f"replayed sequences {files[0].first_seq}-{files[-1].last_seq}: {sum(f.records for f in files):,} "
            f"orders in {len(files)} file(s) under {files[0].path.parent}; the delivery checkpoint stays at "
            f"{checkpoint}"
        )
    else:
        if args.to_sequence is not None:
            raise UserFacingError("--to-sequence goes with --from-sequence (a replay)")
        with delivery:
            files = delivery.drain() if args.drain else delivery.run(max_seconds=args.seconds)
        print(
            f"delivered {sum(f.records for f in files):,} orders in {len(files)} file(s) under "
            f"{settings.lake_dir / 'bronze-sim'}"
        )
    dead_lettered = sum(f.dead_lettered for f in files)
    if dead_lettered:
        print(f"{dead_lettered:,} bad event(s) dead-lettered under {settings.lake_dir / BRONZE_SIM_ERRORS}")
    return 0
