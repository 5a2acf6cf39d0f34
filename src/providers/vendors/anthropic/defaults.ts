// Anthropic's public API address, the default base_url of a anthropic profile. Kept apart from the
// provider so the registry can name it without importing the vendor SDK.
export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
