"""Survey benchmarks (issue 6): import and render, concurrent submissions, big exports.

    .venv/bin/python bench/bench_surveys.py            # full sizes (60 s load, 100,000 export)
    .venv/bin/python bench/bench_surveys.py --quick    # 10 s load, 10,000 export
    BENCH_DATABASE_URL=postgres://ssehub:ssehub@127.0.0.1:5432/ssehub \\
        .venv/bin/python bench/bench_surveys.py        # the load test on PostgreSQL too

Sections:

- import: every XLSForm of /work/shared/data/forms (or BENCH_FORMS_DIR) imported (validated
  with pyxform and stored) and its web form rendered, in ms; the invalid one is rejected and
  its message recorded.
- submit: ``ssehub run`` serves a fresh hub (SQLite in WAL mode; PostgreSQL when
  BENCH_DATABASE_URL is set, in a database of its own that is created and dropped); 50
  respondents (threads, one cookie jar each) submit the Task Force survey through its open
  link, a complete valid submission each time, for 60 s. Afterwards the responses stored are
  counted: every 302 must be one stored response (0 lost), every other status is an error.
- export: 100,000 generated responses (two programmes each: 200,000 repeat rows) exported
  by ``ssehub survey export`` to CSV, XLSX (write-only, all sheets) and JSON, each in its own
  process: seconds and peak RSS (VmHWM), next to the peak RSS of the same process doing no
  export.

Results: bench/out/surveys.json and bench/out/surveys.md. Servers and workers run in their
own process group with a temporary data folder, on 127.0.0.1 only. Not a test: no asserts.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
PY = str(ROOT / ".venv" / "bin" / "python")
SSEHUB = str(ROOT / ".venv" / "bin" / "ssehub")
FORMS = Path(os.environ.get("BENCH_FORMS_DIR", "/work/shared/data/forms"))
sys.path.insert(0, str(HERE))

from server import HOST, Server, free_port  # noqa: E402

SURVEY = "task-force-bench"
RESPONDENTS = 50


# --------------------------------------------------------------------------- workers
# Each runs in a subprocess whose environment names its data folder / database.

def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ssehub.settings")
    import django

    django.setup()


def worker_import(forms_dir: str) -> dict:
    _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ssehub.surveys import languages
    from ssehub.surveys.importer import import_form
    from ssehub.surveys.problems import FormInvalid
    from ssehub.surveys.webform import render

    rows = []
    for path in sorted(Path(forms_dir).iterdir()):
        if path.suffix.lower() not in {".xlsx", ".xls", ".csv"}:
            continue
        data = path.read_bytes()
        t0 = time.perf_counter()
        try:
            result = import_form(data, path.name, re.sub(r"[^\w-]", "-", path.stem)[:90])
        except FormInvalid as exc:
            rows.append({"form": path.name, "ok": False,
                         "import_ms": (time.perf_counter() - t0) * 1000,
                         "message": str(exc.errors[0]) if exc.errors else str(exc)})
            continue
        import_ms = (time.perf_counter() - t0) * 1000
        form = result.version.form()
        language = languages.choose(form)
        t1 = time.perf_counter()
        for _ in range(5):
            html = render(form, language)
        render_ms = (time.perf_counter() - t1) * 1000 / 5
        rows.append({"form": path.name, "ok": True, "import_ms": import_ms,
                     "render_ms": render_ms, "questions": len(form.questions()),
                     "warnings": len(result.version.warnings), "html_kb": len(html) / 1024})
    return {"forms": rows}


def worker_setup_submit() -> dict:
    _django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from ssehub.surveys import services
    from ssehub.surveys.demo.build_form import FORM
    from ssehub.surveys.importer import import_form

    survey = import_form(FORM.read_bytes(), FORM.name, SURVEY).survey
    return {"open_key": services.enable_open_link(survey)}


def worker_count() -> dict:
    _django()
    from ssehub.surveys.models import Answer, Response

    return {"responses": Response.objects.filter(survey__name=SURVEY).count(),
            "complete": Response.objects.filter(survey__name=SURVEY,
                                                status="complete").count(),
            "answers": Answer.objects.filter(response__survey__name=SURVEY).count()}


def _document(rng: random.Random, i: int) -> dict:
    sdgs = sorted(rng.sample(range(1, 18), rng.randint(1, 4)))
    return {
        "start": "2026-11-01T10:00:00+00:00", "end": "2026-11-01T10:20:00+00:00",
        "org_name": f"Organisation {i}", "tf_role": rng.choice(["member", "observer"]),
        "org_type": rng.choice(["un", "intergov", "network", "research"]),
        "sse_unit": "yes", "sse_staff": rng.randint(0, 300),
        "activity_types": rng.sample(["research", "policy", "capacity", "finance"], 2),
        "n_programmes": 2,
        "programme": [{"prog_name": f"Programme {i}-{k}", "prog_sdgs": [f"sdg{s}" for s in sdgs],
                       "prog_regions": ["africa"], "prog_beneficiaries": rng.randint(0, 10000),
                       "prog_budget": float(rng.randint(0, 10**6))} for k in range(2)],
        "beneficiary_groups": ["women", "youth"], "beneficiaries_total": rng.randint(0, 10**5),
        "invests": "no", "sdgs": [f"sdg{s}" for s in sdgs], "regions": ["africa", "europe"],
        "contact_name": "Focal point", "contact_email": f"focal{i}@example.org",
        "comments": rng.choice(["Decent work and cooperatives", "Finance for the SSE",
                                "Gender equality in cooperatives", ""]),
    }


def worker_setup_export(count: int) -> dict:
    _django()
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)
    from ssehub.surveys.demo.build_form import FORM
    from ssehub.surveys.importer import import_form
    from ssehub.surveys.models import Response

    result = import_form(FORM.read_bytes(), FORM.name, SURVEY)
    rng = random.Random(6)
    t0 = time.perf_counter()
    batch = []
    for i in range(count):
        batch.append(Response(survey=result.survey, version=result.version,
                              status="complete", language="English (en)",
                              data=_document(rng, i), revision=1))
        if len(batch) == 5000:
            with transaction.atomic():
                Response.objects.bulk_create(batch)
            batch = []
    if batch:
        Response.objects.bulk_create(batch)
    return {"generated": count, "generate_s": time.perf_counter() - t0}


def worker_export(fmt: str, output: str) -> dict:
    import resource

    _django()
    from django.core.management import call_command

    t0 = time.perf_counter()
    if fmt != "none":
        call_command("survey", "export", SURVEY, "--format", fmt, "-o", output,
                     stdout=open(os.devnull, "w"))  # noqa: SIM115
    else:
        from ssehub.surveys.models import Response

        Response.objects.filter(pk=1).exists()
    seconds = time.perf_counter() - t0
    return {"format": fmt, "seconds": seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "bytes": Path(output).stat().st_size if fmt != "none" else 0}


def run_worker(env: dict, *args: str) -> dict:
    proc = subprocess.run([PY, __file__, "--worker", *args], env=env, capture_output=True,
                          text=True, cwd=ROOT, start_new_session=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- load test

SUBMISSION = {
    "org_name": "Benchmark organisation", "tf_role": "member", "org_type": "network",
    "sse_unit": "yes", "sse_staff": "12", "activity_types": ["research", "policy"],
    "n_programmes": "2",
    "programme:0:prog_name": "Cooperative development", "programme:0:prog_sdgs": ["sdg8"],
    "programme:0:prog_regions": ["africa"], "programme:0:prog_beneficiaries": "1200",
    "programme:0:prog_budget": "250000",
    "programme:1:prog_name": "Solidarity finance", "programme:1:prog_sdgs": ["sdg1", "sdg10"],
    "programme:1:prog_regions": ["europe"], "programme:1:prog_beneficiaries": "300",
    "programme:1:prog_budget": "90000",
    "beneficiary_groups": ["women", "youth"], "beneficiaries_total": "1500",
    "invests": "yes", "investment_usd": "500000", "instruments": ["loans", "grants"],
    "sdgs": ["sdg1", "sdg8", "sdg10"], "regions": ["africa", "europe"],
    "contact_name": "Focal point", "contact_email": "focal@example.org",
    "comments": "Benchmark submission", "action": "submit",
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def respondent(port: int, key: str, stop: float, tally: dict, lock: threading.Lock) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    url = f"http://{HOST}:{port}/surveys/open/{key}/"
    ok = errors = 0
    latencies = []
    statuses: dict[str, int] = {}
    try:
        with opener.open(url, timeout=60) as page:  # noqa: S310 - loopback only
            page.read()
        token = next(c.value for c in jar if c.name == "csrftoken")
    except Exception as exc:  # noqa: BLE001 - counted, reported
        with lock:
            tally["errors"] += 1
            tally["statuses"][type(exc).__name__] = tally["statuses"].get(
                type(exc).__name__, 0) + 1
        return
    body = urllib.parse.urlencode({**SUBMISSION, "csrfmiddlewaretoken": token},
                                  doseq=True).encode()
    while time.perf_counter() < stop:
        request = urllib.request.Request(url, data=body, headers={
            "Referer": url, "Content-Type": "application/x-www-form-urlencoded"})
        t0 = time.perf_counter()
        try:
            with opener.open(request, timeout=60) as answer:  # noqa: S310
                status = answer.status
                answer.read()
        except urllib.error.HTTPError as exc:
            status = exc.code
        except Exception as exc:  # noqa: BLE001
            status = type(exc).__name__
        latencies.append(time.perf_counter() - t0)
        if status == 302:
            ok += 1
        else:
            errors += 1
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    with lock:
        tally["ok"] += ok
        tally["errors"] += errors
        tally["latencies"].extend(latencies)
        for k, v in statuses.items():
            tally["statuses"][k] = tally["statuses"].get(k, 0) + v


def submit_bench(env: dict, seconds: float, workdir: Path, label: str) -> dict:
    setup = run_worker(env, "setup-submit")
    port = free_port()
    run_env = {**env, "SSEHUB_SCHEDULER": "0", "SSEHUB_SEARCH_SEMANTIC": "0"}
    log = OUT / f"surveys-server-{label.split()[0].lower()}.log"
    server = Server([SSEHUB, "run", "--no-demo", "--port", str(port)], port, run_env,
                    ROOT, log)
    with server:
        started, status = server.wait_for_200("/surveys/open/" + setup["open_key"] + "/")
        if started is None:
            return {"error": f"server did not start (last status {status})"}
        tally = {"ok": 0, "errors": 0, "latencies": [], "statuses": {}}
        lock = threading.Lock()
        stop = time.perf_counter() + seconds
        threads = [threading.Thread(target=respondent,
                                    args=(port, setup["open_key"], stop, tally, lock))
                   for _ in range(RESPONDENTS)]
        t0 = time.perf_counter()
        load_before = os.getloadavg()[0]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - t0
        load_after = os.getloadavg()[0]
        rss = server.status_kb("VmHWM")
    counted = run_worker(env, "count")
    lat = sorted(tally["latencies"]) or [0.0]
    return {"database": label, "respondents": RESPONDENTS, "seconds": elapsed,
            "ok": tally["ok"], "errors": tally["errors"], "statuses": tally["statuses"],
            "per_second": tally["ok"] / elapsed, "p50_ms": lat[len(lat) // 2] * 1000,
            "p95_ms": lat[int(len(lat) * 0.95)] * 1000, "stored": counted["responses"],
            "lost": tally["ok"] - counted["responses"], "answers": counted["answers"],
            "server_peak_rss_mb": (rss or 0) / 1024, "load_1min": [load_before, load_after],
            "server_log": str(log.relative_to(ROOT))}


def _postgres_env(base: dict, url: str) -> tuple[dict, str, callable]:
    """An environment pointing at a fresh database ssehub_bench_surveys on that server."""
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = "ssehub_bench_surveys"
    admin = parts._replace(path="/postgres").geturl()

    def run(sql: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)

    run(f"DROP DATABASE IF EXISTS {name}")
    run(f"CREATE DATABASE {name}")
    env = {**base, "DATABASE_URL": parts._replace(path="/" + name).geturl()}
    return env, name, lambda: run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --------------------------------------------------------------------------- report

def markdown(results: dict, command: str) -> str:
    lines = ["# Survey benchmarks", "", f"Command: `{command}`", "",
             f"Machine: {os.cpu_count()} CPU(s); {results['when']}.", "",
             "## Import and render of the example forms", "",
             "| form | ok | questions | import ms | render ms | note |",
             "|---|---|---|---|---|---|"]
    for row in results["import"]["forms"]:
        if row["ok"]:
            lines.append(f"| {row['form']} | yes | {row['questions']} | "
                         f"{row['import_ms']:.0f} | {row['render_ms']:.1f} | "
                         f"{row['warnings']} warning(s) |")
        else:
            lines.append(f"| {row['form']} | rejected | | {row['import_ms']:.0f} | | "
                         f"{row['message'].replace('|', '/')} |")
    lines += ["", "## Submissions (50 concurrent respondents, open link, complete valid "
              "submissions)", "",
              "| database | seconds | submissions | per second | p50 ms | p95 ms | errors | "
              "stored | lost | server peak RSS MB | load (1 min) before/after |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for row in results["submit"]:
        if "error" in row:
            lines.append(f"| {row.get('database', '?')} | {row['error']} |")
            continue
        lines.append(f"| {row['database']} | {row['seconds']:.0f} | {row['ok']} | "
                     f"{row['per_second']:.1f} | {row['p50_ms']:.0f} | {row['p95_ms']:.0f} | "
                     f"{row['errors']} | {row['stored']} | {row['lost']} | "
                     f"{row['server_peak_rss_mb']:.0f} | "
                     f"{row['load_1min'][0]:.1f} / {row['load_1min'][1]:.1f} |")
        if row["errors"]:
            lines.append(f"|  | statuses: {row['statuses']} (see {row['server_log']}) |")
    export = results["export"]
    if not export:
        return "\n".join(lines) + "\n"
    lines += ["", f"## Export of {export['generated']:,} responses "
              f"({2 * export['generated']:,} repeat rows; generated in "
              f"{export['generate_s']:.0f} s)", "",
              "| format | seconds | size MB | peak RSS MB | baseline RSS MB |",
              "|---|---|---|---|---|"]
    for row in export["formats"]:
        lines.append(f"| {row['format']} | {row['seconds']:.1f} | {row['bytes'] / 1e6:.1f} | "
                     f"{row['peak_rss_mb']:.0f} | {export['baseline_rss_mb']:.0f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", nargs="+")
    parser.add_argument("--seconds", type=float)
    parser.add_argument("--export-count", type=int)
    parser.add_argument("--only", default="import,submit,export",
                        help="sections to run, comma-separated (default: all)")
    args = parser.parse_args()
    if args.worker:
        name, *rest = args.worker
        result = {"import": lambda: worker_import(*rest),
                  "setup-submit": worker_setup_submit,
                  "count": worker_count,
                  "setup-export": lambda: worker_setup_export(int(rest[0])),
                  "export": lambda: worker_export(*rest)}[name]()
        print(json.dumps(result))
        return
    seconds = args.seconds or (10.0 if args.quick else 60.0)
    count = args.export_count or (10_000 if args.quick else 100_000)
    OUT.mkdir(exist_ok=True)
    results: dict = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                     "quick": args.quick}
    with tempfile.TemporaryDirectory(prefix="bench-surveys-") as tmp:
        work = Path(tmp)
        base = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}

        def env_for(name: str) -> dict:
            folder = work / name
            folder.mkdir()
            return {**base, "SSEHUB_DATA_DIR": str(folder),
                    "SSEHUB_SEARCH_SEMANTIC": "0", "SSEHUB_SDG_AUTOMAP": "0"}

        only = set(args.only.split(","))
        results["import"] = {"forms": []}
        results["submit"] = []
        results["export"] = {}
        if "import" in only:
            print("import and render...", file=sys.stderr)
            results["import"] = run_worker(env_for("import"), "import", str(FORMS))
        if "submit" in only:
            print(f"submissions ({seconds:.0f} s, SQLite)...", file=sys.stderr)
            results["submit"] = [submit_bench(env_for("submit-sqlite"), seconds, work,
                                              "SQLite WAL")]
        pg_url = os.environ.get("BENCH_DATABASE_URL")
        if pg_url and "submit" in only:
            print(f"submissions ({seconds:.0f} s, PostgreSQL)...", file=sys.stderr)
            env, _name, drop = _postgres_env(env_for("submit-pg"), pg_url)
            try:
                results["submit"].append(submit_bench(env, seconds, work, "PostgreSQL"))
            finally:
                drop()
        if "export" in only:
            print(f"export of {count:,} responses...", file=sys.stderr)
            env = env_for("export")
            export = run_worker(env, "setup-export", str(count))
            export["baseline_rss_mb"] = run_worker(env, "export", "none", "")["peak_rss_mb"]
            export["formats"] = [run_worker(env, "export", fmt, str(work / f"export.{fmt}"))
                                 for fmt in ("csv", "xlsx", "json")]
            results["export"] = export
    command = " ".join(["python", "bench/bench_surveys.py", *sys.argv[1:]])
    if os.environ.get("BENCH_DATABASE_URL"):
        command = "BENCH_DATABASE_URL=... " + command
    suffix = ("-quick" if args.quick else "") + (
        "" if args.only == "import,submit,export" else "-" + args.only.replace(",", "-"))
    (OUT / f"surveys{suffix}.json").write_text(json.dumps(results, indent=1))
    report = markdown(results, command)
    (OUT / f"surveys{suffix}.md").write_text(report)
    print(json.dumps(results, indent=1))
    print(report)


if __name__ == "__main__":
    main()
