/**
 * Sending: nodemailer over SMTP when SMTP_URL is set (nodemailer: the standard, maintained SMTP
 * client for Node, with pooling, TLS and URL configuration), otherwise the outbox in MongoDB.
 * Every message is recorded in `mails` with its outcome, whichever way it went.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Types } from 'mongoose';
import { MailModel, type MailKind, type MailStatus } from './model.js';
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

export interface Delivery {
  id: string;
  status: MailStatus;
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
    const info = await transportFor(settings.smtpUrl).sendMail({ from: settings.from, to: mail.to, cc: mail.cc, subject: mail.subject, text: mail.text, html: mail.html });
    const stored = await MailModel.create({ ...record, ...body, status: 'sent', messageId: info.messageId });
    return { id: String(stored._id), status: 'sent' };
  } catch (error) {
    const message = error instanceof Error ? error.message.slice(0, 500) : String(error);
    const stored = await MailModel.create({ ...record, ...body, status: 'failed', error: message });
    return { id: String(stored._id), status: 'failed', error: message };
  }
}
