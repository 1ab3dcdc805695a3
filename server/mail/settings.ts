/** E-mail settings from the environment (read at each use, so tests and restarts see changes). */
export interface MailSettings {
  /** smtp://user:pass@host:587 or smtps://…; unset: the outbox in MongoDB. */
  smtpUrl?: string;
  from: string;
  /** Where respondents write for help; unset: the admin who sends. */
  helpEmail?: string;
  /** Days before the deadline on which reminders go out by themselves. */
  reminderDays: number[];
  passwordResetMinutes: number;
}

export function mailSettings(env: NodeJS.ProcessEnv = process.env): MailSettings {
  const days = (env.MGA_REMINDER_DAYS ?? '7,1')
    .split(/[,\s]+/)
    .filter(Boolean)
    .map(Number)
    .filter((n) => Number.isInteger(n) && n >= 0 && n <= 365);
  const minutes = Number(env.MGA_PASSWORD_RESET_MINUTES ?? 60);
  return {
    smtpUrl: env.SMTP_URL || undefined,
    from: env.MAIL_FROM || '"Métrica de Gobierno Abierto" <no-responder@localhost>',
    helpEmail: env.MGA_HELP_EMAIL || undefined,
    reminderDays: [...new Set(days)].sort((a, b) => b - a),
    passwordResetMinutes: Number.isFinite(minutes) && minutes >= 5 && minutes <= 24 * 60 ? minutes : 60,
  };
}
