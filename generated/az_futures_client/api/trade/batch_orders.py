from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.batch_order_form import BatchOrderForm
from ...models.batch_order_request import BatchOrderRequest
from ...models.batch_order_response import BatchOrderResponse
from ...models.error_response import ErrorResponse
from ...models.signature_algorithm import SignatureAlgorithm
from ...types import UNSET, Response, Unset

METHOD = "POST"
PATH = "/az/future/trade/v1/order/batch"
BODY_CONTENT_TYPES: dict[type, str] = {
    BatchOrderRequest: "application/json",
    BatchOrderForm: "application/x-www-form-urlencoded",
}
""" Each body model and the content type it is sent as """


def _get_kwargs(
    *,
    body: BatchOrderRequest | BatchOrderForm,
    validate_recvwindow: int | Unset = 5000,
    validate_algorithms: SignatureAlgorithm | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(validate_recvwindow, Unset):
        headers["validate-recvwindow"] = str(validate_recvwindow)

    if not isinstance(validate_algorithms, Unset):
        headers["validate-algorithms"] = str(validate_algorithms)

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/az/future/trade/v1/order/batch",
    }

    if isinstance(body, BatchOrderRequest):
        _kwargs["json"] = body.to_dict()

        headers["Content-Type"] = "application/json"
    if isinstance(body, BatchOrderForm):
        import json  # noqa: PLC0415

        _kwargs["data"] = {
            key: json.dumps(value, separators=(",", ":")) if isinstance(value, (list, dict)) else value
            for key, value in body.to_dict().items()
        }
        headers["Content-Type"] = "application/x-www-form-urlencoded"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> BatchOrderResponse | ErrorResponse | None:
    if response.status_code == 200:
        response_200 = BatchOrderResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = ErrorResponse.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorResponse.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorResponse.from_dict(response.json())

        return response_403

    if response.status_code == 429:
        response_429 = ErrorResponse.from_dict(response.json())

        return response_429

    if 500 <= response.status_code <= 599:
        response_5xx = ErrorResponse.from_dict(response.json())

        return response_5xx

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[BatchOrderResponse | ErrorResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: BatchOrderRequest | BatchOrderForm,
    validate_recvwindow: int | Unset = 5000,
    validate_algorithms: SignatureAlgorithm | Unset = UNSET,
) -> Response[BatchOrderResponse | ErrorResponse]:
    """Place and cancel orders in one batch

     **For market makers only.** Places up to 100 orders and cancels up to 100 orders in one
    signed request. `createOrderFirst` (default `true`) decides whether the placements run
    before the cancellations or after them. At least one of `createOrders` and `cancelOrderIds`
    must be non-empty.

    Rate limit: 200 requests per second per API key; beyond it the exchange answers HTTP 429.

    Each order placed and each id cancelled gets its own state in the result, so a batch that
    succeeds as a whole (`returnCode` 0) can still hold rejected orders: read every
    `createState` and `cancelState`.

    Args:
        validate_recvwindow (int | Unset):  Default: 5000.
        validate_algorithms (SignatureAlgorithm | Unset): The signature algorithm (`validate-
            algorithms`). Only `HmacSHA256` is documented.
        body (BatchOrderRequest): A batch as a JSON body. At least one of `createOrders` and
            `cancelOrderIds` must be
            non-empty.
        body (BatchOrderForm): The same batch as a form body. Each list is one form field holding
            the list's compact JSON
            text (the request body's `encoding` says so), for example
            `cancelOrderIds=[100002]&createOrderFirst=true&createOrders=[{"clientOrderId":"abc123",...
            }]`,
            sent as that very text: fields sorted by name, nothing percent-encoded, so that the body
            is
            its own signing text (`x-az-signing.form-body`). At least one of `createOrders` and
            `cancelOrderIds` must be non-empty.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchOrderResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        validate_recvwindow=validate_recvwindow,
        validate_algorithms=validate_algorithms,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: BatchOrderRequest | BatchOrderForm,
    validate_recvwindow: int | Unset = 5000,
    validate_algorithms: SignatureAlgorithm | Unset = UNSET,
) -> BatchOrderResponse | ErrorResponse | None:
    """Place and cancel orders in one batch

     **For market makers only.** Places up to 100 orders and cancels up to 100 orders in one
    signed request. `createOrderFirst` (default `true`) decides whether the placements run
    before the cancellations or after them. At least one of `createOrders` and `cancelOrderIds`
    must be non-empty.

    Rate limit: 200 requests per second per API key; beyond it the exchange answers HTTP 429.

    Each order placed and each id cancelled gets its own state in the result, so a batch that
    succeeds as a whole (`returnCode` 0) can still hold rejected orders: read every
    `createState` and `cancelState`.

    Args:
        validate_recvwindow (int | Unset):  Default: 5000.
        validate_algorithms (SignatureAlgorithm | Unset): The signature algorithm (`validate-
            algorithms`). Only `HmacSHA256` is documented.
        body (BatchOrderRequest): A batch as a JSON body. At least one of `createOrders` and
            `cancelOrderIds` must be
            non-empty.
        body (BatchOrderForm): The same batch as a form body. Each list is one form field holding
            the list's compact JSON
            text (the request body's `encoding` says so), for example
            `cancelOrderIds=[100002]&createOrderFirst=true&createOrders=[{"clientOrderId":"abc123",...
            }]`,
            sent as that very text: fields sorted by name, nothing percent-encoded, so that the body
            is
            its own signing text (`x-az-signing.form-body`). At least one of `createOrders` and
            `cancelOrderIds` must be non-empty.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchOrderResponse | ErrorResponse
    """

    return sync_detailed(
        client=client,
        body=body,
        validate_recvwindow=validate_recvwindow,
        validate_algorithms=validate_algorithms,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: BatchOrderRequest | BatchOrderForm,
    validate_recvwindow: int | Unset = 5000,
    validate_algorithms: SignatureAlgorithm | Unset = UNSET,
) -> Response[BatchOrderResponse | ErrorResponse]:
    """Place and cancel orders in one batch

     **For market makers only.** Places up to 100 orders and cancels up to 100 orders in one
    signed request. `createOrderFirst` (default `true`) decides whether the placements run
    before the cancellations or after them. At least one of `createOrders` and `cancelOrderIds`
    must be non-empty.

    Rate limit: 200 requests per second per API key; beyond it the exchange answers HTTP 429.

    Each order placed and each id cancelled gets its own state in the result, so a batch that
    succeeds as a whole (`returnCode` 0) can still hold rejected orders: read every
    `createState` and `cancelState`.

    Args:
        validate_recvwindow (int | Unset):  Default: 5000.
        validate_algorithms (SignatureAlgorithm | Unset): The signature algorithm (`validate-
            algorithms`). Only `HmacSHA256` is documented.
        body (BatchOrderRequest): A batch as a JSON body. At least one of `createOrders` and
            `cancelOrderIds` must be
            non-empty.
        body (BatchOrderForm): The same batch as a form body. Each list is one form field holding
            the list's compact JSON
            text (the request body's `encoding` says so), for example
            `cancelOrderIds=[100002]&createOrderFirst=true&createOrders=[{"clientOrderId":"abc123",...
            }]`,
            sent as that very text: fields sorted by name, nothing percent-encoded, so that the body
            is
            its own signing text (`x-az-signing.form-body`). At least one of `createOrders` and
            `cancelOrderIds` must be non-empty.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[BatchOrderResponse | ErrorResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        validate_recvwindow=validate_recvwindow,
        validate_algorithms=validate_algorithms,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: BatchOrderRequest | BatchOrderForm,
    validate_recvwindow: int | Unset = 5000,
    validate_algorithms: SignatureAlgorithm | Unset = UNSET,
) -> BatchOrderResponse | ErrorResponse | None:
    """Place and cancel orders in one batch

     **For market makers only.** Places up to 100 orders and cancels up to 100 orders in one
    signed request. `createOrderFirst` (default `true`) decides whether the placements run
    before the cancellations or after them. At least one of `createOrders` and `cancelOrderIds`
    must be non-empty.

    Rate limit: 200 requests per second per API key; beyond it the exchange answers HTTP 429.

    Each order placed and each id cancelled gets its own state in the result, so a batch that
    succeeds as a whole (`returnCode` 0) can still hold rejected orders: read every
    `createState` and `cancelState`.

    Args:
        validate_recvwindow (int | Unset):  Default: 5000.
        validate_algorithms (SignatureAlgorithm | Unset): The signature algorithm (`validate-
            algorithms`). Only `HmacSHA256` is documented.
        body (BatchOrderRequest): A batch as a JSON body. At least one of `createOrders` and
            `cancelOrderIds` must be
            non-empty.
        body (BatchOrderForm): The same batch as a form body. Each list is one form field holding
            the list's compact JSON
            text (the request body's `encoding` says so), for example
            `cancelOrderIds=[100002]&createOrderFirst=true&createOrders=[{"clientOrderId":"abc123",...
            }]`,
            sent as that very text: fields sorted by name, nothing percent-encoded, so that the body
            is
            its own signing text (`x-az-signing.form-body`). At least one of `createOrders` and
            `cancelOrderIds` must be non-empty.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        BatchOrderResponse | ErrorResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            validate_recvwindow=validate_recvwindow,
            validate_algorithms=validate_algorithms,
        )
    ).parsed
