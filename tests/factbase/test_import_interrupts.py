"""import_claims and export_claims interrupted (SIGINT, Ctrl-C) at every stage: one line that says
whether anything was written, exit status 130, never a traceback; and what the line says is true.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from io import BytesIO, StringIO, TextIOWrapper
from pathlib import Path

import pytest
from django.core.management import call_command

from factbase import interchange, services
from factbase.interchange import importer
from factbase.interchange.importer import Report
from factbase.management.commands import export_claims
from factbase.models import Claim
from factbase.plumbing.interrupts import HeldInterrupts
from tests.factbase.test_import_export import good_record, write_ndjson

NOTHING = "Interrupted: nothing was imported (nothing was written)."
COMPLETE = ("Interrupted after the import was committed: it is complete (1 actors created, 3 claims created, "
            "1 sources created).")
ROOT = Path(__file__).resolve().parents[2]


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def sigint_once_held(original):
    """``HeldInterrupts.hold`` that, once SIGINT is held, sends one: as if Ctrl-C came during the commit."""
    def hold(self):
        original(self)
        os.kill(os.getpid(), signal.SIGINT)
    return hold


def import_interrupted(path, *args) -> str:
    err = StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("import_claims", str(path), "--progress", "no", *args, stdout=StringIO(), stderr=err)
    assert caught.value.code == 130
    assert "Traceback" not in err.getvalue()
    return err.getvalue().strip()


# Where the interrupt lands: (the object, the attribute made to raise it, what is said, claims written).
STAGES = {
    "checking the files": (interchange, "format_for", NOTHING, 0),
    "reading the records (on the reading thread)": (interchange, "parse_claim", NOTHING, 0),
    "writing the claims": (services, "claim_create_many", NOTHING, 0),
    "just before the commit": (HeldInterrupts, "hold", NOTHING, 0),
    "after the commit, cleaning up": (importer.gc, "collect", COMPLETE, 3),
    "saying what was done": (Report, "claims_per_second", COMPLETE, 3),
}


@pytest.mark.django_db
@pytest.mark.parametrize("stage", list(STAGES))
def test_an_interrupt_says_in_one_line_whether_anything_was_written(tmp_path, monkeypatch, stage):
    target, name, said, claims = STAGES[stage]
    path = write_ndjson(tmp_path / "claims.ndjson", [good_record(n) for n in range(3)])
    monkeypatch.setattr(target, name, interrupt)
    assert import_interrupted(path) == said
    assert Claim.objects.count() == claims


@pytest.mark.django_db
def test_sigint_during_the_commit_waits_until_the_commit_is_known(tmp_path, monkeypatch):
    # A real SIGINT, sent once the transaction is about to commit: held, then raised after it.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    monkeypatch.setattr(HeldInterrupts, "hold", sigint_once_held(HeldInterrupts.hold))
    path = write_ndjson(tmp_path / "claims.ndjson", [good_record(n) for n in range(3)])
    assert import_interrupted(path) == COMPLETE
    assert Claim.objects.count() == 3
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # given back


@pytest.mark.django_db
def test_a_dry_run_interrupted_after_its_rollback_wrote_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(importer.gc, "collect", interrupt)
    path = write_ndjson(tmp_path / "claims.ndjson", [good_record(n) for n in range(3)])
    assert import_interrupted(path, "--dry-run") == NOTHING
    assert not Claim.objects.exists()


def test_sigint_to_a_running_import_in_a_process_of_its_own(tmp_path):
    """manage.py import_claims reading standard input, interrupted with SIGINT while it reads: it exits
    with 130, says that nothing was written, and nothing was (though its input stays open)."""
    database = tmp_path / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "PYTHONUNBUFFERED": "1"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], env=env, check=True, cwd=ROOT, timeout=300)
    process = subprocess.Popen([*manage, "import_claims", "-", "--format", "ndjson", "--progress", "no"], env=env,
                               cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        records = "".join(json.dumps(good_record(n, uid=f"00000000-0000-4000-8000-{n:012d}")) + "\n"
                          for n in range(6000)).encode()
        # Returns once the importer has read all but what the pipe holds (64 KiB): it is importing.
        process.stdin.write(records)
        process.stdin.flush()
        time.sleep(0.5)
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)  # its input still open: it must not wait for more of it
        err = process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130, err.decode()
    assert err.decode().strip() == NOTHING
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT count(*) FROM factbase_claim").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM factbase_actor").fetchone() == (0,)


# --- export_claims -------------------------------------------------------------------------------

def export_interrupted(*args) -> str:
    err = StringIO()
    with pytest.raises(SystemExit) as caught:
        call_command("export_claims", "--progress", "no", *args, stdout=StringIO(), stderr=err)
    assert caught.value.code == 130
    assert "Traceback" not in err.getvalue()
    return err.getvalue().strip()


def halfway(queryset, fmt, **kwargs):
    yield b'{"uid": "half of a record'
    raise KeyboardInterrupt


@pytest.mark.django_db
def test_an_interrupted_export_leaves_no_file_cut_short(seed, tmp_path, monkeypatch):
    monkeypatch.setattr(export_claims, "export_chunks", halfway)
    target = tmp_path / "claims.ndjson"
    assert export_interrupted("-o", str(target)) == f"Interrupted: nothing was written to {target}."
    assert list(tmp_path.iterdir()) == []
    target.write_text("an earlier export\n")
    assert export_interrupted("-o", str(target)) == f"Interrupted: nothing was written to {target}."
    assert target.read_text() == "an earlier export\n" and list(tmp_path.iterdir()) == [target]


@pytest.mark.django_db
def test_an_export_interrupted_as_it_ends_is_complete_and_says_so(seed, tmp_path, monkeypatch):
    monkeypatch.setattr(HeldInterrupts, "hold", sigint_once_held(HeldInterrupts.hold))
    target = tmp_path / "claims.ndjson"
    assert export_interrupted("-o", str(target)) == \
        f"Interrupted after the export was written: {target} has it complete."
    assert len(target.read_text().splitlines()) == Claim.objects.count()


@pytest.mark.django_db
def test_an_export_to_standard_output_interrupted_says_it_is_incomplete(seed, monkeypatch):
    monkeypatch.setattr(export_claims, "export_chunks", halfway)
    monkeypatch.setattr(sys, "stdout", TextIOWrapper(BytesIO()))
    assert export_interrupted() == "Interrupted: the export on standard output is incomplete."


@pytest.mark.django_db
def test_an_export_keeps_the_mode_of_the_file_it_replaces(seed, tmp_path):
    target = tmp_path / "claims.ndjson"
    target.write_text("old\n")
    target.chmod(0o640)
    call_command("export_claims", "-o", str(target), "--progress", "no", stdout=StringIO())
    assert target.stat().st_mode & 0o777 == 0o640
    assert len(target.read_text().splitlines()) == Claim.objects.count()
