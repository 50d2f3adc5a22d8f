import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackgroundService } from '../../lib/background.js';
import { createWorkspace, eventually } from '../harness/seed.js';
import { startStack, type Actor, type Stack } from '../harness/stack.js';

const PUBLIC_URL = 'https://flowplane.example.test';
let smtp: SMTPServer;
let stack: Stack;
let owner: Actor;
const inbox: ParsedMail[] = [];
const waiting: (() => void)[] = [];
/** How many of the next messages the server refuses (a mail server that is down for a moment). */
let refuse = 0;
let refused = 0;

/** Resolves once `n` messages were accepted (the SMTP server's own event, no polling). */
function received(n: number): Promise<ParsedMail[]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${inbox.length} of ${n} messages`)), 10_000);
    const check = () => {
      if (inbox.length < n) return waiting.push(check);
      clearTimeout(timer);
      resolve(inbox.slice(0, n));
    };
    check();
  });
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        if (refuse > 0) {
          refuse--;
          refused++;
          return callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
        }
        inbox.push(mail);
        callback();
        for (const w of waiting.splice(0)) w();
      }, callback);
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  const port = (smtp.server.address() as AddressInfo).port;
  stack = await startStack({
    env: {
      SMTP_URL: `smtp://127.0.0.1:${port}`,
      SMTP_FROM: 'Flowplane <noreply@flowplane.example.test>',
      PUBLIC_URL,
      MAIL_RETRY_BASE_MS: '60000',
    },
  });
  owner = await stack.signUp();
});

afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => smtp?.close(() => r()));
});

const INVITE = `mutation($input: InviteMemberInput!) { inviteMember(input: $input) { id code delivery emailedAt } }`;
const MY_INVITATIONS = `{ me { invitations { id code delivery status workspaceRole account { id name } workspace { id } } } }`;
const ACCEPT = `mutation($code: String!) { acceptInvitation(input: { code: $code }) { id myRole workspaces { id handle } } }`;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('invitations by email (SMTP_URL)', () => {
  it('emails the invitee a link with the code; the invitee lists it, follows the link and joins with fresh data', async () => {
    const ws = await createWorkspace(owner, owner.accountId, { defaultRole: null });
    const bob = await stack.signUp();
    const before = await bob.gql(ACCEPT.replace('$code: String!', '$code: String!'), {
      code: 'fpinv_nothing',
    });
    expect(before.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    const sent = await owner.gql(INVITE, {
      input: {
        accountId: owner.accountId,
        email: bob.email.toUpperCase(),
        workspaceId: ws.id,
        workspaceRole: 'DEVELOPER',
      },
    });
    expect(sent.errors).toBeUndefined();
    // The inviter never sees the code: it goes to the invitee's address only.
    expect(sent.data.inviteMember).toMatchObject({ code: null, delivery: 'EMAIL' });

    const [mail] = await received(1);
    expect(mail!.to).toMatchObject({ value: [{ address: bob.email }] });
    expect(mail!.from?.value[0]?.address).toBe('noreply@flowplane.example.test');
    expect(mail!.subject).toContain('You are invited to');
    const link = /https?:\/\/\S+/.exec(mail!.text ?? '')![0];
    expect(link.startsWith(`${PUBLIC_URL}/ui/#invitation=fpinv_`)).toBe(true);
    // Following the link (on this test server) opens the dashboard, which reads the code from
    // the fragment: the code never reaches a server log.
    const url = new URL(link);
    const page = await fetch(new URL(url.pathname, stack.url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Flowplane dashboard');
    const code = decodeURIComponent(url.hash.slice('#invitation='.length));

    // Only the hash is stored; no outbox event carries the code.
    const orm = stack.running.subgraphs.workspaces!.orm;
    const stored = () =>
      orm.em
        .getConnection()
        .execute(`select code_hash, emailed_at from invitation where id = ?`, [
          sent.data.inviteMember.id,
        ])
        .then((rows) => rows[0]);
    // emailedAt is written once the mail server has taken the message, which is after this
    // test's SMTP server handed it over: wait for that write.
    await eventually(async () => expect((await stored()).emailed_at).not.toBeNull());
    expect((await stored()).code_hash).toBe(sha256(code));
    const outbox = await orm.em.getConnection().execute(`select payload from outbox`);
    expect(JSON.stringify(outbox)).not.toContain(code);

    const mine = await bob.gql(MY_INVITATIONS);
    expect(mine.errors).toBeUndefined();
    expect(mine.data.me.invitations).toEqual([
      {
        id: sent.data.inviteMember.id,
        code: null,
        delivery: 'EMAIL',
        status: 'PENDING',
        workspaceRole: 'DEVELOPER',
        account: { id: owner.accountId, name: expect.any(String) },
        workspace: { id: ws.id },
      },
    ]);
    // Someone else's inbox stays theirs.
    expect((await owner.gql(MY_INVITATIONS)).data.me.invitations).toEqual([]);

    const accepted = await bob.gql(ACCEPT, { code });
    expect(accepted.errors).toBeUndefined();
    // The answer already sees the membership and the workspace just joined.
    expect(accepted.data.acceptInvitation).toMatchObject({ id: owner.accountId, myRole: 'MEMBER' });
    expect(accepted.data.acceptInvitation.workspaces.map((w: { id: string }) => w.id)).toEqual([
      ws.id,
    ]);
    expect((await bob.gql(MY_INVITATIONS)).data.me.invitations).toEqual([]);
  });

  it('retries a refused email later, with a fresh code: only the code that went out works', async () => {
    const carol = await stack.signUp();
    const have = inbox.length;
    refuse = 1;
    const refusedBefore = refused;
    const sent = await owner.gql(INVITE, {
      input: { accountId: owner.accountId, email: carol.email },
    });
    expect(sent.data.inviteMember.delivery).toBe('EMAIL');
    const orm = stack.running.subgraphs.workspaces!.orm;
    const row = async () =>
      (
        await orm.em
          .getConnection()
          .execute(
            `select mail_attempts, mail_error, mail_due_at, emailed_at from invitation where id = ?`,
            [sent.data.inviteMember.id],
          )
      )[0];
    await eventually(async () => {
      expect(refused).toBe(refusedBefore + 1);
      expect((await row()).mail_error).toContain('try again later');
    });
    expect((await row()).emailed_at).toBeNull();
    const service = stack.running.subgraphs.workspaces!.services.find(
      (s: BackgroundService) => s.name === 'invitation-mail',
    )!;
    // Not due yet: nothing is sent.
    expect(await service.runOnce(new Date())).toBe(0);
    expect(await service.runOnce(new Date(Date.now() + 61_000))).toBe(1);
    const mails = await received(have + 1);
    const text = mails[have]!.text!;
    expect(mails[have]!.to).toMatchObject({ value: [{ address: carol.email }] });
    const code = /code (fpinv_\S+)/.exec(text)![1]!;
    expect((await row()).mail_attempts).toBe(2);
    const accepted = await carol.gql(ACCEPT, { code });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data.acceptInvitation.id).toBe(owner.accountId);
  });
});
