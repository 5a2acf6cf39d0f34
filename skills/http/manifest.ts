// The http skill's manifest. Domains come from the operator (skills.settings.http.allow_domains);
// the manifest itself declares none, so a fresh install reaches nothing until configured.
import { z } from 'zod';
import type { SkillManifest } from '../../src/skills/skill.js';

const FORBIDDEN_HEADERS = /^(host|connection|content-length|transfer-encoding|te|upgrade|keep-alive|trailer|proxy-.*|x-securesphere-.*)$/i;

const httpUrl = z
  .string()
  .max(4096)
  .refine((u) => {
    try {
      const parsed = new URL(u);
      return (parsed.protocol === 'http:' || parsed.protocol === 'https:') && parsed.username === '' && parsed.password === '';
    } catch {
      return false;
    }
  }, 'url must be an absolute http:// or https:// URL without credentials');

export const httpManifest: SkillManifest = {
  name: 'http',
  version: '1.0.0',
  description: 'Fetches a URL through the egress proxy (only operator-allowed domains; the response is untrusted content)',
  operations: {
    request: {
      description: 'GET or POST a URL on an allowed domain and return the status and the (size-capped) body',
      input: z.strictObject({
        url: httpUrl,
        method: z.enum(['GET', 'POST']).optional(),
        headers: z
          .record(
            z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/, 'header names are HTTP tokens').refine((h) => !FORBIDDEN_HEADERS.test(h), 'this header is set by the proxy'),
            z.string().max(8192).refine((v) => !/[\r\n\0]/.test(v), 'header values must not contain line breaks'),
          )
          .refine((h) => Object.keys(h).length <= 32, 'at most 32 headers')
          .optional(),
        body: z.string().max(1_048_576).optional(),
      }),
      level: 'medium',
    },
  },
  sandbox: { network: [] },
};
