// POST/GET /prompt: queue a prompt (ComfyUI's payload and answers) and report the queue size.
import { Router, type ErrorRequestHandler } from 'express';
import type { ExtraData } from '../../../types/api.ts';
import { isPlainObject, topLevelError } from '../../runtime/validate.ts';
import type { SubmitRequest } from '../../runtime/prompt-service.ts';
import { jsonBody } from '../body.ts';
import type { ApiContext } from '../context.ts';
import { statusOf } from '../errors.ts';

class InvalidPrompt extends Error {}

export function promptRoutes(ctx: ApiContext): Router {
  const router = Router();

  router.get('/prompt', (_req, res) => {
    res.json({ exec_info: { queue_remaining: ctx.runner.remaining() } });
  });

  router.post('/prompt', jsonBody(ctx.config), async (req, res) => {
    const body: unknown = req.body ?? {};
    if (!isPlainObject(body)) throw new InvalidPrompt('request body must be a JSON object');
    if (!('prompt' in body)) {
      res.status(400).json({ error: topLevelError('no_prompt', 'No prompt provided', 'No prompt provided'), node_errors: {} });
      return;
    }
    const result = await ctx.runner.submit(submitRequest(body));
    if (result.ok) res.json({ prompt_id: result.promptId, number: result.number, node_errors: result.nodeErrors });
    else res.status(400).json({ error: result.error, node_errors: result.nodeErrors });
  });

  // Failures before validation (unparsable or oversized body, bad fields) keep /prompt's answer
  // shape, `{error: {type, message, details, extra_info}, node_errors}`, that clients read.
  const promptErrors: ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const status = error instanceof InvalidPrompt ? 400 : statusOf(error);
    if (status >= 500) {
      next(error);
      return;
    }
    const message = (error as Error)?.message ?? String(error);
    res.status(status).json({ error: topLevelError('invalid_prompt', `Invalid prompt: ${message}`, message), node_errors: {} });
  };
  router.use('/prompt', promptErrors);

  return router;
}

function submitRequest(body: Record<string, unknown>): SubmitRequest {
  const request: SubmitRequest = { prompt: body.prompt };
  if (body.client_id !== undefined && body.client_id !== null) {
    if (typeof body.client_id !== 'string') throw new InvalidPrompt('client_id must be a string');
    request.clientId = body.client_id;
  }
  if (body.prompt_id !== undefined && body.prompt_id !== null) {
    if (typeof body.prompt_id === 'object') throw new InvalidPrompt('prompt_id must be a string');
    request.promptId = String(body.prompt_id);
  }
  if (body.number !== undefined && body.number !== null) {
    const number = Number(body.number);
    if (!Number.isFinite(number) || typeof body.number === 'boolean' || body.number === '') throw new InvalidPrompt('number must be a number');
    request.number = number;
  }
  if (body.front !== undefined) request.front = Boolean(body.front);
  if (body.extra_data !== undefined && body.extra_data !== null) {
    if (!isPlainObject(body.extra_data)) throw new InvalidPrompt('extra_data must be an object');
    request.extraData = body.extra_data as ExtraData;
  }
  if (body.partial_execution_targets !== undefined && body.partial_execution_targets !== null) {
    const targets = body.partial_execution_targets;
    if (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string' && typeof t !== 'number')) {
      throw new InvalidPrompt('partial_execution_targets must be a list of node ids');
    }
    request.partialExecutionTargets = targets.map(String);
  }
  return request;
}
