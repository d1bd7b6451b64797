"""The batch operation (`batchOrders`) on the request core: validate, encode, read the result.

Its method, path and body content types come from the generated endpoint module, its body's
field names from the generated request models, so a change of path or field in the spec reaches
users by regeneration alone. Another operation of the spec would be another module like this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from az_futures_client.api.trade import batch_orders as endpoint
from az_futures_client.models import BatchOrderResponse

from ._batch import Batch, build_batch
from ._core import Call
from ._encoding import CONTENT_TYPES, AmbiguousFormError, Encoding, encode, form_escape_needed
from ._errors import ConfigurationError, Problem, ValidationError
from ._orders import Order
from ._results import BatchResult

_RESULT = next(f.wire_name for f in BatchOrderResponse.FIELDS if f.python_name == "result")


# Refuse to start when the spec no longer offers a content type the SDK sends.
_OFFERED = set(endpoint.BODY_CONTENT_TYPES.values())
if _missing := [name for name, media in CONTENT_TYPES.items() if media not in _OFFERED]:
    raise ConfigurationError(
        f"the spec's {endpoint.PATH} no longer takes {', '.join(_missing)} bodies; "
        "regenerate the client or update az-futures"
    )


def prepare(
    encoding: Encoding, orders: Iterable[Order | Mapping[str, Any]], ids: Iterable[int], first: bool
) -> Call[BatchResult]:
    """The batch (`build_batch`'s arguments) validated, raising `ValidationError` before anything
    is sent, and encoded."""
    batch = build_batch(orders, ids, first)
    try:
        body, _ = encode(batch.wire_view(), encoding)
    except AmbiguousFormError:
        raise ValidationError(_form_problems(batch)) from None

    def read(envelope: dict[str, Any]) -> BatchResult:
        result = BatchResult.from_wire(envelope.get(_RESULT))
        if result.counts() != (len(batch.create_orders), len(batch.cancel_order_ids)):
            placed, cancelled = result.counts()
            raise ValueError(
                f"it reports {placed} placements and {cancelled} cancellations for a batch "
                f"of {len(batch.create_orders)} and {len(batch.cancel_order_ids)}"
            )
        return result

    return Call(endpoint.METHOD, endpoint.PATH, body, read, batch)


_NEEDS_JSON = (
    "{value!r} holds {char!r}, which a form body would have to escape, and gateways check "
    "escaped form bodies in two ways: send this batch with encoding='json', which carries any text"
)
"""Why a text field is refused for a form body, and what to do."""


def _form_problems(batch: Batch) -> list[Problem]:
    """Each text field of the batch that a form body would have to escape, named."""
    problems = []
    for index, order in enumerate(batch.create_orders):
        for name, value in order.to_dict().items():
            char = form_escape_needed(value) if isinstance(value, str) else None
            if char is not None:
                problems.append(Problem(name, _NEEDS_JSON.format(value=value, char=char), index))
    return problems or [Problem("body", "the form body would need escapes: use encoding='json'")]
