/**
 * Sending: nodemailer over SMTP when SMTP_URL is set (nodemailer: the standard, maintained SMTP
 * client for Node, with pooling, TLS and URL configuration), otherwise the outbox in MongoDB.
 * Every message is recorded in `mails` with its outcome, whichever way it went.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Types } from 'mongoose';
import { MailModel, type MailKind } from './model.js';
import { mailSettings } from './settings.js';

export interface OutgoingMail {
  kind: MailKind;
  to: string[];
  cc?: string[];
  subject: string;
  text: string;
  html: string;
  edition?: string;
  institution?: Types.ObjectId | string;
  user?: Types.ObjectId | string;
  job?: Types.ObjectId | string;
  requestedBy?: string;
  /** The body holds a secret (a password-reset link): kept only in the outbox, where it is the delivery. */
  secret?: boolean;
}

/** The outcome of one e-mail handed over (queued e-mails end in one of these too). */
export type DeliveryStatus = 'sent' | 'failed' | 'outbox';

export interface Delivery {
  id: string;
  status: DeliveryStatus;
  error?: string;
}

const transports = new Map<string, Transporter>();

function transportFor(url: string): Transporter {
  let transport = transports.get(url);
  if (!transport) {
    transport = nodemailer.createTransport(url);
    transports.set(url, transport);
  }
  return transport;
}

/** Closes pooled SMTP connections (tests, shutdown). */
export function closeMailTransports(): void {
  for (const transport of transports.values()) transport.close();
  transports.clear();
}

/** The server's reason for a refusal, as stored with the e-mail. */
export function deliveryError(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 500) : String(error).slice(0, 500);
}

/** Hands one message to the SMTP server at `url`; resolves with its message id, rejects with the server's refusal. */
export async function sendOverSmtp(url: string, message: { to: string[]; cc?: string[]; subject: string; text: string; html: string }): Promise<string> {
  const info = await transportFor(url).sendMail({ from: mailSettings().from, to: message.to, cc: message.cc, subject: message.subject, text: message.text, html: message.html });
  return info.messageId;
}

/** Sends (or, without SMTP_URL, keeps in the outbox) one e-mail now and records it with its outcome. */
export async function deliver(mail: OutgoingMail): Promise<Delivery> {
  const settings = mailSettings();
  const record = {
    kind: mail.kind,
    to: mail.to,
    cc: mail.cc ?? [],
    subject: mail.subject,
    edition: mail.edition,
    institution: mail.institution,
    user: mail.user,
    job: mail.job,
    requestedBy: mail.requestedBy,
  };
  if (!settings.smtpUrl) {
    const stored = await MailModel.create({ ...record, text: mail.text, html: mail.html, status: 'outbox' });
    return { id: String(stored._id), status: 'outbox' };
  }
  const body = mail.secret ? {} : { text: mail.text, html: mail.html };
  try {
    const messageId = await sendOverSmtp(settings.smtpUrl, mail);
    const stored = await MailModel.create({ ...record, ...body, status: 'sent', messageId });
    return { id: String(stored._id), status: 'sent' };
  } catch (error) {
    const message = deliveryError(error);
    const stored = await MailModel.create({ ...record, ...body, status: 'failed', error: message });
    return { id: String(stored._id), status: 'failed', error: message };
  }
}
