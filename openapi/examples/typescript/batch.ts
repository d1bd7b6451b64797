/**
 * The batch endpoint from TypeScript, with nothing but the types `openapi-typescript` generates from
 * openapi/az-futures.yaml:
 *
 *   npx openapi-typescript openapi/az-futures.yaml -o az-futures.ts --default-non-nullable=false
 *
 * It builds one batch as a JSON body and as form fields, and reads a batch response whose
 * per-order states may be numbers or strings. `nox -s spec` type-checks this file with `tsc --noEmit`
 * against freshly generated types, so it breaks when the spec stops fitting it.
 *
 * Signing is not shown: see openapi/README.md and openapi/signing-vectors.json for the rule and the
 * vectors to test an implementation against. Sign the exact body this file produces.
 */
import type { components, operations, paths } from "az-futures-api";

type Schemas = components["schemas"];
export type OrderCreate = Schemas["OrderCreate"];
export type BatchOrderResponse = Schemas["BatchOrderResponse"];
export type CreateState = Schemas["CreateState"];
export type CancelState = Schemas["CancelState"];

type BatchOperation = operations["batchOrders"];
type BatchContent = BatchOperation["requestBody"]["content"];
export type BatchJsonBody = BatchContent["application/json"];
export type BatchFormBody = BatchContent["application/x-www-form-urlencoded"];

export const BATCH_PATH = "/az/future/trade/v1/order/batch" satisfies keyof paths;

// ---------------------------------------------------------------------------------------------
// Compile-time checks of the spec decisions this code relies on. Each line fails to type-check if
// the spec changes the type it names.
type Equals<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Per-order states are an integer (the documentation's example) or a string (the enum page). */
export const createStateIsNumberOrString: Equals<CreateState, number | string> = true;
export const cancelStateIsNumberOrString: Equals<CancelState, number | string> = true;
/** Quantities and prices are decimal strings, never JSON numbers. */
export const origQtyIsString: Equals<OrderCreate["origQty"], string> = true;
export const priceIsOptionalString: Equals<OrderCreate["price"], string | undefined> = true;
/** Order ids are numbers in TypeScript: parse ids above 2^53 with a big-integer aware parser. */
export const cancelIdsAreNumbers: Equals<BatchJsonBody["cancelOrderIds"], number[] | undefined> =
  true;
/** The form body has the same fields as the JSON body; only the encoding differs. */
export const formHasJsonFields: Equals<keyof BatchFormBody, keyof BatchJsonBody> = true;

// ---------------------------------------------------------------------------------------------
// Building a batch.

const order: OrderCreate = {
  clientOrderId: "abc123",
  symbol: "btc_usdt",
  orderSide: "BUY",
  orderType: "LIMIT",
  origQty: "1",
  price: "39000.1",
  timeInForce: "GTC",
  positionSide: "LONG",
};

/** The batch as a JSON body (`Content-Type: application/json`). */
export const jsonBody: BatchJsonBody = {
  createOrderFirst: true,
  createOrders: [order],
  cancelOrderIds: [100002],
};

/** `createOrderFirst` defaults to true and may be left out (generate with `--default-non-nullable=false`). */
export const cancelOnly: BatchJsonBody = { cancelOrderIds: [100002, 100003] };

/** The JSON text to send, and to sign exactly as sent. */
export function jsonText(body: BatchJsonBody): string {
  return JSON.stringify(body);
}

/** The same batch as form fields: each list is one field holding its compact JSON text. */
export const formBody: BatchFormBody = { ...jsonBody };

/** The form fields, before percent-encoding (the spec's `encoding`: lists as application/json). */
export function formFields(body: BatchFormBody): Record<string, string> {
  const fields: Record<string, string> = {};
  if (body.createOrderFirst !== undefined) fields.createOrderFirst = String(body.createOrderFirst);
  if (body.createOrders !== undefined) fields.createOrders = JSON.stringify(body.createOrders);
  if (body.cancelOrderIds !== undefined) fields.cancelOrderIds = JSON.stringify(body.cancelOrderIds);
  return fields;
}

/** The form body on the wire (`Content-Type: application/x-www-form-urlencoded`). */
export function formText(body: BatchFormBody): string {
  return new URLSearchParams(formFields(body)).toString();
}

/**
 * What the signature covers for a form body: the fields sorted by name, `name=value` joined by
 * `&`, values NOT percent-encoded (see the form vectors in openapi/signing-vectors.json).
 */
export function formSigningText(body: BatchFormBody): string {
  return Object.entries(formFields(body))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

/** The optional request headers the operation documents (the signature headers are added on top). */
export const optionalHeaders: NonNullable<BatchOperation["parameters"]["header"]> = {
  "validate-recvwindow": 5000,
  "validate-algorithms": "HmacSHA256",
};

// ---------------------------------------------------------------------------------------------
// Reading the answer.

/** The success answer of HTTP 200. */
type BatchOk = BatchOperation["responses"][200]["content"]["application/json"];
export const okIsTheEnvelope: Equals<BatchOk, BatchOrderResponse> = true;

/** Both spellings of "accepted": 1 in the documentation's example, "OK" on the enum page. */
export function isAccepted(state: CreateState | CancelState): boolean {
  switch (typeof state) {
    case "number":
      return state === 1;
    case "string":
      return state === "OK";
    default: {
      // Unreachable while a state is number | string; a third type in the spec fails here.
      const unexpected: never = state;
      return unexpected;
    }
  }
}

export interface BatchSummary {
  placed: { clientOrderId: string; orderId: number }[];
  rejected: { clientOrderId: string; state: CreateState }[];
  cancelled: number[];
  notCancelled: { orderId: number; state: CancelState }[];
}

/** Splits a batch answer into what happened to each order; throws on a refused batch. */
export function summarize(response: BatchOrderResponse): BatchSummary {
  if (response.returnCode !== 0) {
    const code = response.error?.code ?? "unknown";
    const msg = response.error?.msg ?? response.msgInfo ?? "";
    throw new Error(`batch refused: ${code} ${msg}`);
  }
  const summary: BatchSummary = { placed: [], rejected: [], cancelled: [], notCancelled: [] };
  for (const created of response.result?.createOrdersResponse ?? []) {
    if (isAccepted(created.createState) && created.orderId != null) {
      summary.placed.push({ clientOrderId: created.clientOrderId, orderId: created.orderId });
    } else {
      // Keep an unknown state as it came (a number or a string): never fail on it.
      summary.rejected.push({ clientOrderId: created.clientOrderId, state: created.createState });
    }
  }
  for (const cancelled of response.result?.cancelOrdersResponse ?? []) {
    if (isAccepted(cancelled.cancelState)) {
      summary.cancelled.push(cancelled.cancelOrderId);
    } else {
      summary.notCancelled.push({ orderId: cancelled.cancelOrderId, state: cancelled.cancelState });
    }
  }
  return summary;
}

/** The spec's two success examples, typed: integer states and string states. */
export const integerStates: BatchOrderResponse = {
  error: { code: "", msg: "" },
  msgInfo: "success",
  result: {
    createOrdersResponse: [{ clientOrderId: "abc123", orderId: 100001, createState: 1 }],
    cancelOrdersResponse: [{ cancelOrderId: 100002, cancelState: 1 }],
  },
  returnCode: 0,
};

export const stringStates: BatchOrderResponse = {
  returnCode: 0,
  msgInfo: "success",
  error: null,
  result: {
    createOrdersResponse: [
      { clientOrderId: "abc123", orderId: 100001, createState: "OK" },
      { clientOrderId: "abc124", orderId: null, createState: "INSUFFICIENT_BALANCE" },
    ],
    cancelOrdersResponse: [{ cancelOrderId: 100002, cancelState: "ORDER_CANCELED" }],
  },
};
