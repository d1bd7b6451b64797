/**
 * The batch endpoint from TypeScript, with the types `openapi-typescript` generates from
 * az-futures.yaml and, for sending, `openapi-fetch` (versions pinned in ../../package.json):
 *
 *   cd openapi && npm ci && npm run check   # writes build/az-futures.ts, then tsc --noEmit
 *
 * It builds one batch as a JSON body and as form fields, signs it (WebCrypto), sends it as a form
 * with openapi-fetch, keeps 64-bit order ids exact, and reads a batch response whose per-order
 * states may be numbers or strings. `nox -s spec` runs the same check, so this file breaks when the
 * spec stops fitting it. The rule and the vectors to test a signer against: ../../README.md and
 * ../../signing-vectors.json.
 */
import createClient from "openapi-fetch";
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

/**
 * JSON text in ASCII: every character above U+007F written as a `\uXXXX` escape (UTF-16 units),
 * as Python's `json.dumps` does by default. JavaScript's `JSON.stringify` writes them as they are,
 * and a form body must not carry them unescaped (see `formText`).
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u0080-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The form fields (the spec's `encoding`: each list as its compact JSON text, in ASCII). */
export function formFields(body: BatchFormBody): Record<string, string> {
  const fields: Record<string, string> = {};
  if (body.createOrderFirst !== undefined) fields.createOrderFirst = String(body.createOrderFirst);
  if (body.createOrders !== undefined) fields.createOrders = asciiJson(body.createOrders);
  if (body.cancelOrderIds !== undefined) fields.cancelOrderIds = asciiJson(body.cancelOrderIds);
  return fields;
}

/** A character a form value would have to percent-encode: gateways could read it two ways. */
const NEEDS_ESCAPE = /[^\x21-\x7e]|[&=%+;]/;

/**
 * Compares two strings by Unicode code point, as the signing rule sorts names. JavaScript's `<`
 * and default `sort()` compare UTF-16 code units, which put U+1F600 before U+FF61 (the
 * `query-code-point-order` vector).
 */
export function compareCodePoints(a: string, b: string): number {
  const left = Array.from(a, (char) => char.codePointAt(0) ?? 0);
  const right = Array.from(b, (char) => char.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return left.length - right.length;
}

/**
 * The form body on the wire (`Content-Type: application/x-www-form-urlencoded`), written as its
 * own canonical signing text: the fields sorted by name (code points), `name=value` joined by
 * `&`, nothing percent-encoded. The docs sign a form as its fields sorted and decoded; the
 * exchange's reference client signs the body text as sent: for this body both are the same text,
 * so its signature holds whichever the gateway applies (the `form-batch-canonical` vectors in
 * ../../signing-vectors.json). A value that would need an escape cannot be written this way and
 * is refused: send that batch as JSON.
 */
export function formText(body: BatchFormBody): string {
  const fields = Object.entries(formFields(body)).sort(([a], [b]) => compareCodePoints(a, b));
  for (const [name, value] of fields) {
    if (NEEDS_ESCAPE.test(name) || NEEDS_ESCAPE.test(value)) {
      throw new Error(`form field ${name} holds a character that would need an escape: send JSON`);
    }
  }
  return fields.map(([name, value]) => `${name}=${value}`).join("&");
}

/** What the signature covers for a form body: for the body `formText` writes, that very text. */
export function formSigningText(body: BatchFormBody): string {
  return formText(body);
}

// ---------------------------------------------------------------------------------------------
// Signing and sending a form with openapi-fetch.

async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const digest = await crypto.subtle.sign("HMAC", key, encoder.encode(message));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The three signing headers for a batch whose body is signed as `signedBody`. */
export async function signingHeaders(
  apiKey: string,
  secretKey: string,
  signedBody: string,
): Promise<Record<string, string>> {
  const timestamp = String(Date.now()); // sign every attempt afresh
  const message = `validate-appkey=${apiKey}&validate-timestamp=${timestamp}#${BATCH_PATH}#${signedBody}`;
  return {
    "validate-appkey": apiKey,
    "validate-timestamp": timestamp,
    "validate-signature": await hmacSha256Hex(secretKey, message),
  };
}

/**
 * Sends a batch as a form with openapi-fetch. Its default body serializer writes JSON, and a
 * form serializer of its own would write `createOrders=[object Object]`: the `bodySerializer`
 * below sends the canonical text `formText` wrote (each list one field of compact JSON text, as
 * the spec's `encoding` says), the same text that was signed.
 * The sandbox (`az-futures sandbox`) listens on http://127.0.0.1:8080 with the demo keys
 * `az-sandbox-demo-key` / `az-sandbox-demo-secret`.
 */
export async function sendForm(
  baseUrl: string,
  apiKey: string,
  secretKey: string,
  body: BatchFormBody,
): Promise<BatchOrderResponse | undefined> {
  const client = createClient<paths>({ baseUrl });
  const text = formText(body); // the body sent, and the text signed
  const headers = await signingHeaders(apiKey, secretKey, text);
  const { data, error } = await client.POST(BATCH_PATH, {
    body,
    bodySerializer: () => text,
    headers: { ...headers, "content-type": "application/x-www-form-urlencoded" },
  });
  return data ?? (error as BatchOrderResponse | undefined);
}

// ---------------------------------------------------------------------------------------------
// 64-bit order ids: a JavaScript number holds integers exactly only up to 2^53 - 1.

/**
 * The JSON text of a batch whose cancel ids are exact 64-bit integers (strings or bigints), never
 * Numbers: `JSON.stringify` of 9007199254740993 as a Number writes ...992 and cancels another
 * order (the `json-batch-64-bit-id` vector). Sign and send this text as it is.
 */
export function jsonTextWithExactIds(
  body: Omit<BatchJsonBody, "cancelOrderIds">,
  cancelOrderIds: readonly (bigint | string)[],
): string {
  const ids = cancelOrderIds.map((id) => BigInt(id).toString()).join(",");
  const rest = JSON.stringify(body);
  if (cancelOrderIds.length === 0) return rest;
  return rest === "{}" ? `{"cancelOrderIds":[${ids}]}` : `${rest.slice(0, -1)},"cancelOrderIds":[${ids}]}`;
}

/**
 * Parses an answer keeping `orderId` and `cancelOrderId` exact, as decimal strings: the digits
 * are quoted before `JSON.parse` sees them (an escaped quote inside a string value cannot match).
 * A general alternative: a big-integer aware parser (lossless-json, json-bigint), or, on runtimes
 * that have it, the `context.source` argument of a `JSON.parse` reviver.
 */
export function parseWithExactIds(text: string): unknown {
  return JSON.parse(text.replace(/"(orderId|cancelOrderId)":(\d+)/g, '"$1":"$2"'));
}

// ---------------------------------------------------------------------------------------------
// Failure statuses: one rule for every answer.

export type Outcome = "done" | "refused" | "retry-after-wait" | "unknown";

/**
 * What an answer means, whatever its HTTP status: the envelope decides, never the status alone.
 * `returnCode` 0 (only ever with HTTP 200): processed, read every per-order state. A 429: nothing
 * was done, wait `Retry-After` seconds (about 1 s without it) and resend, re-signed. Any 5xx, or
 * an answer that cannot be read: the batch may or may not have been processed; reconcile by
 * `clientOrderId` before sending it again. Anything else with `returnCode` != 0 (HTTP 200, 400,
 * 401 or 403): refused as a whole, nothing was done; fix the request.
 */
export function outcome(status: number, body: BatchOrderResponse | undefined): Outcome {
  if (status === 429) return "retry-after-wait";
  if (status >= 500 || body === undefined) return "unknown";
  return body.returnCode === 0 && status === 200 ? "done" : "refused";
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
