"""An import from upload to result: ``import_job_create`` (the upload page and the API)
checks the file, stores it and enqueues ``customers.import_run``; ``import_run`` (the Celery
task) validates every row, then loads in one transaction.

* "Import every valid row": the valid rows go in, the others are listed with their errors.
* "All or nothing": one error and nothing is written (the job is *refused*).
* Whatever happens, a failure rolls the whole load back; only the job row records it.

Progress lives in the cache while the load's transaction is open (``progress``); the final
counts and the errors (the first ``MAX_ERRORS``, by row) are written to the job row in that
same transaction.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from itertools import islice

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from sfe.core.tenancy import audit_reason

from ...models import ImportJob
from .columns import describe, missing_required
from .loading import Loader
from .progress import progress_clear, progress_set
from .reading import FileRefused, check_size, open_table
from .validation import cleaner_for

log = logging.getLogger(__name__)

CHUNK = 5000
MAX_ERRORS = 1000
State = ImportJob.State


# --------------------------------------------------------------------------- upload


@contextmanager
def _upload_binary(upload) -> Iterator:
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        with open(path(), "rb") as f:
            yield f
    else:
        upload.seek(0)
        yield upload.file
        upload.seek(0)


def check_upload(*, kind: str, upload) -> str:
    """Refuse a file that cannot be imported as ``kind`` before it is stored: too large, empty,
    neither CSV nor XLSX, a zip bomb, no known header, a required column missing.
    Returns the encoding seen in its first lines ('' for .xlsx)."""
    if upload is None:
        raise ValidationError({"file": _("Choose a file.")})
    try:
        check_size(upload.size)
        with _upload_binary(upload) as f, open_table(f, upload.name, kind, peek=True) as table:
            missing = missing_required(kind, table.header)
            encoding = getattr(table, "encoding", "")
    except FileRefused as exc:
        raise ValidationError({"file": str(exc)}) from None
    if missing:
        raise ValidationError({"file": _("The file has no column for: %(columns)s.") % {"columns": describe(missing)}})
    return encoding


@transaction.atomic
def import_job_create(*, kind: str, mode: str, upload, by, queue: str | None = None) -> ImportJob:
    """Check ``upload``, store it as a new job of member ``by`` and enqueue the import after
    the commit (on ``queue`` if given)."""
    errors = {}
    if kind not in ImportJob.Kind.values:
        errors["kind"] = _("Choose what the file holds.")
    if mode not in ImportJob.Mode.values:
        errors["mode"] = _("Choose how to import.")
    if errors:
        raise ValidationError(errors)
    encoding = check_upload(kind=kind, upload=upload)
    name = os.path.basename(upload.name or "")[:200]
    job = ImportJob(kind=kind, mode=mode, original_name=name, encoding=encoding, created_by=by)
    job.file.save(name, upload, save=False)
    job.save()

    from customers.tasks.imports import import_run_task

    options = {"queue": queue} if queue else {}
    transaction.on_commit(lambda: import_run_task.apply_async((job.pk,), **options))
    return job


# --------------------------------------------------------------------------- the run


@contextmanager
def _job_file(job: ImportJob) -> Iterator:
    try:
        path = job.file.path
    except NotImplementedError:  # a storage without local paths: work on a local copy
        path = None
    if path:
        with open(path, "rb") as f:
            yield f
        return
    with tempfile.TemporaryFile() as local, job.file.open("rb") as remote:
        shutil.copyfileobj(remote, local)
        local.seek(0)
        yield local


def _chunks(rows, size: int):
    rows = iter(rows)
    while chunk := list(islice(rows, size)):
        yield chunk


def import_run(*, job_id: int) -> str | None:
    """Run a queued job (once: a job that is not queued any more is left alone). Returns its
    final state, or ``None`` when it was not queued."""
    with transaction.atomic():
        claimed = ImportJob.objects.filter(pk=job_id, state=State.QUEUED).update(
            state=State.VALIDATING, started_at=timezone.now())
        if not claimed:
            return None
        job = ImportJob.objects.select_related("created_by__user", "tenant").get(pk=job_id)
    progress_set(job, state=State.VALIDATING)
    language = job.created_by.user.language or job.tenant.default_language or settings.LANGUAGE_CODE
    try:
        with translation.override(language), audit_reason(f"import {job.code}"):
            try:
                with transaction.atomic():
                    _run(job)
            except FileRefused as exc:
                _end(job, State.REFUSED, str(exc))
            except Exception:
                log.exception("import %s failed", job.code)
                _end(job, State.FAILED, _("The import stopped on an unexpected error: nothing was imported. "
                                          "Try again, or ask your administrator."))
    finally:
        progress_clear(job)
    return job.state


def _end(job: ImportJob, state: str, message: str) -> None:
    """A run that wrote nothing: record why, in a transaction of its own."""
    job.state, job.message, job.finished_at = state, message[:500], timezone.now()
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(
            state=state, message=job.message, finished_at=job.finished_at, created_rows=0, updated_rows=0,
            unchanged_rows=0)


class _Pipeline:
    """Checks and loads each chunk on a thread of its own while the caller reads and validates
    the next one (the database works while Python does). One chunk waits at most, so memory
    stays flat; the thread shares the transaction's connection and nothing else touches it
    meanwhile. A failure on either side stops both, and the transaction rolls back."""

    def __init__(self, loader: Loader):
        self.loader = loader
        self.queue: queue.Queue = queue.Queue(maxsize=1)
        self.error: BaseException | None = None
        self.stopped = False
        self.thread = threading.Thread(target=self._work, name="import-loader", daemon=True)

    def _work(self) -> None:
        while (item := self.queue.get()) is not None:
            if self.error is None and not self.stopped:
                try:
                    self.loader.chunk(*item)
                except BaseException as exc:  # re-raised on the caller's side
                    self.error = exc

    def put(self, staged, errors, lo: int, hi: int) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put((staged, errors, lo, hi))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stopped = exc_type is not None
        self.queue.put(None)
        self.thread.join()
        if exc_type is None and self.error is not None:
            raise self.error


def _run(job: ImportJob) -> None:
    processed = 0
    # "Every valid row": each chunk is loaded as soon as it is checked. "All or nothing" (and
    # alignments, whose checks span the file) load once every row is checked.
    pipelined = job.mode == ImportJob.Mode.VALID_ROWS and job.kind != ImportJob.Kind.ALIGNMENTS
    with _job_file(job) as f, open_table(f, job.original_name, job.kind) as table:
        header = table.header
        missing = missing_required(job.kind, header)
        if missing:
            raise FileRefused(_("The file has no column for: %(columns)s.") % {"columns": describe(missing)})
        cleaner = cleaner_for(job.kind, header)
        loader = Loader(job.kind, cleaner.present)
        total = table.total_hint
        progress_set(job, state=State.VALIDATING, processed=0, total=total)
        with _Pipeline(loader) if pipelined else nullcontext() as pipeline:
            for chunk in _chunks(table.rows(), CHUNK):
                staged, errors = cleaner.clean_chunk(chunk)
                if pipeline is not None:
                    pipeline.put(staged, errors, chunk[0][0], chunk[-1][0])
                else:
                    loader.copy(staged, errors)
                processed += len(chunk)
                progress_set(job, state=State.VALIDATING, processed=processed, total=max(total, processed))
            progress_set(job, state=State.IMPORTING, processed=processed, total=processed)
        encoding = table.encoding
    if not processed:
        raise FileRefused(_("The file has no rows under its header."))
    if not pipelined:
        loader.check()
    error_rows = loader.error_rows()
    job.errors = loader.first_errors(MAX_ERRORS, header.column_name)
    notes = []
    if error_rows and job.mode == ImportJob.Mode.ALL_OR_NOTHING:
        job.state = State.REFUSED
        created = updated = unchanged = 0
        notes.append(ngettext("%(n)s row has errors: nothing was imported.",
                              "%(n)s rows have errors: nothing was imported.", error_rows) % {"n": error_rows})
    else:
        job.state = State.DONE
        if not pipelined:
            loader.load()
        created, updated, unchanged = loader.counts
        if error_rows:
            notes.append(ngettext("%(n)s row with errors was left out.", "%(n)s rows with errors were left out.",
                                  error_rows) % {"n": error_rows})
    loader.drop()
    if error_rows > len({e["row"] for e in job.errors}):
        notes.append(_("Only the errors of the first rows are listed (%(n)s messages).") % {"n": len(job.errors)})
    if header.ignored:
        notes.append(_("Columns left out (not known): %(columns)s.") % {"columns": "、".join(header.ignored)[:200]})
    job.encoding = encoding
    job.total_rows = job.processed_rows = processed
    job.created_rows, job.updated_rows, job.unchanged_rows, job.error_rows = created, updated, unchanged, error_rows
    job.message = " ".join(notes)[:500]
    job.finished_at = timezone.now()
    job.save(update_fields=["state", "encoding", "total_rows", "processed_rows", "created_rows", "updated_rows",
                            "unchanged_rows", "error_rows", "errors", "message", "finished_at"])
