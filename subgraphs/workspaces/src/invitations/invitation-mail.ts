import type { BackgroundService } from '../../../../lib/background.js';
import { forUpdate } from '../../../../lib/db.js';
import type { MailSettings } from '../../../../lib/mail.js';
import type { ConsumerHandler } from '../../../../lib/outbox.js';
import type { Orm } from '../../../../lib/orm.js';
import { newCredential, sha256 } from '../../../../lib/secrets.js';
import { Account } from '../accounts/account.entity.js';
import { Invitation, InvitationDelivery, InvitationStatus } from './invitation.entity.js';
import { INVITATION_CODE_PREFIX } from './invitation.service.js';

const LEASE_MS = 60_000;
const BATCH = 20;

/**
 * Emails invitations with EMAIL delivery. `inviteMember` only stores the invitation (and its
 * outbox event) in its transaction; this runs afterwards: on the `invitation.created` event and
 * on an interval for retries. Each attempt mints the code, stores its hash and leases the row
 * (one transaction), then talks to the mail server with no transaction open, then records the
 * outcome. A failed attempt is retried after retryBaseMs × 2^(n−1), up to maxAttempts; only the
 * last code sent works, and the code exists nowhere but in that email.
 */
export class InvitationMail implements BackgroundService {
  readonly name = 'invitation-mail';
  readonly intervalMs = 30_000;

  constructor(
    private readonly orm: Orm,
    private readonly mail: MailSettings,
  ) {}

  /** The consumer of `invitation.created` (consumer group `workspaces.mail`). */
  consumers(): Record<string, ConsumerHandler> {
    return {
      'invitation.created': async (p: { invitationId?: string; delivery?: string }) => {
        if (p.delivery !== InvitationDelivery.EMAIL || !p.invitationId) return;
        const id = p.invitationId;
        // After the consumer's own transaction: no transaction stays open while mail is sent.
        setImmediate(() => void this.deliver(id, new Date()).catch(() => undefined));
      },
    };
  }

  async runOnce(now = new Date()): Promise<number> {
    const due = await this.orm.em.fork().find(
      Invitation,
      {
        delivery: InvitationDelivery.EMAIL,
        emailedAt: null,
        mailDueAt: { $lte: now },
        recordedStatus: InvitationStatus.PENDING,
        expiresAt: { $gt: now },
      },
      { orderBy: { mailDueAt: 'asc' }, limit: BATCH, fields: ['id'] },
    );
    let sent = 0;
    for (const { id } of due) if (await this.deliver(id, now)) sent++;
    return sent;
  }

  /** One attempt; true when the mail server took the message. */
  async deliver(id: string, now: Date): Promise<boolean> {
    const code = newCredential(INVITATION_CODE_PREFIX);
    const claimed = await this.orm.em.fork().transactional(async (em) => {
      const inv = await em.findOne(Invitation, { id }, forUpdate(em));
      if (!inv || inv.delivery !== InvitationDelivery.EMAIL || inv.emailedAt) return null;
      if (inv.status !== InvitationStatus.PENDING || !inv.mailDueAt || inv.mailDueAt > now)
        return null;
      if (inv.mailAttempts >= this.mail.maxAttempts) return null;
      const account = await em.findOne(Account, { id: inv.accountId });
      inv.codeHash = sha256(code);
      inv.mailAttempts++;
      inv.mailDueAt = new Date(now.getTime() + LEASE_MS);
      return { inv: { ...inv }, accountName: account?.name ?? 'an account' };
    });
    if (!claimed) return false;
    const { inv, accountName } = claimed;
    const link = new URL(`/ui/#invitation=${encodeURIComponent(code)}`, this.mail.publicUrl);
    try {
      await this.mail.mailer.send({
        to: inv.email,
        subject: `You are invited to ${accountName} on Flowplane`,
        text: [
          `You have been invited to join ${accountName} on Flowplane as ${inv.accountRole.toLowerCase()}.`,
          '',
          `Open this link, sign in (or sign up with ${inv.email}) and accept:`,
          link.toString(),
          '',
          `Or accept with the code ${code} (acceptInvitation).`,
          `The invitation expires on ${inv.expiresAt.toISOString()}.`,
        ].join('\n'),
      });
    } catch (err) {
      const retry = inv.mailAttempts < this.mail.maxAttempts;
      await this.orm.em.fork().nativeUpdate(
        Invitation,
        { id, codeHash: sha256(code) },
        {
          mailDueAt: retry
            ? new Date(now.getTime() + this.mail.retryBaseMs * 2 ** (inv.mailAttempts - 1))
            : null,
          mailError: String((err as Error).message ?? err).slice(0, 300),
        },
      );
      return false;
    }
    await this.orm.em
      .fork()
      .nativeUpdate(
        Invitation,
        { id, codeHash: sha256(code) },
        { emailedAt: new Date(), mailDueAt: null, mailError: null },
      );
    return true;
  }
}

const mailers = new WeakMap<object, InvitationMail>();

/** The invitation mailer of a running subgraph, when SMTP is configured (settings `mail`). */
export function mailOf(sub: {
  orm: Orm;
  opts: { settings?: Record<string, unknown> };
}): InvitationMail | undefined {
  const settings = sub.opts.settings?.mail as MailSettings | undefined;
  if (!settings) return undefined;
  let m = mailers.get(sub);
  if (!m) mailers.set(sub, (m = new InvitationMail(sub.orm, settings)));
  return m;
}
