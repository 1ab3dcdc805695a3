/** Helpers for the workflow tests: respondents through their link (pages) or their token (API). */
import { Client } from './client.js';
import { ResponseModel } from '../../server/models/response.js';

export interface Problem {
  status: number;
  code?: string;
  detail?: string;
  currentRevision?: number;
  responseStatus?: string;
  answers?: Record<string, unknown>;
  errors?: { field: string; reason: string }[];
  [member: string]: unknown;
}

export const json = async <T = Record<string, unknown>>(res: Response) => (await res.json()) as T;

/** A respondent calling the API with its invitation token. */
export function apiRespondent(baseUrl: string, token: string): Client {
  const client = new Client(baseUrl);
  client.bearer = token;
  return client;
}

/** A respondent in a browser-like session: opened its link and loaded the questionnaire page (CSRF token kept). */
export async function pageRespondent(baseUrl: string, token: string): Promise<{ client: Client; html: string; revision: number }> {
  const client = new Client(baseUrl);
  const opened = await client.get(`/responder/${token}`);
  if (opened.status !== 303) throw new Error(`opening the link answered ${opened.status}`);
  const html = await client.page('/responder/todas');
  // A read-only page (submitted, or the edition closed) has no revision field: -1.
  return { client, html, revision: /name="baseRevision"/.test(html) ? revisionIn(html) : -1 };
}

/** The revision a questionnaire page was rendered from (its hidden field). */
export function revisionIn(html: string): number {
  const match = /name="baseRevision" value="(\d+)"/.exec(html);
  if (!match) throw new Error('the page has no baseRevision field');
  return Number(match[1]);
}

export async function stored(institutionId: string, questionnaire = 'mga-2017-gobierno') {
  return ResponseModel.findOne({ institution: institutionId, 'questionnaire.id': questionnaire }).lean();
}

/** Text of an HTML page without tags, white space collapsed. */
export function pageText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;|&#x22;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#x3D;/g, '=')
    .replace(/\s+/g, ' ');
}

/** Runs `times` iterations of a race, each on its own index. */
export async function repeat(times: number, race: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < times; i++) await race(i);
}
