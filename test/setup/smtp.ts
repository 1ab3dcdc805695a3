/** A real SMTP server in this process (smtp-server), and what it received, parsed (mailparser). */
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

/** A real SMTP server in this process; it refuses recipients at rechaza.example. `delayMs`: a slow server, that long per message. */
export class TestSmtp {
  readonly received: ParsedMail[] = [];
  private server?: SMTPServer;
  url = '';

  constructor(private readonly options: { delayMs?: number } = {}) {}

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo: (address, _session, callback) => (address.address.endsWith('@rechaza.example') ? callback(new Error('550 mailbox unavailable')) : callback()),
      onData: (stream, _session, callback) => {
        simpleParser(stream).then(
          async (mail) => {
            if (this.options.delayMs) await sleep(this.options.delayMs);
            this.received.push(mail);
            callback();
          },
          (error: Error) => callback(error),
        );
      },
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    const { port } = this.server.server.address() as AddressInfo;
    this.url = `smtp://127.0.0.1:${port}`;
  }

  async waitFor(count: number): Promise<ParsedMail[]> {
    for (let i = 0; i < 300 && this.received.length < count; i++) await sleep(100);
    return this.received;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export const addresses = (field: ParsedMail['to']) => (Array.isArray(field) ? field : field ? [field] : []).flatMap((a) => a.value.map((v) => v.address));
