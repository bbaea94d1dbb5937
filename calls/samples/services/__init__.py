"""Operations on samples (keyword-only, one transaction each, idempotent by client code)."""

from .give import Drawing, GiveResult, call_is_locked, samples_give, signature_required
from .orders import KEY as SAMPLE_ORDER
from .orders import sample_order_receive, sample_order_submit
from .reconciliation import month_start, parse_month, reconciliation_count
from .stock import lot_get_or_create, stock_adjust, stock_receive, stock_return

__all__ = ["SAMPLE_ORDER", "Drawing", "GiveResult", "call_is_locked", "lot_get_or_create", "month_start",
           "parse_month", "reconciliation_count", "sample_order_receive", "sample_order_submit",
           "samples_give", "signature_required", "stock_adjust", "stock_receive", "stock_return"]
