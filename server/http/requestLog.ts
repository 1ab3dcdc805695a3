/**
 * What a request's log line says about it: method, address, status, id and client address, never a
 * secret. pino-http's default serializers write every request and response header, which put session
 * cookies, CSRF tokens, bearer invitation tokens and Set-Cookie values in the logs; and the address
 * itself carries a secret on two routes (an invitation link, a password-reset link), whose token is
 * replaced by «…». A shorter line is also less work on every request (the background saves).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pinoHttp, type Options } from 'pino-http';
import type { Logger } from 'pino';

/** Path segments that are credentials: an invitation token (inv_…), a password-reset token. */
const SECRET_PATHS = /^(\/responder\/)inv_[^/?#]*|^(\/entrar\/restablecer\/)[^/?#]+/;

/** The request's address without the credential some paths carry. */
export function loggableUrl(url: string | undefined): string {
  return (url ?? '').replace(SECRET_PATHS, (_match, respondent?: string, reset?: string) => `${respondent ?? reset}…`);
}

const serializers: Options['serializers'] = {
  req: (req: { id?: unknown; method?: string; url?: string; remoteAddress?: string }) => ({ id: req.id, method: req.method, url: loggableUrl(req.url), remoteAddress: req.remoteAddress }),
  res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
};

export function requestLogger(logger: Logger) {
  return pinoHttp<IncomingMessage, ServerResponse>({
    logger,
    serializers,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
  });
}
