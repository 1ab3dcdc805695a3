/**
 * `/api/v1/docs`: an interactive reference of the JSON API, rendered by Swagger UI from
 * /api/v1/openapi.json. swagger-ui-dist (SmartBear's own prebuilt files, shipped through npm) is
 * served from node_modules: no CDN, and the page needs no inline script, so helmet's CSP holds.
 */
import express, { Router } from 'express';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'];

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>MGA service API reference</title>
  <link rel="stylesheet" href="/api/v1/docs/assets/swagger-ui.css">
  <link rel="icon" href="/favicon.ico">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/v1/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/api/v1/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: '/api/v1/openapi.json', dom_id: '#swagger-ui', deepLinking: true, tryItOutEnabled: false });\n`;

export function apiDocsRouter(): Router {
  const router = Router();
  router.get('/api/v1/docs', (_req, res) => res.type('html').setHeader('Cache-Control', 'no-cache').send(PAGE));
  router.get('/api/v1/docs/init.js', (_req, res) => res.type('application/javascript').setHeader('Cache-Control', 'no-cache').send(INIT));
  const assets = express.static(SWAGGER_UI_DIR, { index: false, maxAge: '1d', fallthrough: false });
  router.use('/api/v1/docs/assets', (req, res, next) => (ASSETS.includes(req.path.slice(1)) ? assets(req, res, next) : next()));
  return router;
}
