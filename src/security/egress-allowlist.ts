// The per-skill domain allowlist the egress proxy enforces: the operator's
// skills.settings.<skill>.allow_domains plus the domains the skill's manifest declares in
// sandbox.network. An entry is a host name (exact match) or "*.example.com" (subdomains only).
import { getOwn } from '../core/own.js';
import type { Skill } from '../skills/skill.js';

export type EgressAllow = (skill: string, host: string) => boolean;

function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

export function hostMatches(host: string, entry: string): boolean {
  const h = normalizeHost(host);
  const e = normalizeHost(entry);
  if (e === '' || h === '') return false;
  if (e.startsWith('*.')) {
    const suffix = e.slice(1); // ".example.com"
    return h.length > suffix.length && h.endsWith(suffix);
  }
  return h === e;
}

export function createEgressAllowlist(domainsBySkill: Readonly<Record<string, readonly string[]>>): EgressAllow {
  const table = Object.create(null) as Record<string, readonly string[]>;
  for (const [skill, domains] of Object.entries(domainsBySkill)) table[skill] = [...domains];
  return (skill, host) => {
    const domains = getOwn(table, skill);
    return domains !== undefined && domains.some((entry) => hostMatches(host, entry));
  };
}

/** Builds the allowlist from loaded skills and config skills.settings. */
export function egressAllowlistFromConfig(
  skills: Readonly<Record<string, Skill>>,
  settings: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
): EgressAllow {
  const domains: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const name of Object.keys(skills)) {
    const skill = getOwn(skills, name);
    const fromManifest = skill?.manifest.sandbox?.network ?? [];
    const configured = getOwn(getOwn(settings, name) ?? {}, 'allow_domains');
    const fromConfig = Array.isArray(configured) ? configured.filter((d): d is string => typeof d === 'string') : [];
    domains[name] = [...fromManifest, ...fromConfig];
  }
  return createEgressAllowlist(domains);
}
