import nodemailer from 'nodemailer';

/** One message to one recipient. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Sends mail (SMTP_URL); invitations use it, later SSO notices. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
  close(): void;
}

/** What the subgraphs that mail need to know (subgraph settings `mail`). */
export interface MailSettings {
  mailer: Mailer;
  /** The public base URL of the server, for links in messages (PUBLIC_URL). */
  publicUrl: string;
  maxAttempts: number;
  /** Retry n waits retryBaseMs × 2^(n−1). */
  retryBaseMs: number;
}

/** An SMTP mailer over nodemailer (`smtp://user:pass@host:port`, `smtps://…` for TLS). */
export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(url);
  return {
    async send(m) {
      await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text });
    },
    close: () => transport.close(),
  };
}
