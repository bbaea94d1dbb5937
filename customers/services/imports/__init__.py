"""Bulk import of institutions, HCPs and alignments from CSV (UTF-8 or GBK) and .xlsx.

Split by concept: ``columns`` (the headers each kind reads), ``reading`` (file checks,
encodings, streamed rows), ``validation`` (rows through ``customers.validation``),
``loading`` (staging and set-based SQL), ``progress`` (live progress in the cache),
``jobs`` (the upload and the run), ``export`` (the error CSV and the templates).
"""

from .export import errors_csv, neutralise, template_csv
from .jobs import check_upload, import_job_create, import_run
from .progress import progress_get
from .reading import MAX_BYTES, FileRefused, size_limit_message

__all__ = ["MAX_BYTES", "FileRefused", "check_upload", "errors_csv", "import_job_create", "import_run", "neutralise",
           "progress_get", "size_limit_message", "template_csv"]
