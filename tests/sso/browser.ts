/**
 * A browser as far as single sign-on needs one: follows redirects by hand (so a test can stop at
 * any hop), keeps cookies per host and sends them back, posts forms.
 */
export class Browser {
  private readonly jar = new Map<string, Map<string, string>>();
  /** Every URL visited, in order. */
  readonly visited: string[] = [];

  private cookies(url: URL): string {
    const m = this.jar.get(url.host);
    return m ? [...m].map(([k, v]) => `${k}=${v}`).join('; ') : '';
  }

  private store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const m = this.jar.get(url.host) ?? new Map<string, string>();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
      if (expired) m.delete(name);
      else m.set(name, value);
      this.jar.set(url.host, m);
    }
  }

  /** Forgets the cookies of one host (a second browser, as far as that site knows). */
  clear(host: string): void {
    this.jar.delete(host);
  }

  /** One request, cookies sent and stored, no redirect followed. */
  async request(
    url: string,
    init: { method?: string; form?: Record<string, string>; accept?: string } = {},
  ): Promise<Response> {
    const u = new URL(url);
    this.visited.push(u.href);
    const headers: Record<string, string> = { accept: init.accept ?? 'application/json' };
    const cookie = this.cookies(u);
    if (cookie) headers.cookie = cookie;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const res = await fetch(u, {
      method: init.method ?? (body ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.store(u, res);
    return res;
  }

  /**
   * Follows redirects from `url` until an answer that is not a redirect, or until the next hop
   * matches `stopBefore` (then that URL is returned unvisited).
   */
  async follow(
    url: string,
    opts: { stopBefore?: (next: URL) => boolean; form?: Record<string, string> } = {},
  ): Promise<{ url: string; res?: Response; stopped: boolean }> {
    let current = url;
    let form = opts.form;
    for (let hop = 0; hop < 20; hop++) {
      const res = await this.request(current, { form });
      form = undefined;
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || !location)
        return { url: current, res, stopped: false };
      await res.arrayBuffer();
      const next = new URL(location, current);
      if (opts.stopBefore?.(next)) return { url: next.href, stopped: true };
      current = next.href;
    }
    throw new Error(`too many redirects from ${url}`);
  }
}
